import { AsyncLocalStorage } from 'node:async_hooks'
import type { Dialect } from '../dialect/dialect.js'
import type { CacheStore } from './cache-store.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { PoolStats } from './drivers/types.js'
import type { Metrics } from './metrics.js'
import type { ResolvedOptions } from './options.js'
import type { RetryEvents } from './retry.js'

/** Shared by a database and every transaction opened from it. */
export interface Runtime {
  readonly options: ResolvedOptions
  readonly dialect: Dialect
  readonly breaker: CircuitBreaker
  readonly metrics: Metrics
  /** Logs and counts a retry. */
  readonly retryEvents: RetryEvents
  /** The same, for one statement on its own: retried only when the server reports it rolled back. */
  readonly statementRetryEvents: RetryEvents
  /** Cache stores used by repositories of this database: every write invalidates in all of them. */
  readonly cacheStores: Set<CacheStore>
  /** The default in-memory store of this database, created on first use (by the repositories). */
  defaultCache: CacheStore | undefined
  /**
   * What identifies this database among every other one a cache store may serve: engine, host, port
   * and database name for servers (never credentials), the directory for PGlite on disk, a random
   * id for PGlite in memory. Part of every cache key and generation.
   */
  readonly identity: string
  poolStats(): PoolStats
  close(): Promise<void>
  closed: boolean
}

/** On a single-connection engine: the runtime whose connection the current async context holds. */
const HOLDING = new AsyncLocalStorage<Runtime>()
let holders = 0

/**
 * Run `body` as holding a single-connection engine's connection. The storage is switched off again
 * when no transaction holds one: while it is on, Node.js tracks every promise of the process, which
 * costs every later operation (about a quarter of the JavaScript time of a create, measured).
 */
export async function held<R>(runtime: Runtime, body: () => Promise<R>): Promise<R> {
  holders++
  try {
    return await HOLDING.run(runtime, body)
  } finally {
    if (--holders === 0) HOLDING.disable()
  }
}

/** True when the current async context runs inside a transaction holding `runtime`'s only connection. */
export function holding(runtime: Runtime): boolean {
  return HOLDING.getStore() === runtime
}
