import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, type ModelRecord } from '../../src/index.js'
import type { Statement } from '../../src/sql/statement.js'
import { describeEngines } from '../helpers/engines.js'
import { pause, sample, T1, T2, T3, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** scd2 without tenants: the asOf read has no tenant predicate to put anywhere. */
const Untenanted = defineModel({
  table: 'asof_untenanted',
  temporal: 'scd2',
  multiTenant: false,
  fields: { name: z.string().max(100), age: z.int() },
})

type Version = ModelRecord<typeof Versioned>

/**
 * `get(id, { asOf })` pinned at every version boundary, in every scope, against the version history:
 * valid_from inclusive, valid_to exclusive, before creation, deleted versions (current and closed),
 * transfers between tenants, purged records. On MariaDB also its plan: index lookups only.
 */
describeEngines('scd2 get asOf', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Versioned, Untenanted]))
  const repo = (tenantId = T1) => ctx.db.repository(Versioned, { tenantId, userId: U1 })
  let n = 0

  /** What get must return: the version valid at `t`, if the scope sees it (and it is live unless asked). */
  const expected = (versions: readonly Version[], t: Date, tenants: readonly string[], includeDeleted: boolean) => {
    const v = versions.find(
      (x) => x.validFrom.getTime() <= t.getTime() && (x.validTo === null || x.validTo.getTime() > t.getTime()),
    )
    return v && tenants.includes(v.tenantId) && (includeDeleted || v.deletedAt === null) ? v : null
  }

  /** Each version's start, a millisecond before and after it, before creation and after the last change. */
  const instantsOf = (versions: readonly Version[]) => [
    new Date(versions[0]!.validFrom.getTime() - 60_000),
    ...versions.flatMap((v) => [-1, 0, 1].map((d) => new Date(v.validFrom.getTime() + d))),
    new Date(Date.now() + 60_000),
  ]

  it('returns the version valid at each boundary, in every scope, deleted and transferred ones included', async () => {
    const r = await repo().create(sample(++n, { age: 1 }))
    await pause()
    await repo().update(r.id, { age: 2 })
    await pause()
    await repo().delete(r.id) // v3: deleted, closed by the restore
    await pause()
    await repo().restore(r.id)
    await pause()
    await repo().update(r.id, { age: 5 })
    await pause()
    await repo().transferOwnership(r.id, T2) // v6: the first version in T2
    await pause()
    await repo(T2).update(r.id, { age: 7 })
    await pause()
    await repo(T2).delete(r.id) // v8: current and deleted
    const versions = await ctx.db.repository(Versioned, { tenantIds: [T1, T2] }).getVersionHistory(r.id)
    expect(versions.map((v) => [v.version, v.tenantId, v.deletedAt !== null])).toEqual([
      [1, T1, false],
      [2, T1, false],
      [3, T1, true],
      [4, T1, false],
      [5, T1, false],
      [6, T2, false],
      [7, T2, false],
      [8, T2, true],
    ])
    const scopes = [[T1], [T2], [T3], [T1, T2]]
    let found = 0
    for (const t of instantsOf(versions)) {
      for (const tenants of scopes) {
        const scoped =
          tenants.length === 1 ? repo(tenants[0]) : ctx.db.repository(Versioned, { tenantIds: tenants, userId: U1 })
        for (const includeDeleted of [false, true]) {
          const want = expected(versions, t, tenants, includeDeleted)
          const got = await scoped.get(r.id, { asOf: t, includeDeleted })
          expect({ t, tenants, includeDeleted, version: got?.version ?? null }).toEqual({
            t,
            tenants,
            includeDeleted,
            version: want?.version ?? null,
          })
          expect(got).toEqual(want)
          if (got) found++
        }
      }
    }
    // the grid is not vacuous: each version is returned from some instant and scope
    expect(found).toBeGreaterThan(versions.length * 3)
  })

  it('finds nothing at any instant once the record is purged', async () => {
    const r = await repo().create(sample(++n))
    await pause()
    const v2 = await repo().update(r.id, { age: 3 })
    expect((await repo().get(r.id, { asOf: r.validFrom }))?.version).toBe(1)
    await repo().purge(r.id)
    for (const t of [r.validFrom, v2.validFrom, new Date()]) {
      expect(await repo().get(r.id, { asOf: t })).toBeNull()
      expect(await repo().get(r.id, { asOf: t, includeDeleted: true })).toBeNull()
    }
  })

  it('reads a model without tenants at each boundary', async () => {
    const plain = ctx.db.repository(Untenanted, { userId: U1 })
    const r = await plain.create({ name: `u${++n}`, age: 1 })
    await pause()
    await plain.update(r.id, { age: 2 })
    await pause()
    await plain.delete(r.id)
    await pause()
    await plain.restore(r.id)
    const versions = (await plain.getVersionHistory(r.id)) as unknown as Version[]
    expect(versions).toHaveLength(4)
    for (const t of instantsOf(versions)) {
      for (const includeDeleted of [false, true]) {
        const want = expected(
          versions.map((v) => ({ ...v, tenantId: T1 })),
          t,
          [T1],
          includeDeleted,
        )
        expect((await plain.get(r.id, { asOf: t, includeDeleted }))?.version ?? null).toBe(want?.version ?? null)
      }
    }
  })
})

