import type { CacheStore } from './cache-store.js'
import { checkConnectOptions } from './check-options.js'
import type { CircuitBreakerOptions } from './circuit-breaker.js'

/** A pino-compatible logger: any object with these methods (pino, or `console` wrapped). */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface PoolOptions {
  /** Connections kept open when idle (default 0). */
  readonly min?: number
  /** Upper bound on open connections (default 10). */
  readonly max?: number
  /** How long an operation may wait for a free connection before `PoolExhaustedError` (default 5,000 ms). */
  readonly acquireTimeoutMs?: number
  /** Idle connections above `min` are closed after this long (default 30,000 ms). */
  readonly idleTimeoutMs?: number
}

export interface RetryOptions {
  /** Total attempts, first included (default 3; 1 disables retries). */
  readonly attempts?: number
  /** First backoff in ms (default 20); doubles each attempt, with full jitter. */
  readonly baseDelayMs?: number
  /** Upper bound of one backoff (default 1,000 ms). */
  readonly maxDelayMs?: number
}

/**
 * Checked before anything opens: an unknown key (`statementTimeout`, `ssl`: TLS goes in the URL) or a
 * value of the wrong type or range (durations are whole ms from 1) is a `ConfigurationError`.
 */
export interface ConnectOptions {
  /** `postgres://…`, `mysql://…`, `mariadb://…`, `pglite:<dir>`; absent → PGlite in memory. */
  readonly url?: string | undefined
  /**
   * Accept embedded PGlite in memory when `url` is missing under NODE_ENV=production (otherwise a
   * ConfigurationError: an unset DATABASE_URL must not turn into a throwaway database).
   */
  readonly embedded?: boolean
  readonly pool?: PoolOptions
  /** Server-side limit per statement; exceeding it raises `QueryTimeoutError` (PGlite refuses it: ConfigurationError). */
  readonly statementTimeoutMs?: number
  /** Limit on opening a connection, and on the initial reachability check (default 10,000 ms). */
  readonly connectTimeoutMs?: number
  /** Sessions idle inside an open transaction longer than this are ended by the server (PostgreSQL, MySQL). */
  readonly idleInTransactionTimeoutMs?: number
  readonly logger?: Logger
  /** Statements slower than this are logged at warn level as slow (default 500 ms). */
  readonly slowQueryMs?: number
  /** Retry policy for transient failures of whole operations. */
  readonly retry?: RetryOptions
  /** Circuit breaker around the pool (default: opens after 5 consecutive connection failures for 10 s). */
  readonly circuitBreaker?: CircuitBreakerOptions
  /** Include bound values in log records (default false: values can be personal data). */
  readonly logParameters?: boolean
  /** `health()` reports `degraded` when the probe takes longer than this (default 1,000 ms). */
  readonly healthDegradedMs?: number
  /**
   * A cache store every write through this database invalidates, also when no repository of this
   * process caches (give the Redis store here so other processes' caches stay correct).
   */
  readonly cache?: CacheStore
  /**
   * PostgreSQL and PGlite: run repeated statement shapes as named prepared statements, parsed and
   * planned once per connection (default true). Set false behind a pooler that cannot hold them (PgBouncer before
   * 1.21, or without `max_prepared_statements`, in transaction mode).
   */
  readonly preparedStatements?: boolean
}

export const DEFAULT_POOL = {
  min: 0,
  max: 10,
  acquireTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
} as const

export interface ResolvedOptions {
  readonly pool: Required<PoolOptions>
  readonly statementTimeoutMs: number | undefined
  readonly connectTimeoutMs: number
  readonly idleInTransactionTimeoutMs: number | undefined
  readonly logger: Logger | undefined
  readonly slowQueryMs: number
  readonly retry: Required<RetryOptions>
  readonly circuitBreaker: CircuitBreakerOptions
  readonly logParameters: boolean
  readonly healthDegradedMs: number
  readonly cache: CacheStore | undefined
  readonly preparedStatements: boolean
}

/** Defaults filled in, after {@link checkConnectOptions} refused unknown keys and out-of-range values. */
export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  checkConnectOptions(options)
  return {
    pool: { ...DEFAULT_POOL, ...definedOnly(options.pool ?? {}) },
    statementTimeoutMs: options.statementTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs,
    logger: options.logger,
    slowQueryMs: options.slowQueryMs ?? 500,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 1_000, ...definedOnly(options.retry ?? {}) },
    circuitBreaker: options.circuitBreaker ?? {},
    logParameters: options.logParameters ?? false,
    healthDegradedMs: options.healthDegradedMs ?? 1_000,
    cache: options.cache,
    preparedStatements: options.preparedStatements ?? true,
  }
}

/** The entries of `o` that are not undefined (so spreading them never erases a default). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
