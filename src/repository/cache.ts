import { deserialize, serialize } from 'node:v8'
import type { CacheStore } from '../db/cache-store.js'

export type { CacheStore }

export interface CacheOptions {
  /** How long an entry lives (default 30,000 ms). */
  readonly ttlMs?: number
  /** Default: one in-memory LRU store per `db`, shared by its repositories. */
  readonly store?: CacheStore
}

/** An in-process LRU store; values are stored and returned as copies. */
export function memoryCache(options: { maxEntries?: number } = {}): CacheStore {
  const max = options.maxEntries ?? 10_000
  const entries = new Map<string, { value: unknown; expires: number }>()
  const generations = new Map<string, number>()
  return {
    async get(key) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.expires <= Date.now()) {
        entries.delete(key)
        return undefined
      }
      entries.delete(key)
      entries.set(key, entry) // most recently used last
      return structuredClone(entry.value)
    },
    async set(key, value, ttlMs) {
      entries.delete(key)
      entries.set(key, { value: structuredClone(value), expires: Date.now() + ttlMs })
      while (entries.size > max) entries.delete(entries.keys().next().value as string)
    },
    async generation(table) {
      return generations.get(table) ?? 0
    },
    async bump(table) {
      generations.set(table, (generations.get(table) ?? 0) + 1)
    },
  }
}

/** The part of a Redis client the store uses (ioredis and node-redis v4 in legacy mode both fit). */
export interface RedisLike {
  get(key: string): Promise<string | null>
  set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>
  incr(key: string): Promise<number>
}

/**
 * A Redis store: entries and generations in Redis, so several processes share both the cache and its
 * invalidation. Values are serialized with v8 (Dates, bigints and Maps survive). Every key names the
 * database it caches (see CacheStore), so two databases never share entries under the default prefix;
 * `prefix` separates applications that share one Redis.
 */
export function redisCache(client: RedisLike, options: { prefix?: string } = {}): CacheStore {
  const prefix = options.prefix ?? 'ff-storage:'
  return {
    async get(key) {
      const raw = await client.get(`${prefix}v:${key}`)
      return raw === null ? undefined : deserialize(Buffer.from(raw, 'base64'))
    },
    async set(key, value, ttlMs) {
      await client.set(`${prefix}v:${key}`, serialize(value).toString('base64'), 'PX', Math.max(1, Math.round(ttlMs)))
    },
    async generation(table) {
      return Number((await client.get(`${prefix}g:${table}`)) ?? 0)
    },
    async bump(table) {
      await client.incr(`${prefix}g:${table}`)
    },
  }
}

/** A stable text for call arguments: key order, Dates and bigints do not make two keys differ. */
export function stableKey(value: unknown): string {
  if (value === undefined) return 'u'
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)
  }
  if (value instanceof Date) return `D${value.toISOString()}`
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableKey(v)}`).join(',')}}`
}
