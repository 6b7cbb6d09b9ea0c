import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, sql, TenantNotConfiguredError, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { pause, T1, T2, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

export const Customer = defineModel({
  table: 'sq_customers',
  temporal: 'scd2',
  fields: { name: z.string().max(100), segment: z.string().max(20) },
})
export const Contract = defineModel({
  table: 'sq_contracts',
  temporal: 'scd2',
  fields: {
    customerId: field(z.uuid(), { references: { model: () => Customer } }),
    monthlyFee: field(z.string(), { precision: 10, scale: 2 }),
    title: z.string().max(100),
  },
})
export const Note = defineModel({
  table: 'sq_notes',
  temporal: 'copy_on_change',
  fields: {
    customerId: z.uuid(),
    body: z.string().max(200),
    meta: z.object({ tag: z.string() }).nullable().default(null),
  },
})
const Country = defineModel({
  table: 'sq_countries',
  multiTenant: false,
  softDelete: false,
  fields: { code: z.string().max(2), name: z.string().max(50) },
})
const Secret = defineModel({ table: 'sq_secrets', fields: { value: z.string().max(50) } })

const MODELS = [Customer, Contract, Note, Country] as const

describeEngines('scoped queries (db.scoped)', (ctx) => {
  const ids: Record<string, string> = {}
  let beforeRename: Date
  let afterDelete: Date
  beforeAll(async () => {
    await createTables(ctx.db, [Customer, Contract, Note, Country, Secret])
    for (const [tenant, tag] of [
      [T1, 'a'],
      [T2, 'b'],
    ] as const) {
      const customers = ctx.db.repository(Customer, { tenantId: tenant, userId: U1 })
      const contracts = ctx.db.repository(Contract, { tenantId: tenant, userId: U1 })
      const notes = ctx.db.repository(Note, { tenantId: tenant, userId: U1 })
      const c1 = await customers.create({ name: `Acme ${tag}`, segment: 'smb' })
      const c2 = await customers.create({ name: `Globex ${tag}`, segment: 'ent' })
      ids[`c1${tag}`] = c1.id
      ids[`c2${tag}`] = c2.id
      const k1 = await contracts.create({ customerId: c1.id, monthlyFee: '150', title: `k1 ${tag}` })
      const k2 = await contracts.create({ customerId: c2.id, monthlyFee: '90.5', title: `k2 ${tag}` })
      const k3 = await contracts.create({ customerId: c2.id, monthlyFee: '300', title: `k3 ${tag}` })
      ids[`k1${tag}`] = k1.id
      ids[`k2${tag}`] = k2.id
      ids[`k3${tag}`] = k3.id
      await notes.create({ customerId: c1.id, body: `note ${tag}`, meta: { tag } })
    }
    await ctx.db.repository(Country).create({ code: 'DE', name: 'Germany' })
    await ctx.db.repository(Secret, { tenantId: T1 }).create({ value: 'top secret' })
    await pause(20)
    beforeRename = await dbNow()
    await pause(20)
    const t1 = (m: typeof Customer | typeof Contract) =>
      ctx.db.repository(m as typeof Customer, { tenantId: T1, userId: U1 })
    await t1(Customer).update(ids.c1a!, { name: 'Acme renamed' })
    await ctx.db.repository(Contract, { tenantId: T1, userId: U1 }).update(ids.k1a!, { monthlyFee: '175' })
    await ctx.db.repository(Contract, { tenantId: T1, userId: U1 }).delete(ids.k3a!)
    await pause(20)
    afterDelete = await dbNow()
  })

  const dbNow = async () => {
    const row = await ctx.db.queryOne<{ now: Date | string }>(
      ctx.family === 'postgres' ? sql`select statement_timestamp() as now` : sql`select NOW(3) as now`,
    )
    return new Date(row!.now)
  }

  const t1 = (extra: { asOf?: Date; includeDeleted?: boolean } = {}) =>
    ctx.db.scoped(MODELS, { tenantId: T1, ...extra })

  it('joins two models within the tenant, live rows only, decoded like records', async () => {
    const rows = await t1()
      .selectFrom('sq_contracts')
      .innerJoin('sq_customers', 'sq_customers.id', 'sq_contracts.customerId')
      .select(['sq_customers.name', 'sq_contracts.monthlyFee', 'sq_contracts.title'])
      .where('sq_contracts.monthlyFee', '>', '100.00')
      .orderBy('sq_contracts.title')
      .execute()
    expect(rows).toEqual([{ name: 'Acme renamed', monthlyFee: '175.00', title: 'k1 a' }])
  })

  it('selectAll carries the record properties only, decoded', async () => {
    const rows = await t1().selectFrom('sq_notes').selectAll().execute()
    expect(rows).toHaveLength(1)
    const note = rows[0]!
    expect(Object.keys(note).sort()).toEqual(
      Object.keys((await ctx.db.repository(Note, { tenantId: T1 }).get(note.id)) ?? {}).sort(),
    )
    expect(note.meta).toEqual({ tag: 'a' })
    expect(note.createdAt).toBeInstanceOf(Date)
    expect(note.tenantId).toBe(T1)
  })

  it('aliases, subqueries, EXISTS, CTEs and UNION are all scoped', async () => {
    const viaAlias = await t1()
      .selectFrom('sq_contracts as k')
      .select((eb) => ['k.title', eb.fn.countAll<number>().over().as('n')])
      .execute()
    expect(viaAlias.map((r) => r.title).sort()).toEqual(['k1 a', 'k2 a'])

    const exists = await t1()
      .selectFrom('sq_customers as c')
      .select('c.name')
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('sq_contracts as k').select('k.id').whereRef('k.customerId', '=', 'c.id')),
      )
      .orderBy('c.name')
      .execute()
    expect(exists.map((r) => r.name)).toEqual(['Acme renamed', 'Globex a'])

    const sub = await t1()
      .selectFrom('sq_customers')
      .select('name')
      .where('id', 'in', (qb) => qb.selectFrom('sq_contracts').select('customerId'))
      .execute()
    expect(sub).toHaveLength(2)

    const derived = await t1()
      .selectFrom((qb) => qb.selectFrom('sq_contracts').select(['title', 'monthlyFee']).as('d'))
      .selectAll()
      .execute()
    expect(derived.map((r) => r.title).sort()).toEqual(['k1 a', 'k2 a'])

    const cte = await t1()
      .with('big', (qb) => qb.selectFrom('sq_contracts').select(['customerId', 'monthlyFee']))
      .selectFrom('big')
      .innerJoin('sq_customers', 'sq_customers.id', 'big.customerId')
      .select(['sq_customers.name', 'big.monthlyFee'])
      .orderBy('sq_customers.name')
      .execute()
    expect(cte.map((r) => r.name)).toEqual(['Acme renamed', 'Globex a'])

    const union = await t1()
      .selectFrom('sq_customers')
      .select('id')
      .union((qb) => qb.selectFrom('sq_contracts').select('id'))
      .execute()
    expect(union).toHaveLength(4)
  })

  it('a permissive scope reads its tenants; a strict scope never the other tenant', async () => {
    const both = await ctx.db
      .scoped(MODELS, { tenantIds: [T1, T2] })
      .selectFrom('sq_customers')
      .select('tenantId')
      .execute()
    expect(new Set(both.map((r) => r.tenantId))).toEqual(new Set([T1, T2]))
    const t2 = await ctx.db.scoped(MODELS, { tenantId: T2 }).selectFrom('sq_contracts').select('tenantId').execute()
    expect(t2).toHaveLength(3)
    expect(t2.every((r) => r.tenantId === T2)).toBe(true)
  })

  it('one query shape run for two tenants and two instants, interleaved, reads each scope only', async () => {
    // the shape is compiled once (shape cache); every run must carry its own scope's values
    const shape = (r: ReturnType<typeof t1>, fee: string) =>
      r
        .selectFrom('sq_contracts')
        .innerJoin('sq_customers', 'sq_customers.id', 'sq_contracts.customerId')
        .select(['sq_contracts.tenantId', 'sq_contracts.title', 'sq_customers.name'])
        .where('sq_contracts.monthlyFee', '>', fee)
        .orderBy('sq_contracts.title')
        .execute()
    const scopes = {
      a: () => t1(),
      b: () => ctx.db.scoped(MODELS, { tenantId: T2 }),
      aThen: () => t1({ asOf: beforeRename }),
      both: () => ctx.db.scoped(MODELS, { tenantIds: [T1, T2] }),
    }
    const expected = {
      a: ['k1 a|Acme renamed'],
      b: ['k1 b|Acme b', 'k3 b|Globex b'],
      aThen: ['k1 a|Acme a', 'k3 a|Globex a'],
      both: ['k1 a|Acme renamed', 'k1 b|Acme b', 'k3 b|Globex b'],
    }
    for (let round = 0; round < 3; round++) {
      for (const name of ['a', 'b', 'aThen', 'both', 'b', 'a'] as const) {
        const rows = await shape(scopes[name](), '100.00')
        expect({ name, rows: rows.map((r) => `${r.title}|${r.name}`).sort() }).toEqual({ name, rows: expected[name] })
        if (name === 'a' || name === 'aThen') expect(rows.every((r) => r.tenantId === T1)).toBe(true)
        if (name === 'b') expect(rows.every((r) => r.tenantId === T2)).toBe(true)
      }
    }
  })

  it('non-tenant models are read as they are', async () => {
    const rows = await t1().selectFrom('sq_countries').select(['code', 'name']).execute()
    expect(rows).toEqual([{ code: 'DE', name: 'Germany' }])
  })

  it('includeDeleted shows soft-deleted rows', async () => {
    const live = await t1().selectFrom('sq_contracts').select('id').execute()
    const all = await t1({ includeDeleted: true }).selectFrom('sq_contracts').select(['id', 'deletedAt']).execute()
    expect(live).toHaveLength(2)
    expect(all).toHaveLength(3)
    expect(all.find((r) => r.id === ids.k3a)!.deletedAt).toBeInstanceOf(Date)
  })

  it('asOf joins two scd2 models consistently as of the instant', async () => {
    const q = (asOf: Date) =>
      t1({ asOf })
        .selectFrom('sq_contracts')
        .innerJoin('sq_customers', 'sq_customers.id', 'sq_contracts.customerId')
        .select(['sq_customers.name', 'sq_contracts.monthlyFee', 'sq_contracts.title', 'sq_contracts.version'])
        .orderBy('sq_contracts.title')
        .execute()
    expect(await q(beforeRename)).toEqual([
      { name: 'Acme a', monthlyFee: '150.00', title: 'k1 a', version: 1 },
      { name: 'Globex a', monthlyFee: '90.50', title: 'k2 a', version: 1 },
      { name: 'Globex a', monthlyFee: '300.00', title: 'k3 a', version: 1 },
    ])
    expect(await q(afterDelete)).toEqual([
      { name: 'Acme renamed', monthlyFee: '175.00', title: 'k1 a', version: 2 },
      { name: 'Globex a', monthlyFee: '90.50', title: 'k2 a', version: 1 },
    ])
    // a repository list as of the same instant agrees
    const listed = await ctx.db.repository(Contract, { tenantId: T1 }).list({ asOf: beforeRename })
    expect(listed.map((r) => r.title).sort()).toEqual(['k1 a', 'k2 a', 'k3 a'])
  })

  it('refuses tables that are not one of the models, by name, before SQL', async () => {
    await expect(
      t1()
        .selectFrom('sq_secrets' as 'sq_notes')
        .selectAll()
        .execute(),
    ).rejects.toThrow(ValidationError)
    await expect(
      t1()
        .selectFrom('sq_secrets' as 'sq_notes')
        .selectAll()
        .execute(),
    ).rejects.toThrow(/sq_secrets/)
    await expect(
      t1()
        .selectFrom('sq_notes')
        .innerJoin('sq_secrets' as 'sq_customers', 'sq_customers.id', 'sq_notes.customerId')
        .selectAll()
        .execute(),
    ).rejects.toThrow(ValidationError)
    // a CTE name is visible only where SQL sees it: not before it is defined
    await expect(
      t1()
        .with('a', (qb) => qb.selectFrom('sq_secrets' as 'sq_notes').selectAll())
        .with('sq_secrets', (qb) => qb.selectFrom('sq_notes').selectAll())
        .selectFrom('a')
        .selectAll()
        .execute(),
    ).rejects.toThrow(ValidationError)
    // another schema
    await expect(
      t1()
        .selectFrom('other.sq_notes' as 'sq_notes')
        .selectAll()
        .execute(),
    ).rejects.toThrow(ValidationError)
  })

  it('is read-only: writes are refused at run time, plugins cannot be removed', async () => {
    const r = t1() as unknown as {
      insertInto(t: string): { values(v: object): { execute(): Promise<unknown> } }
      updateTable(t: string): { set(v: object): { execute(): Promise<unknown> } }
      deleteFrom(t: string): { execute(): Promise<unknown> }
      withoutPlugins(): { selectFrom(t: string): { selectAll(): { execute(): Promise<unknown> } } }
    }
    await expect(r.insertInto('sq_notes').values({ body: 'x' }).execute()).rejects.toThrow(ValidationError)
    await expect(r.updateTable('sq_notes').set({ body: 'x' }).execute()).rejects.toThrow(ValidationError)
    await expect(r.deleteFrom('sq_notes').execute()).rejects.toThrow(ValidationError)
    await expect(r.withoutPlugins().selectFrom('sq_secrets').selectAll().execute()).rejects.toThrow(ValidationError)
    await expect(sql`delete from sq_notes`.execute(t1() as never)).rejects.toThrow(ValidationError)
    // nothing was written
    expect(await ctx.db.repository(Note, { tenantId: T1 }).count()).toBe(1)
  })

  it('does not stream (it would hold every row): a typed refusal pointing to pages', async () => {
    const rows = t1().selectFrom('sq_notes').select(['body']).stream()
    await expect(rows.next()).rejects.toThrow(/does not stream: read large sets with repository.stream/)
  })

  it("runs only what its own compiler handed out: not another scope's query, not a copy with other SQL", async () => {
    // executeQuery is Kysely's, left out of the scoped builder's type: reached as a caller could
    type Runs = { executeQuery(q: unknown): Promise<{ rows: unknown[] }> }
    const one = ctx.db.scoped(MODELS, { tenantId: T1 })
    const two = ctx.db.scoped(MODELS, { tenantId: T2 })
    const run = (builder: unknown, q: unknown) => (builder as Runs).executeQuery(q)
    const query = one.selectFrom('sq_notes').select(['body'])
    const compiled = query.compile()
    // tenant 1's query (its builder or its compiled form) on tenant 2's builder
    await expect(run(two, query)).rejects.toThrow(ValidationError)
    await expect(run(two, compiled)).rejects.toThrow(ValidationError)
    // a compiled query of the builder itself with other SQL: a read of every tenant, a delete
    const own = two.selectFrom('sq_notes').select(['body']).compile()
    const forged = (text: string) => ({ ...own, sql: text, parameters: [] })
    await expect(run(two, forged('select body from sq_notes'))).rejects.toThrow(ValidationError)
    await expect(run(two, forged('delete from sq_notes'))).rejects.toThrow(ValidationError)
    // each builder still runs its own
    expect((await run(one, compiled)).rows).toHaveLength(1)
    expect((await run(two, own)).rows).toHaveLength(1)
    expect(await ctx.db.repository(Note, { tenantId: T2 }).count()).toBe(1)
  })

  it('validates its options', () => {
    expect(() => ctx.db.scoped(MODELS, {})).toThrow(TenantNotConfiguredError)
    expect(() => ctx.db.scoped(MODELS, { tenantId: 'nope' })).toThrow(ValidationError)
    expect(() => ctx.db.scoped(MODELS, { tenantId: T1, includeDeleted: 'false' as never })).toThrow(ValidationError)
    expect(() => ctx.db.scoped(MODELS, { tenantId: T1, asOf: 'garbage' as never })).toThrow(ValidationError)
    expect(() => ctx.db.scoped([], { tenantId: T1 })).toThrow(ValidationError)
  })

  it('runs inside a transaction on its connection', async () => {
    const n = await ctx.db.transaction(async (tx) => {
      const rows = await tx.scoped(MODELS, { tenantId: T1 }).selectFrom('sq_customers').select('id').execute()
      return rows.length
    })
    expect(n).toBe(2)
  })

  describe('property: random query shapes over two tenants never return the other tenant', () => {
    type Shape =
      | { kind: 'table'; table: 'sq_customers' | 'sq_contracts' | 'sq_notes' }
      | { kind: 'join'; left: Shape; right: 'sq_customers' | 'sq_contracts' | 'sq_notes'; outer: boolean }
      | { kind: 'union'; left: Shape; right: Shape }
      | { kind: 'cte'; inner: Shape }
      | { kind: 'exists'; outer: Shape; inner: 'sq_customers' | 'sq_contracts' | 'sq_notes' }
      | { kind: 'in'; outer: Shape; inner: 'sq_customers' | 'sq_contracts' | 'sq_notes' }
    const table = fc.constantFrom('sq_customers' as const, 'sq_contracts' as const, 'sq_notes' as const)
    const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
      shape: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('table' as const), table }),
        fc.record({ kind: fc.constant('join' as const), left: tie('shape'), right: table, outer: fc.boolean() }),
        fc.record({ kind: fc.constant('union' as const), left: tie('shape'), right: tie('shape') }),
        fc.record({ kind: fc.constant('cte' as const), inner: tie('shape') }),
        fc.record({ kind: fc.constant('exists' as const), outer: tie('shape'), inner: table }),
        fc.record({ kind: fc.constant('in' as const), outer: tie('shape'), inner: table }),
      ),
    }))

    // every shape yields rows (tenant_id: the tenant of every row read, owner: the tenant of the parts)
    // biome-ignore lint/suspicious/noExplicitAny: the shapes are built dynamically
    const build = (r: any, s: Shape, depth: number): any => {
      const alias = `q${depth}`
      switch (s.kind) {
        case 'table':
          return r.selectFrom(`${s.table} as ${alias}`).select(`${alias}.tenantId as tenantId`)
        case 'join': {
          const j = `j${depth}`
          const left = build(r, s.left, depth + 1).as(alias)
          return r
            .selectFrom(left)
            [s.outer ? 'leftJoin' : 'innerJoin'](`${s.right} as ${j}`, `${j}.tenantId`, `${alias}.tenantId`)
            .select(
              sql
                .raw(`coalesce(${quote(j)}.${quote('tenantId')}, ${quote(alias)}.${quote('tenantId')})`)
                .as('tenantId'),
            )
        }
        case 'union':
          return r
            .selectFrom(build(r, s.left, depth + 1).as(alias))
            .select(`${alias}.tenantId`)
            .unionAll(r.selectFrom(build(r, s.right, depth + 100).as(`u${depth}`)).select(`u${depth}.tenantId`))
        case 'cte':
          return r
            .with(`c${depth}`, () => build(r, s.inner, depth + 1))
            .selectFrom(`c${depth}`)
            .select('tenantId')
        case 'exists':
          return (
            r
              .selectFrom(build(r, s.outer, depth + 1).as(alias))
              .select(`${alias}.tenantId`)
              // biome-ignore lint/suspicious/noExplicitAny: dynamic
              .where((eb: any) => eb.exists(eb.selectFrom(`${s.inner} as e${depth}`).select(`e${depth}.id`)))
          )
        case 'in':
          return (
            r
              .selectFrom(build(r, s.outer, depth + 1).as(alias))
              .select(`${alias}.tenantId`)
              // biome-ignore lint/suspicious/noExplicitAny: dynamic
              .where(`${alias}.tenantId`, 'in', (qb: any) =>
                qb.selectFrom(`${s.inner} as i${depth}`).select(`i${depth}.tenantId`),
              )
          )
      }
    }
    const quote = (name: string) => ctx.db.dialect.quoteId(name)

    it('holds for 40 random shapes', async () => {
      await fc.assert(
        fc.asyncProperty(shape, fc.constantFrom(0, 1), fc.boolean(), async (s, t, deleted) => {
          const tenant = [T1, T2][t]!
          const r = ctx.db.scoped(MODELS, { tenantId: tenant, includeDeleted: deleted })
          const rows: { tenantId: string | null }[] = await build(r, s, 0).execute()
          for (const row of rows) if (row.tenantId !== null) expect(row.tenantId).toBe(tenant)
          // and the shape did read something in the scope (so the test can fail)
          expect(rows.length).toBeGreaterThan(0)
        }),
        { numRuns: 40 },
      )
    })
  })
})
