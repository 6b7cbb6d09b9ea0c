import { expect, it } from 'vitest'
import { type Database, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Pools release idle connections above `min`, and their gauges match the server's own count. */
describeEngines(
  'pool gauges and idle connections',
  (ctx) => {
    const pg = ctx.family === 'postgres'
    /** Connections the server has open to this file's database, as the server counts them. */
    const serverCount = async () => {
      const row = await ctx.db.queryOne<{ n: number | bigint | string }>(
        pg
          ? sql`select count(*) as n from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`
          : sql`select count(*) as n from information_schema.processlist where db = database()`,
      )
      return Number(row!.n) - ctx.db.poolStats().total // minus the connections of ctx.db itself
    }
    const burst = (db: Database, n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          db.transaction((tx) => tx.query(pg ? sql`select pg_sleep(0.2)` : sql`select sleep(0.2)`)),
        ),
      )
    /** The gauge and the server agree (the server's view settles a moment after a close). */
    const settled = async (db: Database, expected: number) => {
      for (let i = 0; i < 40 && (await serverCount()) !== expected; i++) await wait(50)
      expect(db.poolStats().total).toBe(expected)
      expect(await serverCount()).toBe(expected)
    }

    for (const min of [0, 2]) {
      it(`min ${min}: a burst opens max connections; idle ones above min close after idleTimeoutMs`, async () => {
        const db = await ctx.open({ pool: { min, max: 6, idleTimeoutMs: 400, acquireTimeoutMs: 5_000 } })
        await burst(db, 6)
        expect(db.poolStats()).toMatchObject({ total: 6, idle: 6, waiting: 0 })
        await settled(db, 6)
        await wait(1_800)
        expect(db.poolStats()).toMatchObject({ idle: min, waiting: 0 })
        await settled(db, min)
        // and the pool still works, growing again on demand
        await burst(db, 3)
        expect(db.poolStats().total).toBeGreaterThanOrEqual(3)
        await db.close()
        await settled(db, 0)
      })
    }
  },
  (id) => id !== 'pglite',
)
