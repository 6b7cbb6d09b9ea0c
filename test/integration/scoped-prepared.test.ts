import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, sql, TenantNotConfiguredError, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { pause, T1, T2, T3, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

const Customer = defineModel({
  table: 'sp_customers',
  temporal: 'scd2',
  fields: { name: z.string().max(100), segment: z.string().max(20) },
})
const Contract = defineModel({
  table: 'sp_contracts',
  temporal: 'scd2',
  fields: {
    customerId: field(z.uuid(), { references: { model: () => Customer } }),
    monthlyFee: field(z.string(), { precision: 10, scale: 2 }),
    title: z.string().max(100),
  },
})
const Note = defineModel({
  table: 'sp_notes',
  temporal: 'copy_on_change',
  fields: { customerId: z.uuid(), body: z.string().max(200), meta: z.object({ tag: z.string() }).nullable() },
})
const Secret = defineModel({ table: 'sp_secrets', fields: { value: z.string().max(50) } })
const MODELS = [Customer, Contract, Note] as const

describeEngines('prepared scoped queries (db.prepareScoped)', (ctx) => {
  const ids: Record<string, string> = {}
  let beforeRename: Date
  let afterDelete: Date
  const dbNow = async () => {
    const row = await ctx.db.queryOne<{ now: Date | string }>(
      ctx.family === 'postgres' ? sql`select statement_timestamp() as now` : sql`select NOW(3) as now`,
    )
    return new Date(row!.now)
  }
  const sent = () => ctx.db.metrics().queries.total

  beforeAll(async () => {
    await createTables(ctx.db, [Customer, Contract, Note, Secret])
    for (const [tenant, tag] of [
      [T1, 'a'],
      [T2, 'b'],
    ] as const) {
      const c1 = await ctx.db
        .repository(Customer, { tenantId: tenant, userId: U1 })
        .create({ name: `Acme ${tag}`, segment: 'smb' })
      const c2 = await ctx.db
        .repository(Customer, { tenantId: tenant, userId: U1 })
        .create({ name: `Globex ${tag}`, segment: 'ent' })
      ids[`c1${tag}`] = c1.id
      ids[`c2${tag}`] = c2.id
      const contracts = ctx.db.repository(Contract, { tenantId: tenant, userId: U1 })
      ids[`k1${tag}`] = (await contracts.create({ customerId: c1.id, monthlyFee: '150', title: `k1 ${tag}` })).id
      ids[`k2${tag}`] = (await contracts.create({ customerId: c2.id, monthlyFee: '90.5', title: `k2 ${tag}` })).id
      ids[`k3${tag}`] = (await contracts.create({ customerId: c2.id, monthlyFee: '300', title: `k3 ${tag}` })).id
      await ctx.db
        .repository(Note, { tenantId: tenant, userId: U1 })
        .create({ customerId: c1.id, body: `note ${tag}`, meta: { tag } })
    }
    await ctx.db.repository(Secret, { tenantId: T1 }).create({ value: 'top secret' })
    await pause(20)
    beforeRename = await dbNow()
    await pause(20)
    await ctx.db.repository(Customer, { tenantId: T1, userId: U1 }).update(ids.c1a!, { name: 'Acme renamed' })
    await ctx.db.repository(Contract, { tenantId: T1, userId: U1 }).update(ids.k1a!, { monthlyFee: '175' })
    await ctx.db.repository(Contract, { tenantId: T1, userId: U1 }).delete(ids.k3a!)
    await pause(20)
    afterDelete = await dbNow()
  })

  const contractsAbove = () =>
    ctx.db.prepareScoped(MODELS, { fee: z.string() }, (s, a) =>
      s
        .selectFrom('sp_contracts')
        .innerJoin('sp_customers', 'sp_customers.id', 'sp_contracts.customerId')
        .select(['sp_contracts.tenantId', 'sp_contracts.title', 'sp_customers.name', 'sp_contracts.monthlyFee'])
        .where('sp_contracts.monthlyFee', '>', a.fee)
        .orderBy('sp_contracts.title'),
    )

  it('one prepared query run for tenant A, then B, then A reads only that tenant each time', async () => {
    const q = contractsAbove()
    for (let round = 0; round < 2; round++) {
      const a = await q.execute({ tenantId: T1 }, { fee: '100.00' })
      expect(a).toEqual([{ tenantId: T1, title: 'k1 a', name: 'Acme renamed', monthlyFee: '175.00' }])
      const b = await q.execute({ tenantId: T2 }, { fee: '100.00' })
      expect(b.map((r) => `${r.title}|${r.name}|${r.tenantId}`)).toEqual([`k1 b|Acme b|${T2}`, `k3 b|Globex b|${T2}`])
    }
    expect(await q.execute({ tenantId: T3 }, { fee: '0' })).toEqual([])
    // a permissive scope: both tenants, the IN form of the same sources
    const both = await q.execute({ tenantIds: [T1, T2] }, { fee: '100.00' })
    expect(both.map((r) => r.title)).toEqual(['k1 a', 'k1 b', 'k3 b'])
  })

  it('asOf and includeDeleted differ per call of the same prepared query', async () => {
    const q = contractsAbove()
    const at = (asOf?: Date) => q.execute({ tenantId: T1, ...(asOf && { asOf }) }, { fee: '100.00' })
    expect((await at(beforeRename)).map((r) => `${r.title}|${r.name}|${r.monthlyFee}`)).toEqual([
      'k1 a|Acme a|150.00',
      'k3 a|Globex a|300.00',
    ])
    expect((await at()).map((r) => r.title)).toEqual(['k1 a'])
    expect((await at(afterDelete)).map((r) => `${r.title}|${r.name}|${r.monthlyFee}`)).toEqual([
      'k1 a|Acme renamed|175.00',
    ])
    // the other tenant as of the same instant, on the same compiled form
    expect((await q.execute({ tenantId: T2, asOf: beforeRename }, { fee: '100.00' })).map((r) => r.title)).toEqual([
      'k1 b',
      'k3 b',
    ])
    const deleted = await q.execute({ tenantId: T1, includeDeleted: true }, { fee: '100.00' })
    expect(deleted.map((r) => r.title)).toEqual(['k1 a', 'k3 a'])
    expect((await at()).map((r) => r.title)).toEqual(['k1 a'])
  })

  it('gives the same rows as the unprepared db.scoped query, for several shapes and scopes', async () => {
    type Scope = { tenantId?: string; tenantIds?: string[]; asOf?: Date; includeDeleted?: boolean }
    const scopes: Scope[] = [
      { tenantId: T1 },
      { tenantId: T2 },
      { tenantIds: [T1, T2] },
      { tenantId: T1, asOf: beforeRename },
      { tenantId: T1, includeDeleted: true },
    ]
    const customerOf = (s: Scope) => (s.tenantId === T2 ? ids.c2b! : ids.c2a!)
    const shapes = {
      join: {
        prepared: ctx.db.prepareScoped(MODELS, { customerId: z.uuid() }, (s, a) =>
          s
            .selectFrom('sp_contracts')
            .innerJoin('sp_customers', 'sp_customers.id', 'sp_contracts.customerId')
            .select(['sp_customers.name', 'sp_contracts.monthlyFee', 'sp_contracts.validFrom'])
            .where('sp_contracts.customerId', '=', a.customerId)
            .orderBy('sp_contracts.monthlyFee'),
        ),
        plain: (scope: Scope, customerId: string) =>
          ctx.db
            .scoped(MODELS, scope)
            .selectFrom('sp_contracts')
            .innerJoin('sp_customers', 'sp_customers.id', 'sp_contracts.customerId')
            .select(['sp_customers.name', 'sp_contracts.monthlyFee', 'sp_contracts.validFrom'])
            .where('sp_contracts.customerId', '=', customerId)
            .orderBy('sp_contracts.monthlyFee')
            .execute(),
      },
      exists: {
        prepared: ctx.db.prepareScoped(MODELS, { customerId: z.uuid() }, (s, a) =>
          s
            .selectFrom('sp_customers as c')
            .select(['c.name', 'c.version'])
            .where(({ exists, selectFrom, or, eb }) =>
              or([
                exists(selectFrom('sp_contracts as k').select('k.id').whereRef('k.customerId', '=', 'c.id')),
                eb('c.id', '=', a.customerId),
              ]),
            )
            .orderBy('c.name'),
        ),
        plain: (scope: Scope, customerId: string) =>
          ctx.db
            .scoped(MODELS, scope)
            .selectFrom('sp_customers as c')
            .select(['c.name', 'c.version'])
            .where(({ exists, selectFrom, or, eb }) =>
              or([
                exists(selectFrom('sp_contracts as k').select('k.id').whereRef('k.customerId', '=', 'c.id')),
                eb('c.id', '=', customerId),
              ]),
            )
            .orderBy('c.name')
            .execute(),
      },
      subqueryAndCte: {
        prepared: ctx.db.prepareScoped(MODELS, { customerId: z.uuid() }, (s, a) =>
          s
            .with('mine', (qb) =>
              qb.selectFrom('sp_contracts').select(['customerId', 'title']).where('customerId', '=', a.customerId),
            )
            .selectFrom('sp_notes')
            .selectAll('sp_notes')
            .where('sp_notes.customerId', 'in', (qb) => qb.selectFrom('sp_customers').select('id'))
            .where((eb) =>
              eb.or([eb.exists(eb.selectFrom('mine').select('mine.title')), eb('sp_notes.body', 'like', 'note%')]),
            )
            .orderBy('sp_notes.body'),
        ),
        plain: (scope: Scope, customerId: string) =>
          ctx.db
            .scoped(MODELS, scope)
            .with('mine', (qb) =>
              qb.selectFrom('sp_contracts').select(['customerId', 'title']).where('customerId', '=', customerId),
            )
            .selectFrom('sp_notes')
            .selectAll('sp_notes')
            .where('sp_notes.customerId', 'in', (qb) => qb.selectFrom('sp_customers').select('id'))
            .where((eb) =>
              eb.or([eb.exists(eb.selectFrom('mine').select('mine.title')), eb('sp_notes.body', 'like', 'note%')]),
            )
            .orderBy('sp_notes.body')
            .execute(),
      },
      groupBy: {
        prepared: ctx.db.prepareScoped(MODELS, { customerId: z.uuid() }, (s, a) =>
          s
            .selectFrom('sp_contracts')
            .innerJoin('sp_customers', 'sp_customers.id', 'sp_contracts.customerId')
            .select((eb) => ['sp_customers.segment', eb.fn.countAll<number>().as('n')])
            .where('sp_contracts.customerId', '<>', a.customerId)
            .groupBy('sp_customers.segment')
            .orderBy('sp_customers.segment'),
        ),
        plain: (scope: Scope, customerId: string) =>
          ctx.db
            .scoped(MODELS, scope)
            .selectFrom('sp_contracts')
            .innerJoin('sp_customers', 'sp_customers.id', 'sp_contracts.customerId')
            .select((eb) => ['sp_customers.segment', eb.fn.countAll<number>().as('n')])
            .where('sp_contracts.customerId', '<>', customerId)
            .groupBy('sp_customers.segment')
            .orderBy('sp_customers.segment')
            .execute(),
      },
    }
    let nonEmpty = 0
    for (const [name, shape] of Object.entries(shapes)) {
      for (const scope of [...scopes, ...scopes.reverse()]) {
        const customerId = customerOf(scope)
        const expected = await shape.plain(scope, customerId)
        const got = await shape.prepared.execute(scope, { customerId })
        expect(got, `${name} in ${JSON.stringify(scope)}`).toEqual(expected)
        if (expected.length > 0) nonEmpty++
      }
    }
    expect(nonEmpty).toBeGreaterThan(30)
  })

  it('EXISTS over a scoped table answers the same on every execution (MariaDB exists_to_in regression)', async () => {
    // MariaDB 10.11 lost rows from the second execution of such a server-side prepared statement on
    const plain = () =>
      ctx.db
        .scoped(MODELS, { tenantId: T1 })
        .selectFrom('sp_customers as c')
        .select('c.name')
        .where(({ exists, selectFrom }) =>
          exists(selectFrom('sp_contracts as k').select('k.id').whereRef('k.customerId', '=', 'c.id')),
        )
        .orderBy('c.name')
        .execute()
    const prepared = ctx.db.prepareScoped(MODELS, { segment: z.string() }, (s, a) =>
      s
        .selectFrom('sp_customers as c')
        .select('c.name')
        .where(({ exists, selectFrom }) =>
          exists(selectFrom('sp_contracts as k').select('k.id').whereRef('k.customerId', '=', 'c.id')),
        )
        .where('c.segment', '<>', a.segment)
        .orderBy('c.name'),
    )
    for (let run = 0; run < 4; run++) {
      expect(
        (await plain()).map((r) => r.name),
        `run ${run}`,
      ).toEqual(['Acme renamed', 'Globex a'])
      const got = await prepared.execute({ tenantId: T1 }, { segment: 'none' })
      expect(
        got.map((r) => r.name),
        `run ${run}`,
      ).toEqual(['Acme renamed', 'Globex a'])
    }
  })

  it('decodes rows like db.scoped: decimals, dates, JSON, record properties only', async () => {
    const q = ctx.db.prepareScoped(MODELS, { body: z.string() }, (s, a) =>
      s.selectFrom('sp_notes').selectAll().where('body', '=', a.body),
    )
    const [note] = await q.execute({ tenantId: T2 }, { body: 'note b' })
    expect(note!.meta).toEqual({ tag: 'b' })
    expect(note!.createdAt).toBeInstanceOf(Date)
    expect(note!.tenantId).toBe(T2)
    const record = await ctx.db.repository(Note, { tenantId: T2 }).get(note!.id)
    expect(note).toEqual(record)
  })

  it('refuses an unknown table, an undeclared or unused argument and a non-query at prepare time', () => {
    const prepare = () => ctx.db.prepareScoped(MODELS, {}, (s) => s.selectFrom('sp_secrets' as 'sp_notes').selectAll())
    expect(prepare).toThrow(ValidationError)
    expect(prepare).toThrow(/sp_secrets/)
    // a join of a table that is not one of the models, inside a subquery
    expect(() =>
      ctx.db.prepareScoped(MODELS, {}, (s) =>
        s
          .selectFrom('sp_notes')
          .select('body')
          .where('customerId', 'in', (qb) => qb.selectFrom('sp_secrets' as 'sp_customers').select('id')),
      ),
    ).toThrow(/sp_secrets/)
    expect(() =>
      ctx.db.prepareScoped(MODELS, { body: z.string() }, (s, a) =>
        s
          .selectFrom('sp_notes')
          .select('body')
          .where('body', '=', (a as unknown as Record<string, never>).bdy!),
      ),
    ).toThrow(/argument "bdy" is not declared/)
    expect(() =>
      ctx.db.prepareScoped(MODELS, { body: z.string() }, (s) => s.selectFrom('sp_notes').select('body')),
    ).toThrow(/argument "body" is declared but the query does not use it/)
    expect(() =>
      ctx.db.prepareScoped(MODELS, { body: 'text' as never }, (s) => s.selectFrom('sp_notes').select('body')),
    ).toThrow(/needs a Zod schema/)
    expect(() => ctx.db.prepareScoped(MODELS, {}, () => sql`select 1` as never)).toThrow(ValidationError)
  })

  it('a missing, extra, mistyped or inherited argument is a ValidationError before any SQL', async () => {
    const q = ctx.db.prepareScoped(MODELS, { customerId: z.uuid(), fee: z.string() }, (s, a) =>
      s
        .selectFrom('sp_contracts')
        .select('title')
        .where('customerId', '=', a.customerId)
        .where('monthlyFee', '>', a.fee),
    )
    expect(await q.execute({ tenantId: T1 }, { customerId: ids.c2a!, fee: '0' })).toHaveLength(1)
    const before = sent()
    const bad: unknown[] = [
      { customerId: ids.c2a! },
      { customerId: ids.c2a!, fee: '0', tenantId: T2 },
      { customerId: 'not a uuid', fee: '0' },
      { customerId: ids.c2a!, fee: { gt: '0' } },
      Object.assign(Object.create({ fee: '0' }), { customerId: ids.c2a! }),
      JSON.parse(`{"customerId": "${ids.c2a}", "__proto__": {"fee": "0"}}`),
      undefined,
      'customerId',
    ]
    for (const args of bad) {
      await expect(q.execute({ tenantId: T1 }, args as never), JSON.stringify(args)).rejects.toThrow(ValidationError)
    }
    await expect(q.execute({ tenantId: T1 }, { customerId: ids.c2a!, fee: '0' })).resolves.toHaveLength(1)
    expect(sent() - before).toBe(1)
  })

  it('checks the scope per call like db.scoped, before any SQL', async () => {
    const q = contractsAbove()
    const before = sent()
    await expect(q.execute({ tenantId: 'not-a-uuid' }, { fee: '0' })).rejects.toThrow(ValidationError)
    await expect(q.execute({}, { fee: '0' })).rejects.toThrow(TenantNotConfiguredError)
    await expect(q.execute({ tenantId: T1, tenantIds: [T2] }, { fee: '0' })).rejects.toThrow(TenantNotConfiguredError)
    await expect(q.execute({ tenantId: T1, includeDeleted: 'false' } as never, { fee: '0' })).rejects.toThrow(
      ValidationError,
    )
    await expect(q.execute({ tenantId: T1, asOf: 'yesterday' } as never, { fee: '0' })).rejects.toThrow(ValidationError)
    await expect(q.execute({ tenantId: T1, tenant: T2 } as never, { fee: '0' })).rejects.toThrow(/unknown option/)
    await expect(q.execute(undefined as never, { fee: '0' })).rejects.toThrow(ValidationError)
    expect(sent()).toBe(before)
  })

  it('binds argument values: SQL in a value is data, never SQL text', async () => {
    const q = ctx.db.prepareScoped(MODELS, { title: z.string() }, (s, a) =>
      s.selectFrom('sp_contracts').select('title').where('title', '=', a.title),
    )
    for (const hostile of ["k1 a' OR '1'='1", 'k1 a"; DROP TABLE sp_contracts; --', 'k1 a\\', '$1']) {
      expect(await q.execute({ tenantId: T1 }, { title: hostile })).toEqual([])
    }
    expect(await q.execute({ tenantId: T1 }, { title: 'k1 a' })).toEqual([{ title: 'k1 a' }])
    // another tenant's title is not found from this tenant's scope
    expect(await q.execute({ tenantId: T1 }, { title: 'k1 b' })).toEqual([])
  })

  it('runs inside a transaction with .on(tx) and sees its uncommitted writes', async () => {
    const q = ctx.db.prepareScoped(MODELS, { segment: z.string() }, (s, a) =>
      s.selectFrom('sp_customers').select('name').where('segment', '=', a.segment).orderBy('name'),
    )
    await ctx.db
      .transaction(async (tx) => {
        await tx.repository(Customer, { tenantId: T2, userId: U1 }).create({ name: 'Initech b', segment: 'mid' })
        expect(await q.on(tx).execute({ tenantId: T2 }, { segment: 'mid' })).toEqual([{ name: 'Initech b' }])
        expect(await q.on(tx).execute({ tenantId: T1 }, { segment: 'mid' })).toEqual([])
        throw new Error('roll back')
      })
      .catch((e: Error) => expect(e.message).toBe('roll back'))
    expect(await q.execute({ tenantId: T2 }, { segment: 'mid' })).toEqual([])
  })
})
