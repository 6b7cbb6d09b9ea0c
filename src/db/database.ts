import { type Compilable, CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Dialect } from '../dialect/dialect.js'
import { ConnectionError, FFStorageError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { Repository } from '../repository/repository.js'
import type { ScopeOptions } from '../scope/scope.js'
import type { PoolStats } from './drivers/types.js'
import type { ResolvedOptions, RetryOptions } from './options.js'
import { withRetry } from './retry.js'

/** Anything `db.query` runs: a `sql` template, a query-builder query, or a compiled query. */
export type Query<R = Record<string, unknown>> = RawBuilder<R> | Compilable<R> | CompiledQuery<R>

/** A statement our own code generated: text in the engine's syntax plus its bound values. */
export interface Statement {
  readonly sql: string
  readonly parameters: readonly unknown[]
}

export interface StatementResult<R = Record<string, unknown>> {
  readonly rows: R[]
  readonly affectedRows: number
}

export interface TransactionOptions {
  /** Retry policy for this transaction (only applies to the outermost one). */
  readonly retry?: RetryOptions
}

/** Shared by a database and every transaction opened from it. */
export interface Runtime {
  readonly options: ResolvedOptions
  readonly dialect: Dialect
  poolStats(): PoolStats
  close(): Promise<void>
  closed: boolean
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
   * The typed query builder (Kysely) bound to this executor, for joins and reports. Inside a
   * transaction it runs on the transaction's connection.
   */
  // biome-ignore lint/suspicious/noExplicitAny: callers type their own tables with `db.kysely as Kysely<MyTables>`
  readonly kysely: Kysely<any>
  readonly #runtime: Runtime
  readonly #depth: number

  /** @internal */
  // biome-ignore lint/suspicious/noExplicitAny: see `kysely`
  constructor(runtime: Runtime, kysely: Kysely<any>, depth = 0) {
    this.#runtime = runtime
    this.dialect = runtime.dialect
    this.kysely = kysely
    this.#depth = depth
  }

  /** True inside `transaction(…)`. */
  get inTransaction(): boolean {
    return this.#depth > 0
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
  async run<R = Record<string, unknown>>(statement: Statement): Promise<StatementResult<R>> {
    const { dialect, options } = this.#runtime
    if (this.#runtime.closed) throw new ConnectionError('The database has been closed')
    const parameters = statement.parameters.map(dialect.prepareParameter)
    const started = performance.now()
    try {
      const result = await this.kysely.executeQuery<R>(CompiledQuery.raw(statement.sql, parameters))
      const ms = performance.now() - started
      if (ms >= options.slowQueryMs)
        options.logger?.warn({ sql: statement.sql, ms: Math.round(ms) }, 'ff-storage: slow query')
      const affected = result.numAffectedRows ?? result.numChangedRows
      return { rows: result.rows, affectedRows: affected === undefined ? result.rows.length : Number(affected) }
    } catch (cause) {
      const error = dialect.convertError(cause, statement)
      options.logger?.debug(
        { sql: statement.sql, code: error.code, dbCode: error.dbCode },
        'ff-storage: statement failed',
      )
      throw error
    }
  }

  /**
   * Run `fn` in a transaction: commit when it resolves, roll back when it throws. Nested calls use
   * savepoints. The outermost call is re-run on transient failures (deadlock, serialization, lost
   * connection) unless the failure happened during COMMIT, where it may have committed.
   */
  async transaction<T>(fn: (tx: Database) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn)
    const policy = { ...this.#runtime.options.retry, ...definedOnly(options.retry ?? {}) }
    return withRetry(policy, () => this.#transactionOnce(fn), {
      onRetry: (error, attempt, delayMs) =>
        this.#runtime.options.logger?.info({ code: error.code, attempt, delayMs }, 'ff-storage: retrying transaction'),
    })
  }

  /** @internal one attempt at a transaction, without retries (the caller retries). */
  async transactionOnce<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.#depth > 0 ? this.#savepoint(fn) : this.#transactionOnce(fn)
  }

  async #transactionOnce<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    let callbackFailed = false
    try {
      return await this.kysely.connection().execute(async (connection) => {
        const tx = new Database(this.#runtime, connection, this.#depth + 1)
        await tx.run({ sql: 'begin', parameters: [] })
        let result: T
        try {
          result = await fn(tx)
        } catch (error) {
          callbackFailed = true
          await tx.run({ sql: 'rollback', parameters: [] }).catch(() => {
            // the connection is gone or aborted; the original error is the one that matters
          })
          throw error
        }
        try {
          await tx.run({ sql: 'commit', parameters: [] })
        } catch (error) {
          if (error instanceof ConnectionError) {
            throw new ConnectionError(
              'The connection failed during COMMIT: the transaction may or may not have been applied',
              { cause: error, transient: false },
            )
          }
          throw error
        }
        return result
      })
    } catch (error) {
      // the callback's own errors pass through untouched; driver errors arrive converted
      if (callbackFailed || error instanceof FFStorageError) throw error
      throw this.#runtime.dialect.convertError(error, {})
    }
  }

  async #savepoint<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const name = this.dialect.quoteId(`ff_sp_${this.#depth}`)
    const nested = new Database(this.#runtime, this.kysely, this.#depth + 1)
    await this.run({ sql: `savepoint ${name}`, parameters: [] })
    try {
      const result = await fn(nested)
      await this.run({ sql: `release savepoint ${name}`, parameters: [] })
      return result
    } catch (error) {
      await this.run({ sql: `rollback to savepoint ${name}`, parameters: [] })
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
  repository<M extends Model>(model: M, scope: ScopeOptions = {}): Repository<M> {
    return new Repository(this, model, scope)
  }

  /** Pool gauges: open, idle and waiting connections. */
  poolStats(): PoolStats {
    return this.#runtime.poolStats()
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
