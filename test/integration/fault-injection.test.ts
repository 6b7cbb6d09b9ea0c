import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  CircuitOpenError,
  ConnectionError,
  type Database,
  PoolExhaustedError,
  QueryTimeoutError,
  sql,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'
import { type FaultProxy, faultProxy, urlThrough } from '../helpers/proxy.js'

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Fault injection needs real servers and connections: PostgreSQL and MariaDB. */
describeEngines(
  'fault injection',
  (ctx) => {
    const pg = ctx.family === 'postgres'
    let proxy: FaultProxy
    beforeAll(async () => {
      await createTables(ctx.db, [Audited, Versioned])
      const u = new URL(ctx.url!)
      proxy = await faultProxy({ host: u.hostname, port: Number(u.port) })
    })
    afterAll(() => proxy.close())
    const through = (options: Parameters<typeof ctx.open>[0] = {}) => connect(urlThrough(ctx.url!, proxy.port), options)
    const connect = async (url: string, options: Parameters<typeof ctx.open>[0] = {}) => {
      const { connect: open } = await import('../../src/index.js')
      return open({ ...options, url })
    }
    const backendId = (db: Database) =>
      db.queryOne<{ id: number | bigint }>(pg ? sql`select pg_backend_pid() as id` : sql`select connection_id() as id`)

    it('fails with PoolExhaustedError after acquireTimeoutMs instead of waiting forever, then recovers', async () => {
      const db = await ctx.open({ pool: { max: 2, acquireTimeoutMs: 300 } })
      let release!: () => void
      const hold = new Promise<void>((resolve) => {
        release = resolve
      })
      const holders = [1, 2].map(() =>
        db.transaction(async (tx) => {
          await tx.query(sql`select 1`)
          await hold
        }),
      )
      await wait(50)
      const started = Date.now()
      const error = await db.query(sql`select 1 as one`).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(PoolExhaustedError)
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      expect(Date.now() - started).toBeLessThan(2_000)
      release()
      await Promise.all(holders)
      expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
      expect(db.poolStats()).toMatchObject({ waiting: 0, max: 2 })
    })

    it('re-runs a transaction whose backend was killed before COMMIT, writing once', async () => {
      const db = await ctx.open({ retry: { attempts: 3, baseDelayMs: 1 } })
      const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
      const made = await repo.create(sample(1))
      let attempts = 0
      await db.transaction(async (tx) => {
        attempts++
        const r = tx.repository(Audited, { tenantId: T1, userId: U1 })
        await r.update(made.id, { age: 77 })
        if (attempts === 1) {
          const { id } = (await backendId(tx))!
          await ctx.db.execute(pg ? sql`select pg_terminate_backend(${Number(id)})` : sql.raw(`KILL ${Number(id)}`))
          await tx.query(sql`select 1`) // the connection is gone: ConnectionError, transaction re-run
        }
      })
      expect(attempts).toBe(2)
      const ages = (await repo.getFieldHistory(made.id, 'age')).map((e) => e.newValue)
      expect(ages).toEqual([made.age, 77])
      // the dead connection was not returned to the pool: everything still works
      for (let i = 0; i < 5; i++) expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
    })

    it('never retries a statement timeout', async () => {
      const db = await ctx.open({ statementTimeoutMs: 100 })
      let attempts = 0
      const error = await db
        .transaction(async (tx) => {
          attempts++
          await tx.query(pg ? sql`select pg_sleep(2)` : sql`select sleep(2)`)
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(QueryTimeoutError)
      expect(attempts).toBe(1)
    })

    it('never hands out a connection left inside a transaction', async () => {
      const db = await ctx.open({ pool: { max: 1 } })
      // a caller of the raw query builder opens a transaction and walks away
      await db.kysely.connection().execute(async (c) => {
        await sql`begin`.execute(c)
        await sql`select 1`.execute(c)
      })
      const state = await db.queryOne<{ open: unknown }>(
        pg ? sql`select now() <> statement_timestamp() as open` : sql`select @@in_transaction as open`,
      )
      expect(Number(state?.open)).toBe(0) // false on PostgreSQL, 0 on MariaDB
    })

    it('opens the circuit when the server refuses connections, fails fast, and closes when it is back', async () => {
      const db = await through({
        circuitBreaker: { failureThreshold: 3, cooldownMs: 400 },
        pool: { acquireTimeoutMs: 1_000 },
        retry: { attempts: 1 },
      })
      expect((await db.health()).status).toBe('healthy')
      await proxy.down()
      for (let i = 0; i < 3; i++) await expect(db.query(sql`select 1`)).rejects.toBeInstanceOf(ConnectionError)
      const started = Date.now()
      await expect(db.query(sql`select 1`)).rejects.toBeInstanceOf(CircuitOpenError)
      expect(Date.now() - started).toBeLessThan(50)
      const sick = await db.health()
      expect(sick.status).toBe('unhealthy')
      expect(sick.circuit.state).toBe('open')
      await proxy.up()
      await wait(450)
      expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 }) // the half-open trial
      const well = await db.health()
      expect(well.status).toBe('healthy')
      expect(well.circuit.state).toBe('closed')
      await db.close()
    })

    it('survives 1,000 operations with random dropped connections: nothing half-written, pool back to baseline', async () => {
      const db = await through({
        pool: { max: 4, acquireTimeoutMs: 5_000, idleTimeoutMs: 1_000 },
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 20 },
        circuitBreaker: { failureThreshold: 0 },
      })
      const audited = db.repository(Audited, { tenantId: T1, userId: U1 })
      const versioned = db.repository(Versioned, { tenantId: T1, userId: U1 })
      const ids = { audited: [] as string[], versioned: [] as string[] }
      for (let i = 0; i < 4; i++) {
        ids.audited.push((await audited.create(sample(1000 + i))).id)
        ids.versioned.push((await versioned.create(sample(2000 + i))).id)
      }
      proxy.failureRate = 0.01
      const outcomes = { ok: 0, failed: 0 }
      await Promise.all(
        Array.from({ length: 4 }, async (_, worker) => {
          for (let i = 0; i < 250; i++) {
            const n = worker * 1000 + i
            const op =
              n % 4 === 0
                ? audited.update(ids.audited[n % 4]!, { name: `a${n}` })
                : n % 4 === 1
                  ? versioned.update(ids.versioned[n % 4]!, { name: `v${n}` })
                  : n % 4 === 2
                    ? audited.create(sample(10_000 + n))
                    : db.transaction(async (tx) => {
                        await tx
                          .repository(Audited, { tenantId: T1, userId: U1 })
                          .update(ids.audited[1]!, { age: n % 150 })
                        await tx
                          .repository(Versioned, { tenantId: T1, userId: U1 })
                          .update(ids.versioned[1]!, { age: n % 150 })
                      })
            await op.then(
              () => outcomes.ok++,
              (e: unknown) => {
                if (!(e instanceof ConnectionError)) throw e
                outcomes.failed++
              },
            )
          }
        }),
      )
      proxy.failureRate = 0
      expect(outcomes.ok + outcomes.failed).toBe(1000)
      expect(proxy.cuts).toBeGreaterThan(0)
      // nothing half-written: every audited record's trail explains its current values
      const check = ctx.db.repository(Audited, { tenantId: T1 })
      for (const id of ids.audited) {
        const record = (await check.get(id))!
        const trail = await check.getAuditHistory(id)
        for (const field of ['name', 'age'] as const) {
          const last = trail.filter((e) => e.fieldName === field).at(-1)
          expect(last?.newValue).toEqual(record[field])
        }
        const chain = trail.filter((e) => e.fieldName === 'name')
        for (let i = 1; i < chain.length; i++) expect(chain[i]!.oldValue).toEqual(chain[i - 1]!.newValue)
      }
      const versions = ctx.db.repository(Versioned, { tenantId: T1 })
      for (const id of ids.versioned) {
        const history = await versions.getVersionHistory(id)
        expect(history.map((v) => v.version)).toEqual(history.map((_, i) => i + 1))
        for (let i = 1; i < history.length; i++) expect(history[i - 1]!.validTo).toEqual(history[i]!.validFrom)
      }
      // the pool is back to its baseline: nobody waits, nothing leaked, idle connections reaped
      await wait(1_500)
      const stats = db.poolStats()
      expect(stats.waiting).toBe(0)
      expect(stats.total).toBeLessThanOrEqual(4)
      expect(stats.idle).toBe(stats.total)
      expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
      await db.close()
    }, 120_000)
  },
  (id) => id !== 'pglite',
)
