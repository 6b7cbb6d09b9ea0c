import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConnectionError,
  type ConnectOptions,
  connect,
  type Database,
  FFStorageError,
  NotFoundError,
  sql,
} from '../../src/index.js'
import { selectedEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'
import { type FaultProxy, faultProxy, urlThrough } from '../helpers/proxy.js'
import {
  type PrivateServer,
  privateMariadb,
  privatePostgres,
  type StopMode,
  stopPrivateServers,
} from '../helpers/servers.js'

/**
 * The fault suite: on a server of its own (a private PostgreSQL cluster, a private mariadbd), under
 * contention with deletes and restores, killed backends, replies lost after COMMIT, restarts, pool
 * bursts and statement timeouts, every invariant is read back from the tables by direct SQL.
 * A quick pass runs with the integration tests; `FF_SOAK=1` runs each workload for FF_SOAK_MS
 * (default five minutes).
 */
const SOAK = process.env.FF_SOAK === '1'
const WORKLOAD_MS = SOAK ? Number(process.env.FF_SOAK_MS ?? 300_000) : 2_500
const TIMEOUT = WORKLOAD_MS * 6 + 120_000

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What became of one update: acknowledged, refused as missing, or failed with a typed error. */
type Outcome = 'ack' | 'missing' | 'unknown' | 'failed'

class Ledger {
  /** Shared by every test on one server: the invariants cover all the tables hold. */
  readonly outcomes: Map<string, Outcome>
  constructor(outcomes: Map<string, Outcome>) {
    this.outcomes = outcomes
  }
  ops = 0
  errors = new Map<string, number>()
  record(name: string, outcome: Outcome) {
    this.outcomes.set(name, outcome)
  }
  error(e: unknown): Outcome {
    // only typed errors may surface
    if (!(e instanceof FFStorageError)) throw e
    this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1)
    if (e instanceof NotFoundError) return 'missing'
    // a lost connection may have lost the reply to a write that was applied
    return e instanceof ConnectionError ? 'unknown' : 'failed'
  }
}

let counter = 0

