/**
 * Where cached reads live. Invalidation is by generation: every write to a table bumps the table's
 * generation, and keys include it, so nothing written before the bump is ever read again. A store
 * shared by several processes (Redis) shares the generations, and with them the invalidation.
 *
 * Tables are named for stores by the database they live in (engine, host, port and database name;
 * never credentials), their schema and their name, so one store can serve several databases; keys
 * also carry the model's shape, the scope, the method and its arguments.
 *
 * Declared here, beside the connect option that takes one, so `db/` needs nothing from the
 * repositories that fill and read the stores.
 */
export interface CacheStore {
  /** A copy of the cached value, or undefined. */
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, ttlMs: number): Promise<void>
  /** The current generation of a table's cache entries (`table`: database, schema and table name). */
  generation(table: string): Promise<number>
  /** Invalidate every entry of a table. */
  bump(table: string): Promise<void>
}
