import { AsyncLocalStorage } from 'node:async_hooks'
import { type Compilable, CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Dialect } from '../dialect/dialect.js'
import { ConfigurationError, ConnectionError, FFStorageError, ValidationError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { createScoped } from '../query/scoped.js'
import type { ScopedOptions, ScopedQueryCreator, ScopedTables } from '../query/types.js'
import type { CacheStore } from '../repository/cache.js'
import { Repository, type RepositoryOptions } from '../repository/repository.js'
import type { Statement, StatementResult } from '../sql/statement.js'
import type { CircuitBreaker, CircuitSnapshot } from './circuit-breaker.js'
import type { PoolStats } from './drivers/types.js'
import type { Metrics, MetricsSnapshot } from './metrics.js'
import { definedOnly, type ResolvedOptions, type RetryOptions } from './options.js'
import { type RetryEvents, withRetry } from './retry.js'

/** Anything `db.query` runs: a `sql` template, a query-builder query, or a compiled query. */
export type Query<R = Record<string, unknown>> = RawBuilder<R> | Compilable<R> | CompiledQuery<R>

export type { Statement, StatementResult }

export interface TransactionOptions {
  /** Retry policy for this transaction (only applies to the outermost one). */
  readonly retry?: RetryOptions
}

/** On a single-connection engine: the runtime whose connection the current async context holds. */
const HOLDING = new AsyncLocalStorage<Runtime>()
let holders = 0

/**
 * Run `body` as holding a single-connection engine's connection. The storage is switched off again
 * when no transaction holds one: while it is on, Node.js tracks every promise of the process, which
 * costs every later operation (about a quarter of the JavaScript time of a create, measured).
 */
async function held<R>(runtime: Runtime, body: () => Promise<R>): Promise<R> {
  holders++
  try {
    return await HOLDING.run(runtime, body)
  } finally {
    if (--holders === 0) HOLDING.disable()
  }
}

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
  /** The default in-memory store of this database, created on first use. */
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

export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy'
  readonly latencyMs: number
  readonly pool: PoolStats
  readonly circuit: CircuitSnapshot
  /** Why the probe failed, when it did. */
  readonly error?: string
}

/**
 * A connected database, or a transaction on one: both have the same API (a transaction is just
 * another executor), so code written against `Database` runs inside and outside `transaction`.
 *
 * @example
 * const db = await connect()
 * const rows = await db.query(sql`select ${1} as one`)
 * await db.transaction(async (tx) => { await tx.execute(sql`delete from t where id = ${id}`) })
 * await db.close()
 */
export class Database {
  /** The engine this database runs on: name, SQL family and capability flags. */
  readonly dialect: Dialect
  /**
   * The raw query builder (Kysely) bound to this executor: UNSCOPED and untyped, the escape hatch
   * for SQL the library does not model (no tenant filter, no soft-delete filter, no audit). For
   * reports and joins over models use `scoped(models, scope)`. Inside a transaction it runs on the
   * transaction's connection.
   */
  // biome-ignore lint/suspicious/noExplicitAny: callers type their own tables with `db.kysely as Kysely<MyTables>`
  readonly kysely: Kysely<any>
  readonly #runtime: Runtime
  readonly #depth: number
  /** Run after the outermost transaction commits (shared by nested savepoint scopes). */
  readonly #afterCommit: (() => Promise<void>)[]

  /** @internal */
  // biome-ignore lint/suspicious/noExplicitAny: see `kysely`
  constructor(runtime: Runtime, kysely: Kysely<any>, depth = 0, afterCommit: (() => Promise<void>)[] = []) {
    this.#runtime = runtime
    this.dialect = runtime.dialect
    this.kysely = kysely
    this.#depth = depth
    this.#afterCommit = afterCommit
  }

