import type { Kysely } from 'kysely'
import type { Dialect } from '../../dialect/dialect.js'

export interface PoolStats {
  /** Open connections. */
  readonly total: number
  /** Open connections not in use. */
  readonly idle: number
  /** Callers waiting for a connection. */
  readonly waiting: number
  readonly max: number
}

/** What a driver module hands to `Database`: the Kysely instance and its pool. */
export interface Engine {
  readonly dialect: Dialect
  // biome-ignore lint/suspicious/noExplicitAny: the builder is untyped here; models type their own queries
  readonly kysely: Kysely<any>
  poolStats(): PoolStats
}
