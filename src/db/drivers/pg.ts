import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { postgresDialect } from '../../dialect/postgres/dialect.js'
import { ConnectionError, PoolExhaustedError } from '../../errors.js'
import type { ResolvedOptions } from '../options.js'
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
    ...(options.statementTimeoutMs !== undefined && { statement_timeout: options.statementTimeoutMs }),
    ...(options.idleInTransactionTimeoutMs !== undefined && {
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    }),
  } as pg.PoolConfig)
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on('error', (err) => options.logger?.warn({ err }, 'ff-storage: idle PostgreSQL connection failed'))

  const guarded = {
    async connect() {
      const full = pool.totalCount >= p.max
      try {
        return neverDirty(await pool.connect(), (err) =>
          options.logger?.warn({ err }, 'ff-storage: PostgreSQL connection failed while in use'),
        )
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
