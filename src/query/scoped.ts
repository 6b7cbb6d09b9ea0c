import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  type UnknownRow,
} from 'kysely'
import type { Database } from '../db/database.js'
import { TenantNotConfiguredError, ValidationError } from '../errors.js'
import { ModelContext } from '../mapping/model-context.js'
import { isModel, type Model } from '../model/define-model.js'
import { any, boolean, instant, readOptions } from '../repository/input.js'
import { Scope } from '../scope/scope.js'
import { cachingCompiler, contextId, decodeRows, SCOPED, ScopePlugin } from './plugin.js'
import { Bounded } from './shape.js'
import type { ScopedTable, ScopeSettings } from './source.js'
import type { ScopedOptions, ScopedQueryCreator, ScopedTables } from './types.js'

const contexts = new WeakMap<Model, Map<string, ModelContext>>()

export function contextOf(model: Model, db: Database): ModelContext {
  let byEngine = contexts.get(model)
  if (!byEngine) {
    byEngine = new Map()
    contexts.set(model, byEngine)
  }
  let ctx = byEngine.get(db.dialect.name)
  if (!ctx) {
    ctx = new ModelContext(model.def, db.dialect)
    byEngine.set(db.dialect.name, ctx)
  }
  return ctx
}

/** What db.scoped() takes besides the models; tenants are checked by each model's Scope. */
const SCOPED_OPTIONS = { tenantId: any, tenantIds: any, asOf: instant, includeDeleted: boolean }

/** Scope options as db.scoped() reads them: own data properties, unknown keys refused, values checked. */
export function readScopedOptions(options: unknown, what = 'db.scoped() options'): ScopedOptions {
  if (typeof options !== 'object' || options === null) invalid(`${what} must be an object`, ['options'])
  return readOptions(options, SCOPED_OPTIONS, what) as ScopedOptions
}

/**
 * The models of a scoped query in one scope: each model's Scope (which checks the tenant ids against
 * its tenantIdType and refuses a missing scope), and the settings (asOf, includeDeleted) all its
 * tables are read with. The one place db.scoped() and prepared scoped queries get their scope from.
 */
export function scopeOf(
  contexts: readonly ModelContext[],
  read: ScopedOptions,
): { tables: Map<string, ScopedTable>; settings: ScopeSettings } {
  const tables = new Map<string, ScopedTable>()
  const tenantScope = {
    ...(read.tenantId !== undefined && { tenantId: read.tenantId }),
    ...(read.tenantIds !== undefined && { tenantIds: read.tenantIds }),
  }
  contexts.forEach((ctx, i) => {
    const def = ctx.def
    if (tables.has(def.table)) invalid(`table "${def.table}" is given twice`, ['models', i])
    const scope = new Scope(def, def.multiTenant ? tenantScope : {})
    tables.set(def.table, { ctx, scope })
  })
  if (
    (read.tenantId !== undefined || read.tenantIds !== undefined) &&
    ![...tables.values()].some((t) => t.ctx.def.multiTenant)
  ) {
    throw new TenantNotConfiguredError('None of these models is multi-tenant: do not give a tenant scope')
  }
  // a copy: the caller may change their Date later, the query is bound to its time now
  const asOf = read.asOf === undefined ? undefined : new Date(read.asOf.getTime())
  return { tables, settings: { asOf, includeDeleted: read.includeDeleted === true } }
}

const invalid = (message: string, path: (string | number)[]): never => {
  throw new ValidationError(message, [{ code: 'custom', message, path }])
}

/**
 * Runs what the scoped Kysely compiles through `db.runRead` (so metrics, error conversion, the
 * circuit breaker and transactions apply, and a read-only query is re-run after a transient failure
 * outside a transaction, like the repositories' reads), and only queries the scope plugin
 * transformed in this builder's scope and its compiler handed out (`issued`, frozen objects): a
 * query built with `withoutPlugins()`, another builder's query (another scope) and a copy with
 * other SQL never reach the database. The selected record properties are decoded here, like records.
 */