  /** @internal run `fn` once the current transaction commits (at once outside a transaction). */
  async afterCommit(fn: () => Promise<void>): Promise<void> {
    if (this.#depth === 0) await fn()
    else this.#afterCommit.push(fn)
  }

  /** True inside `transaction(…)`. */
  get inTransaction(): boolean {
    return this.#depth > 0
  }

  /**
   * @internal run one statement that is atomic on its own: outside a transaction it is re-run on a
   * transient failure the server reports as rolled back; inside one, the transaction is retried.
   */
  runAtomic<R = Record<string, unknown>>(statement: Statement): Promise<StatementResult<R>> {
    if (this.#depth > 0) return this.run<R>(statement)
    const { options, statementRetryEvents } = this.#runtime
    return withRetry(options.retry, () => this.run<R>(statement), statementRetryEvents)
  }

  /**
   * @internal run a read that is safe to repeat (the library's own SELECTs): outside a transaction
   * it is re-run after a transient failure, a dropped connection included, with the retry policy's
   * backoff; inside one, the transaction is retried.
   */
  runRead<R = Record<string, unknown>>(statement: Statement): Promise<StatementResult<R>> {
    if (this.#depth > 0) return this.run<R>(statement)
    const { options, retryEvents } = this.#runtime
    return withRetry(options.retry, () => this.run<R>(statement), retryEvents)
  }

  /** @internal options and hooks shared with transactions */
  get runtime(): Runtime {
    return this.#runtime
  }

  /** Run a query and return its rows as objects. Interpolated values are bound parameters. */
  async query<R = Record<string, unknown>>(query: Query<R>): Promise<R[]> {
    return (await this.run<R>(this.#compile(query))).rows
  }

  /** The first row, or null when there is none. */
  async queryOne<R = Record<string, unknown>>(query: Query<R>): Promise<R | null> {
    return (await this.run<R>(this.#compile(query))).rows[0] ?? null
  }

  /** Run a statement and return how many rows it changed. */
  async execute(query: Query<unknown>): Promise<number> {
    return (await this.run(this.#compile(query))).affectedRows
  }

  /** @internal run a generated statement; every driver error leaves here converted. */
  async run<R = Record<string, unknown>>(statement: Statement, control = false): Promise<StatementResult<R>> {
    const { dialect, options, breaker, metrics } = this.#runtime
    if (this.#runtime.closed) throw new ConnectionError('The database has been closed')
    if (this.#depth === 0 && HOLDING.getStore() === this.#runtime) {
      // the transaction holds the only connection: waiting for it would never end
      throw new ConfigurationError(
        `${this.dialect.name} has a single connection, held by the transaction this call runs in: use the transaction's \`tx\` (and tx.repository(...)) inside db.transaction(...)`,
      )
    }
    // values the engine cannot bind, and text no engine parses, are refused before anything is sent
    if (statement.sql.includes('\u0000')) {
      throw new ValidationError('Invalid statement', [
        {
          code: 'custom',
          message:
            'the SQL text contains a NUL character (U+0000), which no engine accepts: check sql.id() and sql.raw() arguments',
          path: [],
        },
      ])
    }
    const parameters = statement.parameters.map(dialect.prepareParameter)
    // a transaction passed the breaker as a whole, before it took its connection: its statements
    // (transaction control included, which must reach the server even while the circuit is open) do not
    const ticket = control || this.#depth > 0 ? undefined : breaker.enter()
    const started = performance.now()
    try {
      const result = await this.kysely.executeQuery<R>(CompiledQuery.raw(statement.sql, parameters))
      const ms = performance.now() - started
      metrics.query(statement.sql, ms / 1000)
      if (ticket !== undefined) breaker.leave(ticket)
      if (ms >= options.slowQueryMs) {
        options.logger?.warn(
          { sql: statement.sql, ms: Math.round(ms), ...this.#values(statement) },
          'ff-storage: slow query',
        )
      }
      const affected = result.numAffectedRows ?? result.numChangedRows
      return { rows: result.rows, affectedRows: affected === undefined ? result.rows.length : Number(affected) }
    } catch (cause) {
      const error = dialect.convertError(cause, statement)
      if (ticket !== undefined) breaker.leave(ticket, error)
      metrics.error(error.code)
      options.logger?.debug(
        { sql: statement.sql, code: error.code, dbCode: error.dbCode, ...this.#values(statement) },
        'ff-storage: statement failed',
      )
      throw error
    }
  }

  #values(statement: Statement): { parameters?: readonly unknown[] } {
    return this.#runtime.options.logParameters ? { parameters: statement.parameters } : {}
  }

  /**
   * Run `fn` in a transaction: commit when it resolves, roll back when it throws. Nested calls use
   * savepoints. The outermost call is re-run on transient failures (deadlock, serialization, lost
   * connection) unless the failure happened during COMMIT, where it may have committed.
   */
  async transaction<T>(fn: (tx: Database) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn)
    const policy = { ...this.#runtime.options.retry, ...definedOnly(options.retry ?? {}) }
    return withRetry(policy, () => this.#transactionOnce(fn), this.#runtime.retryEvents)
  }

  /** @internal one attempt at a transaction, without retries (the caller retries). */
  async transactionOnce<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.#depth > 0 ? this.#savepoint(fn) : this.#transactionOnce(fn)
  }

  /** One transaction is one call through the circuit breaker, entered before it takes a connection. */
  async #transactionOnce<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const { breaker } = this.#runtime
    const ticket = breaker.enter()
    try {
      const result = await this.#transactionOn(fn)
      breaker.leave(ticket)
      return result
    } catch (error) {
      breaker.leave(ticket, error)
      throw error
    }
  }

  async #transactionOn<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    let callbackFailed = false
    const hold = <R>(body: () => Promise<R>) =>
      this.dialect.capabilities.singleConnection ? held(this.#runtime, body) : body()
    try {
      return await this.kysely.connection().execute(async (connection) =>
        hold(async () => {
          const afterCommit: (() => Promise<void>)[] = []
          const tx = new Database(this.#runtime, connection, this.#depth + 1, afterCommit)
          await tx.run({ sql: 'begin', parameters: [] }, true)
          let result: T
          try {
            result = await fn(tx)
          } catch (error) {
            callbackFailed = true
            await tx.run({ sql: 'rollback', parameters: [] }, true).catch(() => {
              // the connection is gone or aborted; the original error is the one that matters
            })
            throw error
          }
          try {
            await tx.run({ sql: 'commit', parameters: [] }, true)
          } catch (error) {
            if (error instanceof ConnectionError) {
              throw new ConnectionError(
                'The connection failed during COMMIT: the transaction may or may not have been applied',
                { cause: error, transient: false },
              )
            }
            throw error
          }
          for (const fn of afterCommit) await fn()
          return result
        }),
      )
    } catch (error) {
      // the callback's own errors pass through untouched; driver errors arrive converted
      if (callbackFailed || error instanceof FFStorageError) throw error
      throw this.#runtime.dialect.convertError(error, {})
    }
  }

  async #savepoint<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const name = this.dialect.quoteId(`ff_sp_${this.#depth}`)
    const nested = new Database(this.#runtime, this.kysely, this.#depth + 1, this.#afterCommit)
    await this.run({ sql: `savepoint ${name}`, parameters: [] })
    try {
      const result = await fn(nested)
      await this.run({ sql: `release savepoint ${name}`, parameters: [] })
      return result
    } catch (error) {
      await this.run({ sql: `rollback to savepoint ${name}`, parameters: [] }, true)
      throw error
    }
  }

  /**
   * A repository for `model` in a tenant scope: `{ tenantId }` (strict) or `{ tenantIds }`
   * (permissive), plus the acting `userId`. Multi-tenant models without a scope throw
   * TenantNotConfiguredError at once. Inside a transaction the repository runs on it.
   *
   * @example
   * const users = db.repository(User, { tenantId: orgId, userId })
   */
  repository<M extends Model>(model: M, options: RepositoryOptions = {}): Repository<M> {
    return observed(new Repository(this, model, options), this.#runtime.metrics)
  }

  /**
   * A read-only, typed query builder (Kysely) over `models` in a tenant scope: table names are the
   * models' tables, columns their record properties, rows decoded like records. Every read of a
   * model table (FROM, JOIN, subqueries, CTEs, EXISTS, UNION) sees only the scope's tenants and live
   * rows (unless `includeDeleted`); with `asOf`, scd2 tables as they were then. Other tables are
   * refused (ValidationError). See docs/reports-and-joins.md.
   *
   * @example
   * const r = db.scoped([Customer, Contract], { tenantId: orgId, asOf: lastWeek })
   * const rows = await r.selectFrom('contracts')
   *   .innerJoin('customers', 'customers.id', 'contracts.customerId')
   *   .select(['customers.name', 'contracts.monthlyFee'])
   *   .execute()
   */
  scoped<const Ms extends readonly Model[]>(
    models: Ms,
    options: ScopedOptions = {},
  ): ScopedQueryCreator<ScopedTables<Ms>> {
    return createScoped(this, models, options)
  }

  /** Pool gauges: open, idle and waiting connections. */
  poolStats(): PoolStats {
    return this.#runtime.poolStats()
  }

  /**
   * Probe the database: `healthy` when it answers quickly with the circuit closed, `degraded` when
   * it is slow, callers wait for connections or the circuit is half-open, `unhealthy` when it fails.
   *
   * @example
   * app.get('/healthz', async (_, res) => { const h = await db.health(); res.status(h.status === 'unhealthy' ? 503 : 200).json(h) })
   */
  async health(): Promise<HealthReport> {
    const { breaker, options } = this.#runtime
    const started = performance.now()
    try {
      await this.run({ sql: 'select 1', parameters: [] })
      const latencyMs = Math.round((performance.now() - started) * 100) / 100
      const pool = this.poolStats()
      const circuit = breaker.snapshot()
      const degraded = latencyMs > options.healthDegradedMs || circuit.state !== 'closed' || pool.waiting > 0
      return { status: degraded ? 'degraded' : 'healthy', latencyMs, pool, circuit }
    } catch (error) {
      return {
        status: 'unhealthy',
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        pool: this.poolStats(),
        circuit: breaker.snapshot(),
        error: error instanceof Error ? error.message : String(error),
      }
    }
  }

  /** Counters and latencies as a plain object (see also `metricsText`). */
  metrics(): MetricsSnapshot {
    return this.#runtime.metrics.snapshot()
  }

  /** Metrics in the Prometheus text exposition format. */
  metricsText(): Promise<string> {
    return this.#runtime.metrics.text()
  }

  /** Close every connection. Safe to call twice; only the root database can close. */
  async close(): Promise<void> {
    if (this.#depth > 0) throw new Error('close() is not available inside a transaction')
    await this.#runtime.close()
  }

  #compile<R>(query: Query<R>): Statement {
    if (isCompiledQuery(query)) return query
    if (isRawBuilder(query)) return query.compile(this.kysely)
    if (typeof (query as Compilable<R>).compile === 'function') return (query as Compilable<R>).compile()
    throw new TypeError('db.query() takes a sql`…` template, a query-builder query or a compiled query')
  }
}

function isRawBuilder<R>(q: Query<R>): q is RawBuilder<R> {
  return (q as { isRawBuilder?: unknown }).isRawBuilder === true
}

function isCompiledQuery<R>(q: Query<R>): q is CompiledQuery<R> {
  return typeof (q as CompiledQuery<R>).sql === 'string' && Array.isArray((q as CompiledQuery<R>).parameters)
}

const OBSERVED = new Set([
  'create',
  'createMany',
  'update',
  'delete',
  'restore',
  'purge',
  'transferOwnership',
  'updateMany',
  'deleteMany',
  'restoreMany',
  'upsert',
  'get',
  'getMany',
  'list',
  'count',
  'page',
  'getAuditHistory',
  'getFieldHistory',
  'getChangesByUser',
  'getStateAt',
  'getVersionHistory',
  'getVersion',
  'getCurrentVersion',
  'getVersionCount',
  'getVersionTimeline',
  'compareVersions',
  'revertTo',
])

const INNER = Symbol('ff-storage.inner')
const METRICS = Symbol('ff-storage.metrics')
interface Observed {
  readonly [INNER]: { readonly model: Model }
  readonly [METRICS]: Metrics
}
type Method = (...args: unknown[]) => Promise<unknown>

async function timed(self: Observed, operation: string, method: Method, args: unknown[]): Promise<unknown> {
  const inner = self[INNER]
  const series = self[METRICS].operationSeries(inner.model.def.table, operation)
  const started = performance.now()
  try {
    const result = await method.apply(inner, args)
    series.ok.observe((performance.now() - started) / 1000)
    return result
  } catch (error) {
    series.error.observe((performance.now() - started) / 1000)
    throw error
  }
}

/**
 * Built once: every member of Repository forwards to the repository it wraps, and the operations
 * in OBSERVED are timed by model and operation on the way (a repository's own calls of its
 * operations, such as restore's get, are not counted twice). A repository costs one Object.create;
 * an operation one extra call, where a Proxy cost a trap and a fresh closure per call.
 */
const OBSERVED_PROTOTYPE: object = (() => {
  const proto = Object.create(Repository.prototype) as Record<PropertyKey, unknown>
  for (const key of Reflect.ownKeys(Repository.prototype)) {
    if (key === 'constructor') continue
    const d = Object.getOwnPropertyDescriptor(Repository.prototype, key)!
    if (typeof d.value === 'function') {
      const method = d.value as Method
      const name = String(key)
      const value = OBSERVED.has(name)
        ? function (this: Observed, ...args: unknown[]) {
            return timed(this, name, method, args)
          }
        : function (this: Observed, ...args: unknown[]) {
            return method.apply(this[INNER], args)
          }
      Object.defineProperty(proto, key, { value, writable: true, configurable: true })
    } else if (d.get) {
      const get = d.get
      Object.defineProperty(proto, key, {
        get(this: Observed) {
          return get.call(this[INNER])
        },
        configurable: true,
      })
    }
  }
  Object.defineProperty(proto, 'model', {
    get(this: Observed) {
      return this[INNER].model
    },
    configurable: true,
  })
  return proto
})()

/** Times every repository operation by model and operation (latency histogram, outcome). */
function observed<R extends object>(repository: R, metrics: Metrics): R {
  return Object.create(OBSERVED_PROTOTYPE, {
    [INNER]: { value: repository },
    [METRICS]: { value: metrics },
  }) as R
}
