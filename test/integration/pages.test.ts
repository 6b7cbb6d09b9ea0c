import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineModel,
  field,
  type Model,
  type Repository,
  TemporalStrategyError,
  ValidationError,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { pause, T1, T2, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

const fields = {
  grp: z.int(),
  label: z.string().max(20).nullable(),
  score: z.number().optional(),
  amount: field(z.string(), { precision: 10, scale: 2 }),
  meta: z.object({ k: z.string() }).nullable().default(null),
}
const Items = defineModel({ table: 'page_items', temporal: 'none', fields })
const Audited = defineModel({ table: 'page_audited', temporal: 'copy_on_change', fields })
const Versioned = defineModel({ table: 'page_versions', temporal: 'scd2', fields })
// with the indexes keyset pages read in order: (tenant, sort keys…, id)
const Indexed = defineModel({
  table: 'page_indexed',
  temporal: 'none',
  fields,
  indexes: [{ columns: ['tenantId', 'createdAt', 'id'] }, { columns: ['tenantId', 'grp', 'id'] }],
})

type Item = { id: string; grp: number; label: string | null; score?: number; amount: string; tenantId: string }
type Key = 'grp' | 'label' | 'score' | 'amount'
type Order = readonly Partial<Record<Key, 'asc' | 'desc'>>[]

const LABELS = ['alpha', 'bravo', 'charlie', 'delta', null] as const
const N = 41

/** Every page of a query, walked with `limit`; the records and how many pages it took. */
async function walk<M extends Model>(
  repo: Pick<Repository<M>, 'page'>,
  options: Parameters<Repository<M>['page']>[0],
  limit: number,
): Promise<{ records: Item[]; pages: number }> {
  const records: Item[] = []
  let after: string | null = null
  let pages = 0
  do {
    const page = await repo.page({ ...options, limit, after })
    expect(page.records.length).toBeLessThanOrEqual(limit)
    records.push(...(page.records as unknown as Item[]))
    after = page.next
    pages++
    expect(pages).toBeLessThan(200)
  } while (after !== null)
  return { records, pages }
}

describeEngines('pages and streams', (ctx) => {
  // NULL sorts after every value ascending on PostgreSQL/PGlite, before every value on MySQL/MariaDB
  const nullsLast = (dir: 'asc' | 'desc') => (ctx.family === 'postgres' ? dir === 'asc' : dir === 'desc')
  /** The order the keys (not id) must follow, by JS comparison with the engine's NULL rule. */
  const compare = (order: Order) => (a: Item, b: Item) => {
    for (const entry of order) {
      for (const [key, dir] of Object.entries(entry) as [Key, 'asc' | 'desc'][]) {
        const x = a[key] ?? null
        const y = b[key] ?? null
        if (x === y) continue
        if (x === null || y === null) return (x === null) === nullsLast(dir) ? 1 : -1
        const c = key === 'amount' ? Number(x) - Number(y) : x < y ? -1 : 1
        if (c !== 0) return dir === 'asc' ? c : -c
      }
    }
    return 0
  }

  beforeAll(async () => {
    await createTables(ctx.db, [Items, Audited, Versioned, Indexed])
    const input = (i: number) => ({
      grp: i % 4,
      label: LABELS[i % LABELS.length]!,
      ...(i % 3 === 0 ? {} : { score: (i * 7) % 5 }),
      amount: `${(i * 13) % 9}.50`,
    })
    for (const Model of [Items, Audited, Versioned, Indexed]) {
      // one createMany: every record shares createdAt (ties on the default order)
      await ctx.db
        .repository(Model, { tenantId: T1, userId: U1 })
        .createMany(Array.from({ length: N }, (_, i) => input(i)))
      await ctx.db
        .repository(Model, { tenantId: T2, userId: U1 })
        .createMany(Array.from({ length: 7 }, (_, i) => input(i)))
    }
  })

  const orders: { name: string; orderBy: Order | undefined }[] = [
    { name: 'default (createdAt desc, id desc: all createdAt tie)', orderBy: undefined },
    { name: 'ties on one key', orderBy: [{ grp: 'asc' }] },
    { name: 'nullable key asc', orderBy: [{ label: 'asc' }] },
    { name: 'nullable key desc', orderBy: [{ label: 'desc' }] },
    { name: 'desc/asc mix with two nullable keys', orderBy: [{ grp: 'desc' }, { score: 'asc' }, { label: 'desc' }] },
    { name: 'nullable first, then a decimal', orderBy: [{ score: 'desc' }, { amount: 'asc' }] },
  ]

  for (const Model of [Items, Audited, Versioned]) {
    describe(Model.def.temporal, () => {
      const repo = (tenantId = T1) => ctx.db.repository(Model, { tenantId, userId: U1 })

      for (const { name, orderBy } of orders) {
        it(`walks every record once in order: ${name}`, async () => {
          for (const limit of [1, 4, N, N + 5]) {
            const query = (orderBy ? { orderBy } : {}) as never
            const { records, pages } = await walk(repo(), query, limit)
            expect(records).toHaveLength(N)
            expect(new Set(records.map((r) => r.id)).size).toBe(N)
            expect(pages).toBe(Math.max(1, Math.ceil(N / limit)))
            // the same order as list() (OFFSET), and the keys ordered with the engine's NULL rule
            const listed = (await repo().list({ ...(query as object), limit: 1_000 })) as unknown as Item[]
            expect(records.map((r) => r.id)).toEqual(listed.map((r) => r.id))
            if (orderBy) {
              const sorted = [...records].sort(compare(orderBy))
              expect(records.map((r) => orderBy.map((o) => Object.keys(o).map((k) => r[k as Key] ?? null)))).toEqual(
                sorted.map((r) => orderBy.map((o) => Object.keys(o).map((k) => r[k as Key] ?? null))),
              )
            }
          }
        })
      }

      it('places NULL per engine family (PostgreSQL last ascending, MySQL first ascending)', async () => {
        const asc = (await walk(repo(), { orderBy: { label: 'asc' } }, 3)).records
        const nulls = asc.filter((r) => r.label === null).length
        expect(nulls).toBeGreaterThan(0)
        const edge = ctx.family === 'postgres' ? asc.slice(-nulls) : asc.slice(0, nulls)
        expect(edge.every((r) => r.label === null)).toBe(true)
      })

      it('filters with where; the last page has next null, also when the count divides evenly', async () => {
        const where = { grp: { in: [1, 2] }, label: { isNull: false } } as const
        const all = (await repo().list({ where, orderBy: { amount: 'desc' }, limit: 1_000 })) as unknown as Item[]
        expect(all.length).toBeGreaterThan(4)
        const { records } = await walk(repo(), { where, orderBy: { amount: 'desc' } }, 2)
        expect(records.map((r) => r.id)).toEqual(all.map((r) => r.id))
        const exact = await repo().page({ where, orderBy: { amount: 'desc' }, limit: all.length })
        expect(exact.records).toHaveLength(all.length)
        expect(exact.next).toBeNull()
        const empty = await repo().page({ where: { grp: 99 } })
        expect(empty).toEqual({ records: [], next: null })
      })

      it('stays within the tenant: two tenants, strict and permissive scopes', async () => {
        const t2 = (await walk(repo(T2), { orderBy: { grp: 'asc' } }, 2)).records
        expect(t2).toHaveLength(7)
        expect(t2.every((r) => r.tenantId === T2)).toBe(true)
        const both = ctx.db.repository(Model, { tenantIds: [T1, T2] })
        const all = (await walk(both, { orderBy: { grp: 'asc' } }, 10)).records
        expect(all).toHaveLength(N + 7)
        // a where on the tenant field narrows, never widens
        const narrowed = (await walk(repo(T2), { where: { tenantId: T1 } as never }, 5)).records
        expect(narrowed).toHaveLength(0)
      })

      it('refuses a cursor reused with another where, orderBy, scope, model, asOf or includeDeleted', async () => {
        const first = await repo().page({ where: { grp: 1 }, orderBy: { label: 'asc' }, limit: 2 })
        const after = first.next!
        expect(after).toEqual(expect.any(String))
        // the same query continues (the page size may change)
        await expect(
          repo().page({ where: { grp: 1 }, orderBy: { label: 'asc' }, limit: 5, after }),
        ).resolves.toBeTruthy()
        const reuse = [
          () => repo().page({ where: { grp: 2 }, orderBy: { label: 'asc' }, after }),
          () => repo().page({ where: { grp: 1, label: 'alpha' }, orderBy: { label: 'asc' }, after }),
          () => repo().page({ orderBy: { label: 'asc' }, after }),
          () => repo().page({ where: { grp: 1 }, orderBy: { label: 'desc' }, after }),
          () => repo().page({ where: { grp: 1 }, orderBy: [{ label: 'asc' }, { grp: 'asc' }], after }),
          () => repo(T2).page({ where: { grp: 1 }, orderBy: { label: 'asc' }, after }),
          () =>
            ctx.db
              .repository(Model, { tenantIds: [T1, T2] })
              .page({ where: { grp: 1 }, orderBy: { label: 'asc' }, after }),
          () => repo().page({ where: { grp: 1 }, orderBy: { label: 'asc' }, includeDeleted: true, after }),
          () =>
            ctx.db
              .repository(Items === Model ? Audited : Items, { tenantId: T1 })
              .page({ where: { grp: 1 }, orderBy: { label: 'asc' }, after }),
        ]
        for (const call of reuse) await expect(call()).rejects.toBeInstanceOf(ValidationError)
      })

      it('refuses tampered and malformed cursors before any SQL', async () => {
        const { next } = await repo().page({ orderBy: { grp: 'asc' }, limit: 3 })
        const [v, payload, digest] = next!.split('.') as [string, string, string]
        const values = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown[]
        const forged = (vals: unknown[]) => `${v}.${Buffer.from(JSON.stringify(vals)).toString('base64url')}.${digest}`
        const bad: unknown[] = [
          forged([values[0] === 0 ? 3 : 0, values[1]]), // another key value, old digest
          forged([{ gt: -1 }, values[1]]),
          // the digest's last character replaced by another one (a fixed 'A' was no change when it ended in 'A')
          `${v}.${payload}.${digest.slice(0, -1)}${digest.endsWith('A') ? 'B' : 'A'}`,
          `${v}.${payload}`,
          `k9.${payload}.${digest}`,
          'not a cursor',
          '',
          42,
          { toString: () => next },
        ]
        for (const after of bad) {
          await expect(
            repo().page({ orderBy: { grp: 'asc' }, limit: 3, after: after as string }),
          ).rejects.toBeInstanceOf(ValidationError)
        }
      })

      it('validates limit, batchSize, includeDeleted and page keys', async () => {
        for (const limit of [0, -1, 1.5, '10', Number.NaN]) {
          await expect(repo().page({ limit: limit as number })).rejects.toBeInstanceOf(ValidationError)
        }
        await expect(repo().page({ includeDeleted: 'false' as unknown as boolean })).rejects.toBeInstanceOf(
          ValidationError,
        )
        await expect(repo().page({ orderBy: { meta: 'asc' } as never })).rejects.toBeInstanceOf(ValidationError)
        await expect(repo().page({ orderBy: { nope: 'asc' } as never })).rejects.toBeInstanceOf(ValidationError)
        await expect(repo().page({ where: { nope: 1 } as never })).rejects.toBeInstanceOf(ValidationError)
        expect(() => repo().stream({ batchSize: 0 })).toThrow(ValidationError)
        if (Model !== Versioned) {
          await expect(repo().page({ asOf: new Date() })).rejects.toBeInstanceOf(TemporalStrategyError)
        }
      })

      it('streams every record in page order, batch by batch', async () => {
        const orderBy = [{ grp: 'desc' }, { label: 'asc' }] as const
        const paged = (await walk(repo(), { orderBy }, 1_000)).records.map((r) => r.id)
        for (const batchSize of [1, 6, 1_000]) {
          const streamed: string[] = []
          for await (const r of repo().stream({ orderBy, batchSize })) streamed.push((r as unknown as Item).id)
          expect(streamed).toEqual(paged)
        }
        const none: unknown[] = []
        for await (const r of repo().stream({ where: { grp: 99 } })) none.push(r)
        expect(none).toEqual([])
      })
    })
  }

  it('includeDeleted: deleted records leave the pages unless asked for', async () => {
    const repo = ctx.db.repository(Audited, { tenantId: T1, userId: U1 })
    const victims = (await repo.list({ where: { grp: 3 }, limit: 1_000 })) as unknown as Item[]
    expect(victims.length).toBeGreaterThan(2)
    for (const v of victims.slice(0, 3)) await repo.delete(v.id)
    const live = (await walk(repo, { orderBy: { label: 'asc' } }, 4)).records
    expect(live).toHaveLength(N - 3)
    const all = (await walk(repo, { orderBy: { label: 'asc' }, includeDeleted: true }, 4)).records
    expect(all).toHaveLength(N)
    expect(all.filter((r) => victims.slice(0, 3).some((v) => v.id === r.id))).toHaveLength(3)
    const streamed: unknown[] = []
    for await (const r of repo.stream({ includeDeleted: true, batchSize: 5 })) streamed.push(r)
    expect(streamed).toHaveLength(N)
  })

  it('asOf on scd2: pages and streams show the records as they were then', async () => {
    const repo = ctx.db.repository(Versioned, { tenantId: T1, userId: U1 })
    const before = (await walk(repo, { orderBy: [{ label: 'asc' }, { grp: 'asc' }] }, 1_000)).records
    await pause(15)
    const then = new Date()
    await pause(15)
    const changed = before.filter((r) => r.grp === 0)
    for (const r of changed) await repo.update(r.id, { label: 'zulu', grp: 7 })
    await repo.delete(before.find((r) => r.grp === 1)!.id)
    const late = await repo.create({ grp: 0, label: 'alpha', amount: '1.00' })
    const now = (await walk(repo, { where: { grp: 7 } }, 3)).records
    expect(now).toHaveLength(changed.length)
    // as of `then`: the old values, the deleted record present, the late one absent, same order as before
    const past = await walk(repo, { orderBy: [{ label: 'asc' }, { grp: 'asc' }], asOf: then }, 4)
    expect(past.records.map((r) => r.id)).toEqual(before.map((r) => r.id))
    expect(past.records.map((r) => [r.label, r.grp])).toEqual(before.map((r) => [r.label, r.grp]))
    expect(past.records.some((r) => r.id === late.id)).toBe(false)
    const pastWhere = (await walk(repo, { where: { grp: 7 }, asOf: then }, 2)).records
    expect(pastWhere).toHaveLength(0)
    // a cursor of one instant is not one of another
    const first = await repo.page({ asOf: then, limit: 2 })
    await expect(repo.page({ asOf: new Date(then.getTime() + 1), limit: 2, after: first.next })).rejects.toBeInstanceOf(
      ValidationError,
    )
    await expect(repo.page({ limit: 2, after: first.next })).rejects.toBeInstanceOf(ValidationError)
    const streamed: string[] = []
    for await (const r of repo.stream({ orderBy: [{ label: 'asc' }, { grp: 'asc' }], asOf: then, batchSize: 7 }))
      streamed.push((r as unknown as Item).id)
    expect(streamed).toEqual(before.map((r) => r.id))
  })

  it('reads the keyset index as one range from the cursor (MySQL/MariaDB: forced), in the order of list()', async () => {
    const repo = ctx.db.repository(Indexed, { tenantId: T1 })
    for (const orderBy of [undefined, [{ grp: 'asc' }], [{ grp: 'desc' }, { id: 'desc' }]] as const) {
      const query = (orderBy ? { orderBy } : {}) as never
      const { records } = await walk(repo, query, 4)
      const listed = (await repo.list({ ...(query as object), limit: 1_000 })) as unknown as Item[]
      expect(records.map((r) => r.id)).toEqual(listed.map((r) => r.id))
    }
    // the statement of a page after a cursor, and its plan
    const first = await repo.page({ orderBy: { grp: 'asc' }, limit: 10 })
    const run = ctx.db.run.bind(ctx.db)
    const seen: { sql: string; parameters: readonly unknown[] }[] = []
    ctx.db.run = ((statement, control) => {
      seen.push(statement)
      return run(statement, control)
    }) as typeof ctx.db.run
    try {
      await repo.page({ orderBy: { grp: 'asc' }, limit: 10, after: first.next })
    } finally {
      ctx.db.run = run
    }
    const page = seen.find((s) => /page_indexed/.test(s.sql))!
    if (ctx.family === 'mysql') {
      expect(page.sql).toContain('FORCE INDEX (`page_indexed_tenant_id_grp_id_idx`)')
      const { rows } = await ctx.db.run({ sql: `EXPLAIN ${page.sql}`, parameters: page.parameters })
      expect(rows[0]).toMatchObject({ key: 'page_indexed_tenant_id_grp_id_idx', type: 'range' })
    } else {
      expect(page.sql).not.toContain('INDEX')
    }
  })
})

const Measures = defineModel({
  table: 'page_measures',
  multiTenant: false,
  fields: {
    small: field(z.number(), { precision: 12, scale: 8 }),
    wide: field(z.number().optional(), { precision: 30, scale: 0 }),
  },
})

describeEngines('pages over decimals read as numbers', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Measures]))

  it('cursors carry the decimal text at the column scale (1e-8 is 0.00000001), so every row comes once', async () => {
    const repo = ctx.db.repository(Measures, { userId: U1 })
    await repo.createMany([3e-8, 1e-8, 2e-8, 2e-8].map((small) => ({ small })))
    const seen: number[] = []
    let after: string | null = null
    do {
      const page: { records: { small: number }[]; next: string | null } = await repo.page({
        orderBy: { small: 'asc' },
        limit: 1,
        after,
      })
      seen.push(...page.records.map((r) => r.small))
      after = page.next
    } while (after !== null && seen.length < 10)
    expect(seen).toEqual([1e-8, 2e-8, 2e-8, 3e-8])
  })

  it('refuses a decimal of more than 15 digits read as a number as a page key (its cursor would round)', async () => {
    const repo = ctx.db.repository(Measures, { userId: U1 })
    await expect(repo.page({ orderBy: { wide: 'asc' }, limit: 1 })).rejects.toThrow(/holds 15 exactly/)
  })
})
