import { beforeAll, describe, expect, it } from 'vitest'
import { type Database, sql, UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { ALL_STRATEGIES, Audited, HardAudited, sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** Statements sent to the server for one call (the database's own counter; BEGIN and COMMIT count). */
async function sent<T>(db: Database, op: () => Promise<T>): Promise<[number, T]> {
  const before = db.metrics().queries.total
  const result = await op()
  return [db.metrics().queries.total - before, result]
}

/** `@@in_transaction` of `n` pooled connections at once (each query holds its own for 100 ms). */
async function inTransaction(db: Database, n: number): Promise<number[]> {
  const one = () => db.queryOne<{ t: unknown }>(sql`select @@in_transaction as t, sleep(0.1) as s`)
  const rows = await Promise.all(Array.from({ length: n }, one))
  return rows.map((r) => Number(r!.t))
}

// PostgreSQL family: every single-record write is one statement (a data-modifying CTE). MariaDB:
// the lock travels with BEGIN and the writes with COMMIT, as compound statements: two round trips;
// a change without audit entries is one (compared in SQL, written under a condition).
describeEngines('round trips of single-record writes', (ctx) => {
  const most = () => (ctx.family === 'postgres' ? 1 : 2)
  beforeAll(() => createTables(ctx.db, [...ALL_STRATEGIES, HardAudited]))

  for (const model of ALL_STRATEGIES) {
    it(`create, update, delete, restore, purge of ${model.def.temporal} send at most ${'1 (PostgreSQL) / 2 (MariaDB)'}`, async () => {
      const repo = ctx.db.repository(model, { tenantId: T1, userId: U1 })
      const [c, created] = await sent(ctx.db, () => repo.create(sample(100)))
      const [u, updated] = await sent(ctx.db, () => repo.update(created.id, { name: 'changed', age: 33 }))
      expect(updated.name).toBe('changed')
      const [same] = await sent(ctx.db, () => repo.update(created.id, { name: 'changed' }))
      const [d] = await sent(ctx.db, () => repo.delete(created.id))
      const [r, restored] = await sent(ctx.db, () => repo.restore(created.id))
      expect(restored?.name).toBe('changed')
      const [p] = await sent(ctx.db, () => repo.purge(created.id))
      expect(await repo.get(created.id, { includeDeleted: true })).toBeNull()
      for (const n of [c, u, same, d, r]) expect(n).toBeLessThanOrEqual(most())
      // without audit entries, MariaDB compares in SQL: a change is one compound statement
      if (ctx.id === 'mariadb' && model !== Audited) expect([u, same, d, r]).toEqual([1, 1, 1, 1])
      // a purge with a trail locks first, then deletes under a later snapshot: a transaction of two
      // statements on PostgreSQL (BEGIN, lock, DELETE, COMMIT), two round trips on MariaDB
      expect(p).toBeLessThanOrEqual(ctx.family === 'postgres' && model !== ALL_STRATEGIES[0] ? 4 : most())
      // what was written is all there
      if (model === Versioned) {
        const v = ctx.db.repository(Versioned, { tenantId: T1, userId: U1 })
        const again = await v.create(sample(101))
        await v.update(again.id, { name: 'v2' })
        expect((await v.getVersionHistory(again.id)).map((x) => [x.version, x.name])).toEqual([
          [1, again.name],
          [2, 'v2'],
        ])
      }
      if (model === Audited) {
        const a = ctx.db.repository(Audited, { tenantId: T1, userId: U1 })
        const again = await a.create(sample(102))
        await a.update(again.id, { name: 'a2', age: 44 })
        const trail = await a.getAuditHistory(again.id)
        expect(trail.filter((e) => e.operation === 'UPDATE').map((e) => [e.fieldName, e.oldValue, e.newValue])).toEqual(
          expect.arrayContaining([
            ['name', again.name, 'a2'],
            ['age', again.age, 44],
          ]),
        )
      }
    })
  }

  it('a hard delete with its audit entries sends at most 1 / 2', async () => {
    const repo = ctx.db.repository(HardAudited, { tenantId: T1, userId: U1 })
    const row = await repo.create({ name: 'h', amount: '1.5' })
    const [n] = await sent(ctx.db, () => repo.delete(row.id))
    expect(n).toBeLessThanOrEqual(most())
    const trail = await repo.getAuditHistory(row.id)
    expect(trail.filter((e) => e.operation === 'DELETE').map((e) => e.fieldName)).toEqual(
      expect.arrayContaining(['name', 'amount']),
    )
  })

  describe('when the statement that commits fails', () => {
    it('nothing of the write stays, and no connection goes back to the pool inside a transaction', async () => {
      const repo = ctx.db.repository(Versioned, { tenantId: T1, userId: U1 })
      const a = await repo.create(sample(200))
      const b = await repo.create(sample(201))
      for (let i = 0; i < 4; i++) {
        // the closed version is written, then the UPDATE violates the unique email
        await expect(repo.update(b.id, { email: a.email, name: `try ${i}` })).rejects.toBeInstanceOf(
          UniqueViolationError,
        )
      }
      expect((await repo.getVersionHistory(b.id)).map((v) => v.version)).toEqual([1])
      expect((await repo.get(b.id))!.name).toBe(b.name)
      if (ctx.family === 'mysql') expect(await inTransaction(ctx.db, 4)).toEqual([0, 0, 0, 0])
      // and the record is still writable: its lock was released
      const other = ctx.id === 'pglite' ? ctx.db : await ctx.open({ pool: { max: 1 } })
      await other.repository(Versioned, { tenantId: T1, userId: U1 }).update(b.id, { name: 'after' })
      expect((await repo.getVersionHistory(b.id)).map((v) => [v.version, v.name])).toEqual([
        [1, b.name],
        [2, 'after'],
      ])
    })
  })
})