describeEngines(
  'scd2 get asOf plan',
  (ctx) => {
    beforeAll(() => createTables(ctx.db, [Versioned]))
    const repo = () => ctx.db.repository(Versioned, { tenantId: T1, userId: U1 })

    /** The statement `get` sends, caught on its way to the driver. */
    const sent = async (call: () => Promise<unknown>): Promise<Statement> => {
      const db = ctx.db as { run: typeof ctx.db.run }
      const run = db.run
      let caught: Statement | undefined
      db.run = async function (this: typeof ctx.db, ...args: Parameters<typeof run>) {
        caught ??= args[0] as Statement
        return run.apply(this, args)
      } as typeof run
      try {
        await call()
      } finally {
        db.run = run
      }
      return caught!
    }

    it('reads the current row and the newest history version by index lookups, nothing materialized', async () => {
      const r = await repo().create(sample(1, { age: 0 }))
      await pause()
      const updates: Version[] = [r]
      for (let i = 1; i <= 30; i++) {
        updates.push(await repo().update(r.id, { age: i }))
        if (i === 5) await pause()
      }
      const instants = [
        new Date(r.validFrom.getTime() - 1_000), // before creation
        updates[5]!.validFrom, // a closed version, 25 newer ones after it
        new Date(Date.now() + 1_000), // the current version: every closed version started before it
      ]
      for (const asOf of instants) {
        const statement = await sent(() => repo().get(r.id, { asOf }))
        const explain = await ctx.db.run({ sql: `EXPLAIN ${statement.sql}`, parameters: statement.parameters })
        const rows = explain.rows.map((x) => ({ select_type: x.select_type, table: x.table }))
        expect(rows.length).toBeGreaterThan(1)
        for (const row of rows) {
          expect(String(row.select_type), JSON.stringify(rows)).not.toMatch(/DERIVED|MATERIALIZED|UNION RESULT/)
          expect(String(row.table), JSON.stringify(rows)).not.toMatch(/^<(derived|union|subquery)/)
        }
        // executed: every table access reads at most one row, however many versions follow `asOf`
        const analyzed = await ctx.db.run({
          sql: `ANALYZE FORMAT=JSON ${statement.sql}`,
          parameters: statement.parameters,
        })
        // (read as text: MariaDB prints conditions with unescaped quotes in ANSI_QUOTES mode)
        const text = String(Object.values(analyzed.rows[0]!)[0])
        const accesses = [...text.matchAll(/"table_name": "([^"]*)"[^}]*?"r_rows": (null|[\d.]+)/g)].map((m) => ({
          table: m[1],
          rows: m[2] === 'null' ? 0 : Number(m[2]),
        }))
        for (const a of accesses) expect(a.rows, text).toBeLessThanOrEqual(1)
        // the closed version is found in the history table by one lookup
        if (asOf === instants[1])
          expect(
            accesses.filter((a) => a.table === 'h' && a.rows === 1),
            text,
          ).toHaveLength(1)
      }
    })
  },
  (id) => id === 'mariadb',
)
