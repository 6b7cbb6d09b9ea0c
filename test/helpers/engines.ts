import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type ConnectOptions, connect, type Database, sql } from '../../src/index.js'
import { type RunningPgBouncer, startPgBouncer } from './pgbouncer.js'

/** `pgbouncer`: the PostgreSQL server through a private PgBouncer in transaction mode (see pgbouncer.test.ts). */
export type EngineId = 'pglite' | 'postgres' | 'mariadb' | 'pgbouncer'

export const SERVER_URLS: Record<'postgres' | 'mariadb', string> = {
  postgres: process.env.FF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: process.env.FF_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** Engines chosen by the global setup (FF_ENGINES, or PGlite plus the servers that answered). */
export function selectedEngines(): EngineId[] {
  const list = process.env.FF_ENGINES_SELECTED ?? 'pglite'
  return list.split(',').filter(Boolean) as EngineId[]
}

let suiteEngines: EngineId[] | undefined

/**
 * Make the suites defined from now on in this test file run on `ids` only (pgbouncer.test.ts imports
 * the repository and concurrency suites after `runSuitesOn(['pgbouncer'])`). Without it, suites run
 * on every selected engine but `pgbouncer`, which only the suites imported that way use.
 */
export function runSuitesOn(ids: EngineId[]): void {
  suiteEngines = ids
}

/** What a connection through the engine must be told (PgBouncer 1.18 cannot hold prepared statements). */
const ENGINE_OPTIONS: Partial<Record<EngineId, Omit<ConnectOptions, 'url'>>> = {
  pgbouncer: { preparedStatements: false },
}

export interface EngineContext {
  readonly id: EngineId
  readonly family: 'postgres' | 'mysql'
  /** The database for this test file (a fresh database per file and engine). */
  readonly db: Database
  /** The URL of this file's database (servers only). */
  readonly url: string | undefined
  /** Another connection (its own pool) to the same database; closed after the file. */
  open(options?: Omit<ConnectOptions, 'url'>): Promise<Database>
}

/**
 * Run a suite once per selected engine, each on a database of its own that is dropped afterwards,
 * so test files can run in parallel.
 */
export function describeEngines(
  title: string,
  body: (ctx: EngineContext) => void,
  filter: (id: EngineId) => boolean = () => true,
): void {
  const engines = (suiteEngines ?? selectedEngines().filter((e) => e !== 'pgbouncer')).filter(filter)
  if (engines.length === 0) {
    // a file whose suites all need servers still registers something, reported as skipped, so a run
    // without servers (`npm test` on a laptop) passes instead of failing with "No test suite found"
    const wanted = (['pglite', 'postgres', 'mariadb'] as const).filter(filter).join(' or ')
    it.skip(`${title}: runs on ${wanted || 'engines'}, not selected in this run (${selectedEngines().join(', ')})`)
    return
  }
  for (const id of engines) {
    describe(`${title} [${id}]`, () => {
      const extra: Database[] = []
      let admin: Database | undefined
      let dbName: string | undefined
      let current: Database | undefined
      let url: string | undefined
      let bouncer: RunningPgBouncer | undefined
      const ctx: EngineContext = {
        id,
        family: id === 'mariadb' ? 'mysql' : 'postgres',
        get db() {
          if (!current) throw new Error('engine database not open yet (use it inside hooks and tests)')
          return current
        },
        get url() {
          return url
        },
        async open(options = {}) {
          if (id === 'pglite') throw new Error('PGlite has a single connection; use ctx.db')
          const db = await connect({ ...ENGINE_OPTIONS[id], ...options, url: url! })
          extra.push(db)
          return db
        },
      }
      beforeAll(async () => {
        if (id === 'pglite') {
          current = await connect()
          return
        }
        dbName = `ff_t_${randomBytes(5).toString('hex')}`
        const server = id === 'mariadb' ? SERVER_URLS.mariadb : SERVER_URLS.postgres
        admin = await connect(server)
        await admin.execute(sql`create database ${sql.id(dbName)}`)
        if (id === 'pgbouncer') {
          bouncer = await startPgBouncer()
          url = bouncer.url(dbName)
        } else url = withDatabase(server, dbName)
        current = await connect({ ...ENGINE_OPTIONS[id], url })
      }, 60_000)
      afterAll(async () => {
        for (const db of extra) await db.close()
        await current?.close()
        await bouncer?.stop()
        if (admin && dbName) {
          await admin.execute(
            id !== 'mariadb'
              ? sql`drop database if exists ${sql.id(dbName)} with (force)`
              : sql`drop database if exists ${sql.id(dbName)}`,
          )
          await admin.close()
        }
      }, 60_000)
      body(ctx)
    })
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
