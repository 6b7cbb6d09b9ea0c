import { CompiledQuery, Kysely, MysqlDialect, type MysqlPool } from 'kysely'
import mysql, { type PoolConnection } from 'mysql2'
import { COMPOUND } from '../../dialect/mysql/compound.js'
import { mariadbDialect, mysqlDialect } from '../../dialect/mysql/dialect.js'
import { PoolExhaustedError } from '../../errors.js'
import type { ResolvedOptions } from '../options.js'
import { sessionSqlMode } from './mysql-sql-mode.js'
import type { Engine } from './types.js'

/** mysql2's column types (ColumnDefinition.columnType) that need a conversion. */
const TINY = 1
const LONGLONG = 8

/**
 * TINYINT(1) is MySQL's boolean; BIGINT becomes an exact bigint, as on PostgreSQL (mysql2 reads it
 * as its decimal text: supportBigNumbers + bigNumberStrings). Converted in place after the rows are
 * read, not with mysql2's `typeCast`: on the binary protocol (every bound statement) a typeCast
 * function makes mysql2 read each row field by field through wrappers, 8–10× the client CPU of its
 * generated row parser (100 rows of 15 columns: 4.9 ms against 0.47 ms, `scratch` measurement).
 */
function convertRows(rows: unknown[], fields: unknown): void {
  if (rows.length === 0 || !Array.isArray(fields)) return
  const booleans: string[] = []
  const bigints: string[] = []
  for (const f of fields as { name: string; columnType: number; columnLength: number }[]) {
    if (f.columnType === TINY && f.columnLength === 1) booleans.push(f.name)
    else if (f.columnType === LONGLONG) bigints.push(f.name)
  }
  if (booleans.length === 0 && bigints.length === 0) return
  for (const row of rows as Record<string, unknown>[]) {
    for (const k of booleans) {
      const v = row[k]
      if (v !== null && v !== undefined) row[k] = Number(v) !== 0
    }
    for (const k of bigints) {
      const v = row[k]
      if (v !== null && v !== undefined) row[k] = BigInt(v as string | number)
    }
  }
}

/** Server-side statements kept per connection (LRU, closed on eviction): the server's own limit is global. */
const PREPARED_PER_CONNECTION = 128

const TX_STATE = Symbol('ff-storage.tx')
/** A compound statement that opens a transaction, or ends with its COMMIT (the executor's fold). */
const OPENS = 'START TRANSACTION; '
const CLOSES = 'COMMIT; END'
type Tracked = PoolConnection & { [TX_STATE]?: { open: boolean; broken: boolean; wrapped: boolean } }

/**
 * mysql2 cannot tell whether a pooled connection is inside a transaction, so we track BEGIN /
 * COMMIT / ROLLBACK ourselves: a connection handed back inside a transaction, or after a fatal
 * error, is destroyed instead of reused.
 */
function neverDirty(conn: PoolConnection): PoolConnection {
  const c = conn as Tracked
  const state = c[TX_STATE] ?? { open: false, broken: false, wrapped: false }
  c[TX_STATE] = state
  state.open = false
  state.broken = false
  if (!state.wrapped) {
    state.wrapped = true
    const query = c.query.bind(c) as (...args: unknown[]) => unknown
    const execute = c.execute.bind(c) as (...args: unknown[]) => unknown
    ;(c as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const sql = typeof args[0] === 'string' ? args[0] : ''
      // transaction control is short: longer text is never lower-cased
      const control = sql.length <= 40 ? sql.trim().toLowerCase() : ''
      const compound = sql.startsWith(COMPOUND)
      if (control === 'begin' || control.startsWith('start transaction')) state.open = true
      else if (control === 'commit' || control === 'rollback') state.open = false
      else if (compound && sql.includes(OPENS)) state.open = true
      const last = args.at(-1)
      if (typeof last === 'function') {
        args[args.length - 1] = (error: { fatal?: boolean } | null, result: unknown, fields: unknown) => {
          if (error?.fatal) state.broken = true
          if (compound && !error) {
            // a compound statement that committed closed its transaction (one that failed is rolled
            // back by its caller); its rows are those of its last result set
            if (sql.endsWith(CLOSES)) state.open = false
            if (Array.isArray(result)) {
              const i = result.findLastIndex((r) => Array.isArray(r))
              fields = i >= 0 && Array.isArray(fields) ? fields[i] : undefined
              result = i >= 0 ? result[i] : []
            }
          }
          if (!error && Array.isArray(result)) convertRows(result, fields)
          return (last as (...a: unknown[]) => unknown)(error, result, fields)
        }
      }
      // Values go to the server as bound parameters of a server-side prepared statement, never
      // spliced into the text by a client-side escaper whose idea of the session's SQL mode
      // (NO_BACKSLASH_ESCAPES, say) may be wrong. Statements without values have nothing to escape.
      const values = args[1]
      if (Array.isArray(values) && values.length > 0 && typeof last === 'function') return execute(...args)
      return query(...args)
    }
    const release = c.release.bind(c)
    c.release = () => {
      if (state.open || state.broken) c.destroy()
      else release()
    }
  }
  return c
}

