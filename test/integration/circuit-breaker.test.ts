import { afterAll, beforeAll, expect, it } from 'vitest'
import { CircuitOpenError, ConnectionError, connect, type Database, QueryError, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'
import { type FaultProxy, faultProxy, urlThrough } from '../helpers/proxy.js'

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The breaker covers transactions too (every MariaDB repository write is one). Servers only. */
describeEngines(
  'circuit breaker around transactions',
  (ctx) => {
    const pg = ctx.family === 'postgres'
    let proxy: FaultProxy
    beforeAll(async () => {
      await createTables(ctx.db, [Audited])
      const u = new URL(ctx.url!)
      proxy = await faultProxy({ host: u.hostname, port: Number(u.port) })
    })
    afterAll(() => proxy.close())

    const open = async (cooldownMs: number) => {
      const logs: string[] = []
      const log = (_: unknown, message: string) => logs.push(message)
      const logger = { warn: log, info: () => {}, debug: () => {}, error: log }
      const db = await connect({
        url: urlThrough(ctx.url!, proxy.port),
        circuitBreaker: { failureThreshold: 3, cooldownMs },
        pool: { max: 4, acquireTimeoutMs: 2_000 },
        retry: { attempts: 1 },
        logger,
      })
      return { db, circuitLogs: () => logs.filter((m) => m.includes('circuit')) }
    }
    const tx = (db: Database) => db.transaction((t) => t.query(sql`select 1 as one`))

    it('transactions fail fast while open, the first BEGIN after recovery waits for the cooldown and the trial', async () => {
      const { db, circuitLogs } = await open(1_500)
      const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
      const made = await repo.create(sample(1))
      await proxy.down()
      // ten transactions at once, all admitted while closed: one opening, one log
      const first = await Promise.all(Array.from({ length: 10 }, () => tx(db).catch((e: unknown) => e)))
      expect(first.every((e) => e instanceof ConnectionError)).toBe(true)
      expect((await db.health()).circuit.state).toBe('open')
      const during = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? tx(db) : repo.update(made.id, { name: `n${i}` })).catch((e: unknown) => e),
        ),
      )
      expect(during.filter((e) => e instanceof CircuitOpenError)).toHaveLength(20)
      await proxy.up()
      // the server answers again, but the cooldown is not over: no transaction may close the circuit
      await expect(tx(db)).rejects.toBeInstanceOf(CircuitOpenError)
      await expect(repo.update(made.id, { name: 'early' })).rejects.toBeInstanceOf(CircuitOpenError)
      expect((await db.health()).circuit.state).toBe('open')
      await wait(1_600)
      // the half-open trial is a transaction (a MariaDB write is one): it closes the circuit
      expect((await repo.update(made.id, { name: 'after' })).name).toBe('after')
      expect((await db.health()).circuit.state).toBe('closed')
      expect(circuitLogs()).toEqual([
        'ff-storage: circuit open',
        'ff-storage: circuit half-open',
        'ff-storage: circuit closed',
      ])
      await db.close()
    })

    it('a half-open trial transaction frees the circuit once its BEGIN is answered, not when it ends', async () => {
      const { db } = await open(300)
      await proxy.down()
      await Promise.all(Array.from({ length: 3 }, () => tx(db).catch(() => undefined)))
      expect((await db.health()).circuit.state).toBe('open')
      await proxy.up()
      await wait(400)
      // the trial: a transaction that holds on after its first statement
      let release = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const trial = db.transaction(async (t) => {
        await t.query(sql`select 1 as one`)
        await held
      })
      await wait(150)
      // the server answered the trial's BEGIN: others are not refused while it runs on
      const others = await Promise.all(Array.from({ length: 3 }, () => tx(db).catch((e: unknown) => e)))
      expect(others.filter((e) => e instanceof CircuitOpenError)).toHaveLength(0)
      expect((await db.health()).circuit.state).toBe('closed')
      release()
      await trial
      await db.close()
    })

    it('a transaction admitted before the outage that ends with a server error does not close the circuit', async () => {
      const { db, circuitLogs } = await open(60_000)
      await db.query(sql`select 1`)
      const slow = db
        .transaction(async (t) => {
          await t.query(pg ? sql`select pg_sleep(0.6)` : sql`select sleep(0.6)`)
          await t.query(sql`select * from no_such_table`)
        })
        .catch((e: unknown) => e)
      await wait(100)
      await proxy.refuse() // new connections fail, the slow transaction's connection lives on
      for (let i = 0; i < 3; i++) await expect(db.query(sql`select 1`)).rejects.toBeInstanceOf(ConnectionError)
      expect((await db.health()).circuit.state).toBe('open')
      expect(await slow).toBeInstanceOf(QueryError)
      expect((await db.health()).circuit.state).toBe('open')
      expect(circuitLogs()).toEqual(['ff-storage: circuit open'])
      await proxy.up()
      await db.close()
    })
  },
  (id) => id !== 'pglite',
)