function scopedDriver(db: Database, plugin: ScopePlugin, issued: WeakSet<object>): Driver {
  const connection: DatabaseConnection = {
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      const scoped = SCOPED.get(compiled.query)
      if (!scoped || scoped.plugin !== plugin || !issued.has(compiled))
        return invalid('Only queries built and compiled by this scoped query builder run on it', [])
      const { rows } = await db.runRead<R>({ sql: compiled.sql, parameters: compiled.parameters })
      if (scoped.decoders.size > 0) decodeRows(rows as UnknownRow[], scoped.decoders, db.dialect.codec)
      return { rows }
    },
    // refused rather than answered with every row at once: a stream promises flat memory
    // biome-ignore lint/correctness/useYield: it refuses before its first row
    async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
      invalid(
        'A scoped query builder does not stream: read large sets with repository.stream(…) or page(…), or page this query by a key (where + orderBy + limit)',
        [],
      )
    },
  }
  const noTransactions = async () =>
    invalid('A scoped query builder has no transactions of its own: call db.transaction(tx => tx.scoped(…))', [])
  return {
    async init() {},
    async acquireConnection() {
      return connection
    },
    beginTransaction: noTransactions,
    commitTransaction: noTransactions,
    rollbackTransaction: noTransactions,
    async releaseConnection() {},
    // the database belongs to its owner: destroying the query builder closes nothing
    async destroy() {},
  }
}

/** Build `db.scoped(models, options)`: a read-only Kysely with the scope plugin, running on `db`. */
export function createScoped<const Ms extends readonly Model[]>(
  db: Database,
  models: Ms,
  options: ScopedOptions,
): ScopedQueryCreator<ScopedTables<Ms>> {
  if (!Array.isArray(models) || models.length === 0)
    invalid('db.scoped() takes a non-empty array of models', ['models'])
  if (typeof options !== 'object' || options === null) invalid('db.scoped() takes an options object', ['options'])
  const read = readOptions(options, SCOPED_OPTIONS, 'db.scoped() options') as ScopedOptions
  models.forEach((model, i) => {
    if (!isModel(model)) invalid('not a model (use defineModel)', ['models', i])
  })
  // the same models and scope on the same database: the same (immutable) query builder
  let known = builders.get(db)
  if (!known) {
    known = new Bounded(64)
    builders.set(db, known)
  }
  const key = builderKey(db, models, read)
  const cached = known.get(key)
  if (cached) return cached as ScopedQueryCreator<ScopedTables<Ms>>
  const { tables, settings } = scopeOf(
    models.map((m) => contextOf(m, db)),
    read,
  )
  const dialect = db.dialect
  const plugin = new ScopePlugin(tables, settings, dialect.createQueryCompiler())
  const issued = new WeakSet<object>()
  const kysely = new Kysely<ScopedTables<Ms>>({
    dialect: {
      createDriver: () => scopedDriver(db, plugin, issued),
      createQueryCompiler: () => cachingCompiler(dialect.createQueryCompiler(), plugin, issued),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: () => invalid('A scoped query builder has no introspection', []),
    },
    plugins: [plugin],
  })
  return known.set(key, kysely) as unknown as ScopedQueryCreator<ScopedTables<Ms>>
}

const builders = new WeakMap<Database, Bounded<string, unknown>>()

/** Models (their engine contexts) and the exact scope values: two scopes share a builder only when equal. */
function builderKey(db: Database, models: readonly Model[], read: ScopedOptions): string {
  return `${models.map((m) => contextId(contextOf(m, db))).join()}|${scopeKey(read)}`
}

const id = (v: unknown) => `${typeof v}:${String(v)}`

/** The exact scope values as text: two scopes have the same key only when their values are equal. */
export function scopeKey(read: ScopedOptions): string {
  const { tenantId, tenantIds, asOf } = read
  // a lone text tenant (the usual request): its length first, so no text inside it reads as structure
  if (tenantIds === undefined && asOf === undefined && typeof tenantId === 'string')
    return `${tenantId.length}:${tenantId}|${read.includeDeleted === true}`
  return JSON.stringify([
    tenantId === undefined ? null : id(tenantId),
    tenantIds === undefined ? null : Array.isArray(tenantIds) ? tenantIds.map(id) : id(tenantIds),
    asOf === undefined ? null : asOf.getTime(),
    read.includeDeleted === true,
  ])
}