for (const engine of ['postgres', 'mariadb'] as const) {
  describe.skipIf(!selectedEngines().includes(engine))(`faults on a private ${engine} server`, () => {
    const pg = engine === 'postgres'
    let server: PrivateServer
    let check: Database
    let proxy: FaultProxy
    const open: Database[] = []
    const outcomes = new Map<string, Outcome>()
    beforeAll(async () => {
      server = pg ? await privatePostgres() : await privateMariadb()
      check = await connect({ url: server.url, pool: { max: 2 }, retry: { attempts: 10, baseDelayMs: 50 } })
      await createTables(check, [Audited, Versioned])
      proxy = await faultProxy({ host: '127.0.0.1', port: server.port })
    }, 180_000)
    afterAll(async () => {
      for (const db of open) await db.close().catch(() => {})
      await check?.close().catch(() => {})
      await proxy?.close()
      await stopPrivateServers()
    }, 180_000)

    const database = async (options: Omit<ConnectOptions, 'url'> & { throughProxy?: boolean } = {}) => {
      const { throughProxy, ...rest } = options
      const db = await connect({ ...rest, url: throughProxy ? urlThrough(server.url, proxy.port) : server.url })
      open.push(db)
      return db
    }

    /** Connections the server has open to `test`, the checker's own excluded. */
    const serverConnections = async () => {
      const row = await check.queryOne<{ n: number | bigint | string }>(
        pg
          ? sql`select count(*) as n from pg_stat_activity where datname = 'test' and backend_type = 'client backend'`
          : sql`select count(*) as n from information_schema.processlist where db = 'test'`,
      )
      return Number(row!.n) - check.poolStats().total
    }

    /** Kill one backend serving `test` (not the checker's). */
    const killOne = async () => {
      if (pg) {
        await check.query(
          sql`select pg_terminate_backend(pid) from (select pid from pg_stat_activity where datname = 'test' and backend_type = 'client backend' and pid <> pg_backend_pid() order by random() limit 1) k`,
        )
        return
      }
      const rows = await check.query<{ id: number | bigint }>(
        sql`select id from information_schema.processlist where db = 'test' and id <> connection_id() and command <> 'Daemon' order by rand() limit 1`,
      )
      for (const r of rows) await check.execute(sql.raw(`KILL CONNECTION ${Number(r.id)}`)).catch(() => {})
    }

    /** Records to work on, created through the checker. */
    const records = async (n: number) => {
      const a = check.repository(Audited, { tenantId: T1, userId: U1 })
      const v = check.repository(Versioned, { tenantId: T1, userId: U1 })
      const out = { audited: [] as string[], versioned: [] as string[] }
      for (let i = 0; i < n; i++) {
        counter++
        out.audited.push((await a.create(sample(counter, { email: `f${engine}${counter}a@example.com` }))).id)
        out.versioned.push((await v.create(sample(counter, { email: `f${engine}${counter}v@example.com` }))).id)
      }
      return out
    }

    /** Workers updating, deleting and restoring a few records until `until` resolves. */
    const workload = async (
      db: Database,
      ids: { audited: string[]; versioned: string[] },
      ledger: Ledger,
      workers: number,
      stop: () => boolean,
    ) => {
      const a = db.repository(Audited, { tenantId: T1, userId: U1 })
      const v = db.repository(Versioned, { tenantId: T1, userId: U1 })
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let i = 0; !stop(); i++) {
            ledger.ops++
            const scd2 = (w + i) % 2 === 1
            const list = scd2 ? ids.versioned : ids.audited
            const repo = scd2 ? v : a
            const id = list[(w * 7 + i) % list.length]!
            const roll = Math.random()
            try {
              if (roll < 0.08) await repo.delete(id)
              else if (roll < 0.16) await repo.restore(id)
              else if (roll < 0.26) {
                // two records in one transaction: both or neither
                const n1 = `t${engine}-${++counter}`
                const n2 = `t${engine}-${++counter}`
                try {
                  await db.transaction(async (tx) => {
                    await tx.repository(Audited, { tenantId: T1, userId: U1 }).update(ids.audited[0]!, { name: n1 })
                    await tx.repository(Versioned, { tenantId: T1, userId: U1 }).update(ids.versioned[0]!, { name: n2 })
                  })
                  ledger.record(n1, 'ack')
                  ledger.record(n2, 'ack')
                } catch (e) {
                  const outcome = ledger.error(e)
                  ledger.record(n1, outcome === 'missing' ? 'failed' : outcome)
                  ledger.record(n2, outcome === 'missing' ? 'failed' : outcome)
                }
              } else {
                const name = `u${engine}-${++counter}`
                await repo.update(id, { name }).then(
                  () => ledger.record(name, 'ack'),
                  async (e: unknown) => {
                    ledger.record(name, ledger.error(e))
                    if (!(e instanceof NotFoundError)) await wait(5)
                  },
                )
              }
            } catch (e) {
              ledger.error(e)
              await wait(5)
            }
          }
        }),
      )
    }

    /** Every invariant, read back by direct SQL. */
    const invariants = async (ledger: Ledger) => {
      const traces = new Map<string, number>()
      const count = (name: string) => traces.set(name, (traces.get(name) ?? 0) + 1)
      // copy_on_change: chains continuous per record and field, ending at the current value
      const json = pg ? sql`a.old_value::text as o, a.new_value::text as n` : sql`a.old_value as o, a.new_value as n`
      const audit = await check.query<{
        record_id: string
        field_name: string
        o: string | null
        n: string | null
        operation: string
      }>(sql`select a.record_id, a.field_name, ${json}, a.operation from audited_users_audit a order by a.audit_id`)
      const current = new Map(
        (
          await check.query<{ id: string; name: string; deleted_at: Date | null }>(
            sql`select id, name, deleted_at from audited_users`,
          )
        ).map((r) => [r.id, r]),
      )
      const chains = new Map<string, (string | null)[][]>()
      for (const e of audit) {
        const key = `${e.record_id}/${e.field_name}`
        const parse = (t: string | null) => (t === null ? null : JSON.parse(t))
        const chain = chains.get(key) ?? []
        chain.push([parse(e.o), parse(e.n), e.operation])
        chains.set(key, chain)
        if (e.field_name === 'name' && e.operation === 'UPDATE') count(parse(e.n))
      }
      for (const [key, chain] of chains) {
        // user fields start with the INSERT entry, deletedAt with its first DELETE: from nothing
        expect(chain[0]![2], key).toBe(key.endsWith('/deletedAt') ? 'DELETE' : 'INSERT')
        expect(chain[0]![0], key).toBeNull()
        for (let i = 1; i < chain.length; i++) expect(chain[i]![0], `${key} #${i}`).toEqual(chain[i - 1]![1])
        const [id, field] = key.split('/')
        const row = current.get(id!)!
        if (field === 'name') expect(chain.at(-1)![1], key).toBe(row.name)
        if (field === 'deleted_at') expect(chain.at(-1)![1] === null, key).toBe(row.deleted_at === null)
      }
      // scd2: versions 1..n, one current row, intervals contiguous and increasing
      const versions = await check.query<{
        id: string
        version: number
        valid_from: Date
        valid_to: Date | null
        name: string
        cur: number
      }>(
        sql`select id, version, valid_from, valid_to, name, 0 as cur from versioned_users_history
            union all select id, version, valid_from, valid_to, name, 1 as cur from versioned_users order by 1, 2`,
      )
      const byId = new Map<string, typeof versions>()
      for (const v of versions) byId.set(v.id, [...(byId.get(v.id) ?? []), v])
      for (const [id, list] of byId) {
        expect(
          list.map((v) => Number(v.version)),
          id,
        ).toEqual(list.map((_, i) => i + 1))
        expect(
          list.filter((v) => Number(v.cur) === 1),
          id,
        ).toHaveLength(1)
        expect(Number(list.at(-1)!.cur), id).toBe(1)
        expect(list.at(-1)!.valid_to, id).toBeNull()
        for (let i = 1; i < list.length; i++) {
          expect(list[i - 1]!.valid_to?.getTime(), `${id} v${i}`).toBe(list[i]!.valid_from.getTime())
          expect(list[i]!.valid_from.getTime()).toBeGreaterThan(list[i - 1]!.valid_from.getTime())
          if (list[i]!.name !== list[i - 1]!.name) count(list[i]!.name)
        }
      }
      // acknowledged writes present, refused ones absent, nothing applied twice
      const seen = { ack: 0, unknown: 0, unknownApplied: 0, missing: 0, failed: 0 }
      for (const [name, outcome] of ledger.outcomes) {
        const n = traces.get(name) ?? 0
        seen[outcome]++
        if (outcome === 'ack') expect(n, `acknowledged ${name}`).toBe(1)
        else if (outcome === 'unknown') {
          expect(n, `unknown ${name}`).toBeLessThanOrEqual(1)
          seen.unknownApplied += n
        } else expect(n, `${outcome} ${name}`).toBe(0)
      }
      for (const [name, n] of traces) {
        expect(n, `applied twice: ${name}`).toBe(1)
        expect(ledger.outcomes.has(name), `applied but never asked: ${name}`).toBe(true)
      }
      return seen
    }

    const report = (title: string, ledger: Ledger, seen: object) =>
      console.info(
        `[faults ${engine}] ${title}: ${ledger.ops} operations, errors ${JSON.stringify(Object.fromEntries(ledger.errors))}, outcomes so far on this server ${JSON.stringify(seen)}`,
      )

    /** The gauge matches the server, and both return to `min` (0) once idle. */
    const backToBaseline = async (db: Database) => {
      for (let i = 0; i < 60 && (db.poolStats().total !== 0 || (await serverConnections()) !== 0); i++) await wait(100)
      expect(db.poolStats()).toMatchObject({ total: 0, waiting: 0 })
      expect(await serverConnections()).toBe(0)
    }

    it(
      'contention with deletes and restores, and killed backends',
      async () => {
        const db = await database({
          pool: { max: 8, idleTimeoutMs: 500 },
          retry: { attempts: 5, baseDelayMs: 2, maxDelayMs: 50 },
          circuitBreaker: { failureThreshold: 0 },
        })
        const ids = await records(3)
        const ledger = new Ledger(outcomes)
        const until = Date.now() + WORKLOAD_MS
        let kills = 0
        const killer = (async () => {
          while (Date.now() < until) {
            await wait(100)
            await killOne()
            kills++
          }
        })()
        await Promise.all([workload(db, ids, ledger, 8, () => Date.now() >= until), killer])
        const seen = await invariants(ledger)
        report(`contention + ${kills} killed backends`, ledger, seen)
        expect(seen.ack).toBeGreaterThan(0)
        await backToBaseline(db)
      },
      TIMEOUT,
    )

    it(
      'replies lost after COMMIT (and after single-statement writes): nothing applied twice, nothing half-applied',
      async () => {
        const db = await database({
          throughProxy: true,
          pool: { max: 4, idleTimeoutMs: 500 },
          retry: { attempts: 4, baseDelayMs: 2, maxDelayMs: 50 },
          circuitBreaker: { failureThreshold: 0 },
        })
        const ids = await records(2)
        const ledger = new Ledger(outcomes)
        const cutsBefore = proxy.cuts
        proxy.loseReply = (chunk) => {
          const text = chunk.toString('latin1').toLowerCase()
          if (text.includes('commit')) return Math.random() < 0.25
          // PostgreSQL writes are one statement: lose some of their replies too
          return pg && (text.includes('update') || text.includes('with old')) && Math.random() < 0.05
        }
        const until = Date.now() + WORKLOAD_MS
        try {
          await workload(db, ids, ledger, 4, () => Date.now() >= until)
        } finally {
          proxy.loseReply = undefined
        }
        const seen = await invariants(ledger)
        report(`lost replies (${proxy.cuts - cutsBefore} cut)`, ledger, seen)
        expect(proxy.cuts - cutsBefore).toBeGreaterThan(0)
        expect(seen.unknown).toBeGreaterThan(0)
        await backToBaseline(db)
      },
      TIMEOUT,
    )

    const modes: StopMode[] = pg ? ['fast', 'immediate', 'kill'] : ['term', 'kill']
    for (const mode of modes) {
      it(
        `restart (${mode}): the same Database recovers, acknowledged writes survive`,
        async () => {
          const db = await database({
            pool: { max: 4, idleTimeoutMs: 500, acquireTimeoutMs: 2_000 },
            retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
            circuitBreaker: { failureThreshold: 3, cooldownMs: 300 },
          })
          const ids = await records(2)
          const ledger = new Ledger(outcomes)
          let done = false
          const running = workload(db, ids, ledger, 4, () => done)
          await wait(Math.min(WORKLOAD_MS, 800))
          const oldPid = server.pid()
          await server.restart(mode)
          expect(server.pid()).not.toBe(oldPid)
          await wait(Math.min(WORKLOAD_MS, 1_500))
          done = true
          await running
          // the same Database object works again once the circuit lets a trial through
          let ok = false
          for (let i = 0; i < 100 && !ok; i++) {
            ok = await db.query(sql`select 1 as one`).then(
              () => true,
              () => false,
            )
            if (!ok) await wait(100)
          }
          expect(ok).toBe(true)
          const after = `r${engine}-${++counter}`
          const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
          await repo.restore(ids.audited[1]!)
          await repo.update(ids.audited[1]!, { name: after })
          ledger.record(after, 'ack')
          const seen = await invariants(ledger)
          report(`restart ${mode}`, ledger, seen)
          expect(seen.ack).toBeGreaterThan(1)
          await backToBaseline(db)
        },
        TIMEOUT,
      )
    }

    it(
      'pool bursts and statement timeouts: typed errors only, connections back to baseline',
      async () => {
        const db = await database({
          pool: { max: 4, acquireTimeoutMs: 100, idleTimeoutMs: 400 },
          statementTimeoutMs: 300,
          retry: { attempts: 2, baseDelayMs: 1 },
        })
        const ids = await records(2)
        const ledger = new Ledger(outcomes)
        const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
        const rounds = SOAK ? Math.ceil(WORKLOAD_MS / 1_000) : 3
        for (let round = 0; round < rounds; round++) {
          await Promise.all(
            Array.from({ length: 40 }, async (_, i) => {
              ledger.ops++
              if (i % 8 === 0) {
                await db.query(pg ? sql`select pg_sleep(1)` : sql`select sleep(1)`).then(
                  () => ledger.errors.set('NOT_CANCELLED', (ledger.errors.get('NOT_CANCELLED') ?? 0) + 1),
                  (e: unknown) => ledger.error(e),
                )
                return
              }
              const name = `b${engine}-${++counter}`
              await repo.update(ids.audited[i % 2]!, { name }).then(
                () => ledger.record(name, 'ack'),
                (e: unknown) => ledger.record(name, ledger.error(e)),
              )
            }),
          )
        }
        const seen = await invariants(ledger)
        report('pool bursts + statement timeouts', ledger, seen)
        expect(ledger.errors.get('QUERY_TIMEOUT') ?? 0).toBeGreaterThan(0)
        expect(ledger.errors.get('NOT_CANCELLED')).toBeUndefined()
        expect(ledger.errors.get('POOL_EXHAUSTED') ?? 0).toBeGreaterThan(0)
        await backToBaseline(db)
      },
      TIMEOUT,
    )
  })
}
