import type { Database } from '../db/database.js'
import { ModelContext } from '../mapping/model-context.js'
import type { Model, ModelDef } from '../model/define-model.js'
import { Scope, type ScopeOptions } from '../scope/scope.js'
import { type CacheOptions, type CacheStore, memoryCache, stableKey } from './cache.js'

/**
 * What every repository operation works with: the database (or transaction), the model on its
 * engine, the scope, and the read cache. Built once per repository; the write and read modules take it.
 */
export interface RepositoryCore<M extends Model = Model> {
  readonly model: M
  readonly def: ModelDef
  readonly db: Database
  readonly scope: Scope
  readonly scopeOptions: ScopeOptions
  readonly ctx: ModelContext
  readonly cache: { readonly store: CacheStore; readonly ttlMs: number; readonly scopeKey: string } | undefined
}

const contexts = new WeakMap<ModelDef, Map<string, ModelContext>>()

/** The model on an engine, built once per model and engine (its write plans cache statement shapes). */
export function contextFor(def: ModelDef, db: Database): ModelContext {
  let byEngine = contexts.get(def)
  if (!byEngine) {
    byEngine = new Map()
    contexts.set(def, byEngine)
  }
  let ctx = byEngine.get(db.dialect.name)
  if (!ctx) {
    ctx = new ModelContext(def, db.dialect)
    byEngine.set(db.dialect.name, ctx)
  }
  return ctx
}

export function repositoryCore<M extends Model>(
  db: Database,
  model: M,
  options: ScopeOptions & { readonly cache?: CacheOptions },
): RepositoryCore<M> {
  const { cache, ...scopeOptions } = options
  const scope = new Scope(model.def, scopeOptions)
  let cached: RepositoryCore['cache']
  if (cache) {
    const runtime = db.runtime
    runtime.defaultCache ??= memoryCache()
    const store = cache.store ?? runtime.defaultCache
    runtime.cacheStores.add(store)
    const tenants = scope.tenants
    // strict and permissive scopes never share entries, nor do different tenant lists
    // each tenant quoted: text ids may contain ',' (['a,b', 'c'] and ['a', 'b,c'] are different scopes)
    const scopeKey = tenants ? `${scope.strict ? 's' : 'p'}:${stableKey([...tenants].map(String).sort())}` : '-'
    cached = { store, ttlMs: cache.ttlMs ?? 30_000, scopeKey }
  }
  return { model, def: model.def, db, scope, scopeOptions, ctx: contextFor(model.def, db), cache: cached }
}

/**
 * The table as cache stores know it: a store may serve several databases (Redis across processes,
 * one memory store given to two connections). Generations are per table name, whatever schema a
 * model names: a model without `schema` and one with the schema it resolves to (`public`, or the
 * database itself on MySQL, where `schema` is ignored) are the same table, so a write through
 * either invalidates both. Two tables of one name in two schemas share a generation (a write to one
 * costs the other a miss, never a stale read). A write through any model of the table invalidates
 * every shape.
 */
function cacheTable(core: RepositoryCore): string {
  return `${core.db.runtime.identity}|${core.def.table}`
}

/**
 * Cached reads, keyed by the table (database, table, the model's schema) and its generation, the model's shape,
 * the scope, the method and its arguments; copies in, copies out.
 */
export async function cachedRead<T>(
  core: RepositoryCore,
  method: string,
  args: unknown,
  load: () => Promise<T>,
): Promise<T> {
  const cache = core.cache
  if (!cache || core.db.inTransaction) return load()
  const table = cacheTable(core)
  const generation = await cache.store.generation(table)
  // the schema keeps the entries of two tables of one name apart (their generation is shared)
  const key = `${table}|${core.def.schema ?? ''}:${generation}:${core.ctx.shape}:${cache.scopeKey}:${method}:${stableKey(args)}`
  const hit = await cache.store.get(key)
  if (hit !== undefined) return (hit as { v: T }).v
  const value = await load()
  await cache.store.set(key, { v: value }, cache.ttlMs)
  return value
}

/** After a write commits: every cache store of this database forgets the table's entries. */
export async function written(core: RepositoryCore): Promise<void> {
  const { cacheStores, options } = core.db.runtime
  if (cacheStores.size === 0) return
  const table = cacheTable(core)
  await core.db.afterCommit(async () => {
    for (const store of cacheStores) {
      await store.bump(table).catch((error: unknown) =>
        // the write has committed: report, do not fail it (entries expire with their TTL)
        options.logger?.error({ err: error, table }, 'ff-storage: cache invalidation failed'),
      )
    }
  })
}