/**
 * For tests only: runs on every new connection before the library sets its session up, so a test
 * can give the session what a server's configuration would (`SET SESSION sql_mode = …`) without
 * changing global settings that other users of the server share.
 */
export const mysqlTestHooks: { onNewConnection?: ((conn: PoolConnection) => void) | undefined } = {}

export async function openMysql(url: string, options: ResolvedOptions): Promise<Engine> {
  const { pool: p } = options
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: p.max,
    // mysql2's own reaper runs only when maxIdle < max, and then closes every connection idle past
    // idleTimeout, `min` or not: it stays off, and `reap` below keeps `min`
    maxIdle: p.max,
    connectTimeout: options.connectTimeoutMs,
    timezone: 'Z',
    dateStrings: ['DATE'],
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    stringifyObjects: true,
    jsonStrings: true, // JSON as text, as MariaDB has it: one decoding path for the family
    charset: 'utf8mb4',
    maxPreparedStatements: PREPARED_PER_CONNECTION,
  })
  // Idle connection errors are emitted on the connection; never let them crash the process.
  pool.on('connection', (conn) => {
    conn.on('error', (err) => options.logger?.warn({ err }, 'ff-storage: MySQL connection failed'))
    mysqlTestHooks.onNewConnection?.(conn)
  })

  const all = pool as unknown as {
    _closed?: boolean
    _allConnections?: { length: number }
    _freeConnections?: { length: number; get(i: number): { lastActiveTime: number; destroy(): void } }
    _connectionQueue?: { length: number }
  }
  // Idle connections above `min` close after idleTimeoutMs, oldest first (the free list is in release order).
  const reap = () => {
    const free = all._freeConnections
    if (all._closed || !free || !all._allConnections) return
    while (
      free.length > 0 &&
      all._allConnections.length > p.min &&
      Date.now() - free.get(0).lastActiveTime >= p.idleTimeoutMs
    ) {
      free.get(0).destroy()
    }
  }
  const reaper = setInterval(reap, Math.max(50, Math.min(1_000, Math.floor(p.idleTimeoutMs / 2))))
  reaper.unref()

  let flavour: 'mysql' | 'mariadb' | undefined
  const guarded: MysqlPool = {
    getConnection(callback) {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        callback(
          new PoolExhaustedError(`No MySQL connection became free within ${p.acquireTimeoutMs} ms (pool max ${p.max})`),
          undefined as unknown as PoolConnection,
        )
      }, p.acquireTimeoutMs)
      pool.getConnection((err, conn) => {
        clearTimeout(timer)
        if (settled) {
          conn?.release()
          return
        }
        settled = true
        callback(err, err ? conn : neverDirty(conn))
      })
    },
    end: (callback) => {
      clearInterval(reaper)
      pool.end(callback)
    },
  }

  const kysely = new Kysely({
    dialect: new MysqlDialect({
      pool: guarded,
      async onCreateConnection(connection) {
        const { rows } = await connection.executeQuery<{ v: string; m: string }>(
          CompiledQuery.raw('select version() as v, @@session.sql_mode as m'),
        )
        flavour ??= /mariadb/i.test(rows[0]?.v ?? '') ? 'mariadb' : 'mysql'
        // the server's mode without the flags that change what generated SQL means, plus ANSI_QUOTES
        // (raw SQL fragments in models, "order" >= 0, mean the same on every engine): mysql-sql-mode.ts
        const mode = sessionSqlMode(rows[0]?.m ?? '')
        const set = ["time_zone = '+00:00'", `sql_mode = '${mode.replace(/[^A-Z0-9_,]/g, '')}'`]
        if (options.statementTimeoutMs !== undefined) {
          set.push(
            flavour === 'mariadb'
              ? `max_statement_time = ${Number(options.statementTimeoutMs) / 1000}`
              : `max_execution_time = ${Math.trunc(Number(options.statementTimeoutMs))}`,
          )
        }
        // MariaDB 10.11 answers a server-side prepared statement with EXISTS over a derived table (every
        // scoped query's EXISTS) wrongly from its second execution on while exists_to_in is on
        if (flavour === 'mariadb') set.push("optimizer_switch = 'exists_to_in=off'")
        if (options.idleInTransactionTimeoutMs !== undefined && flavour === 'mariadb') {
          set.push(`idle_transaction_timeout = ${Math.ceil(Number(options.idleInTransactionTimeoutMs) / 1000)}`)
        }
        await connection.executeQuery(CompiledQuery.raw(`set session ${set.join(', ')}`))
      },
    }),
  })
  // Open the first connection now: it tells MySQL from MariaDB.
  await kysely
    .connection()
    .execute(async () => {})
    .catch((error: unknown) => {
      clearInterval(reaper)
      throw error
    })
  return {
    dialect: flavour === 'mariadb' ? mariadbDialect : mysqlDialect,
    kysely,
    // an ended pool keeps its lists, but every connection in them is closed
    poolStats: () => ({
      total: all._closed ? 0 : (all._allConnections?.length ?? 0),
      idle: all._closed ? 0 : (all._freeConnections?.length ?? 0),
      waiting: all._closed ? 0 : (all._connectionQueue?.length ?? 0),
      max: p.max,
    }),
  }
}
