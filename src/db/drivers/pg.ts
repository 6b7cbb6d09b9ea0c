import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { postgresDialect } from '../../dialect/postgres/dialect.js'
import { ConnectionError, PoolExhaustedError } from '../../errors.js'
import type { ResolvedOptions } from '../options.js'
import { PreparedStatements } from './pg-prepared.js'
import { POSTGRES_PARSERS } from './postgres-types.js'
import type { Engine } from './types.js'

const parseTextArray = pg.types.getTypeParser(1009 as never) as (text: string) => (string | null)[]
const TYPE_PARSERS: Record<number, (text: string) => unknown> = {
  ...POSTGRES_PARSERS,
  1016: (text) => parseTextArray(text).map((v) => (v === null ? null : BigInt(v))), // int8[] (PGlite does this itself)
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    return TYPE_PARSERS[oid] ?? pg.types.getTypeParser(oid, format ?? 'text')
  },
}

/**
 * A client handed back while still inside a transaction (its owner failed or gave up before COMMIT
 * or ROLLBACK) is destroyed, never reused; pg-pool already drops clients whose connection broke.
 */
const LISTENING = Symbol('ff-storage.listening')

function neverDirty(client: pg.PoolClient, onError: (error: Error) => void): pg.PoolClient {
  // pg emits 'error' on a checked-out client whose connection dies; unheard, that would crash the
  // process. The failure still reaches the query that was running.
  const marked = client as pg.PoolClient & { [LISTENING]?: true }
  if (!marked[LISTENING]) {
    marked[LISTENING] = true
    client.on('error', onError)
  }
  const release = client.release
  client.release = (error?: Error | boolean) => {
    const status = (client as unknown as { getTransactionStatus?(): string | null }).getTransactionStatus?.()
    const dirty = status !== undefined && status !== null && status !== 'I'
    // Kysely passes `false` when it has no reason to discard: only a real reason (or ours) destroys
    const reason =
      error === true || error instanceof Error ? error : dirty ? new Error('returned inside a transaction') : undefined
    return release.call(client, reason)
  }
  return client
}

const CONFIGURED = Symbol('ff-storage.configured')
type Configured = pg.PoolClient & { [CONFIGURED]?: true }

/**
 * What every session runs with, whatever the role or database says (`ALTER DATABASE … SET DateStyle
 * = 'SQL, DMY'`): the type parsers read ISO dates and instants, floats print every digit they have
 * (`extra_float_digits = 0` read 0.1 + 0.2 back as 0.3), generated DDL literals keep their
 * backslashes (standard_conforming_strings), and intervals print as PostgreSQL does by default.
 */
const FIXED = [
  "DateStyle = 'ISO, MDY'",
  'IntervalStyle = postgres',
  'extra_float_digits = 3',
  'standard_conforming_strings = on',
]

/**
 * Those and statement_timeout and idle_in_transaction_session_timeout, set without startup
 * parameters (which PgBouncer refuses: "unsupported startup parameter"): `SET` once when a
 * connection opens — that covers every statement on a direct connection or through a session-mode
 * pooler — and `SET LOCAL` folded into every BEGIN (no extra round trip), because a
 * transaction-mode pooler hands each transaction whichever server connection is free and a session
 * SET does not follow it. Outside a transaction, through such a pooler, set them on the role
 * (`ALTER ROLE app SET statement_timeout = '30s'`); docs/production.md says so. resolveOptions has
 * checked that the limits are whole numbers of ms.
 */
function sessionSettings(options: ResolvedOptions): { session: string; transaction: string } {
  const parts = [...FIXED]
  if (options.statementTimeoutMs !== undefined) {
    parts.push(`statement_timeout = ${Math.trunc(Number(options.statementTimeoutMs))}`)
  }
  if (options.idleInTransactionTimeoutMs !== undefined) {
    parts.push(`idle_in_transaction_session_timeout = ${Math.trunc(Number(options.idleInTransactionTimeoutMs))}`)
  }
  // every BEGIN carries the timeouts (as before), and the fixed formats only where the connection's
  // session may not be ours: behind a transaction-mode pooler, which needs preparedStatements: false
  // (with them on, a direct connection's session SET covers every transaction; no extra work per BEGIN)
  const local = options.preparedStatements ? parts.slice(FIXED.length) : parts
  return {
    session: parts.map((p) => `set ${p}`).join('; '),
    transaction: local.map((p) => `; set local ${p}`).join(''),
  }
}

/** `begin` becomes `begin; set local …` in the same simple-protocol message; callers see BEGIN's result. */
function withTransactionSettings(client: pg.PoolClient, suffix: string): void {
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult | pg.QueryResult[]>
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded query signature
  ;(client as any).query = function query(text: unknown, values?: unknown, callback?: unknown) {
    if (typeof text === 'string' && callback === undefined && (text === 'begin' || text === 'BEGIN')) {
      return original(text + suffix).then((results) => (Array.isArray(results) ? results[0] : results))
    }
    return original(text, values, callback)
  }
}

export function openPostgres(url: string, options: ResolvedOptions): Engine {
  const { pool: p } = options
  const pool = new pg.Pool({
    connectionString: url,
    max: p.max,
    min: p.min,
    idleTimeoutMillis: p.idleTimeoutMs,
    connectionTimeoutMillis: Math.max(p.acquireTimeoutMs, 1),
    application_name: 'ff-storage',
    types,
  } as pg.PoolConfig)
  const settings = sessionSettings(options)
  const prepared = options.preparedStatements ? new PreparedStatements() : undefined
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on('error', (err) => options.logger?.warn({ err }, 'ff-storage: idle PostgreSQL connection failed'))

  const guarded = {
    async connect() {
      const full = pool.totalCount >= p.max
      try {
        // listening for 'error' before the session SET: a connection that drops during it would
        // otherwise emit an unheard error and end the process
        const client = neverDirty(await pool.connect(), (err) =>
          options.logger?.warn({ err }, 'ff-storage: PostgreSQL connection failed while in use'),
        )
        if (!(client as Configured)[CONFIGURED]) {
          try {
            await client.query(settings.session)
          } catch (error) {
            client.release(error as Error)
            throw error
          }
          ;(client as Configured)[CONFIGURED] = true
          withTransactionSettings(client, settings.transaction)
        }
        prepared?.attach(client)
        return client
      } catch (cause) {
        if (cause instanceof Error && /timeout exceeded when trying to connect/i.test(cause.message)) {
          if (full || pool.totalCount >= p.max) {
            throw new PoolExhaustedError(
              `No PostgreSQL connection became free within ${p.acquireTimeoutMs} ms (pool max ${p.max})`,
              { cause },
            )
          }
          throw new ConnectionError(`Could not open a PostgreSQL connection within ${p.acquireTimeoutMs} ms`, {
            cause,
          })
        }
        throw cause
      }
    },
    end: () => pool.end(),
  }

  return {
    dialect: postgresDialect,
    kysely: new Kysely({ dialect: new PostgresDialect({ pool: guarded as unknown as pg.Pool }) }),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: p.max,
    }),
  }
}
