import type { Kysely } from 'kysely'
import { FFStorageError } from '../errors.js'
import type { Statement, StatementResult } from '../sql/statement.js'
import type { DialectInfo } from './dialect-info.js'
import type { PoolStats } from './drivers/types.js'
import { type HealthReport, probe } from './health.js'
import type { MetricsSnapshot } from './metrics.js'
import { definedOnly, type RetryOptions } from './options.js'
import { compileQuery, type Query } from './query.js'
import { withRetry } from './retry.js'
import { runStatement } from './run-statement.js'
import type { Runtime } from './runtime.js'
import {
  type AfterCommit,
  type Fold,
  savepoint,
  savepointFold,
  TransactionState,
  transactionAttempt,
  transactionFold,
} from './transactions.js'

export type { HealthReport, Query, Statement, StatementResult }

export interface TransactionOptions {
  /** Retry policy for this transaction (only applies to the outermost one). */
  readonly retry?: RetryOptions
}

/**
 * A connected database, or a transaction on one: both have the same API (a transaction is just
 * another executor), so code written against `Database` runs inside and outside `transaction`.
 * `repository(Model, scope)` and `scoped(models, scope)` are added by the layers above (see
 * src/repository/register.ts and src/query/register.ts); `db/` knows nothing of them.
 *
 * @example
 * const db = await connect()
 * const rows = await db.query(sql`select ${1} as one`)
 * await db.transaction(async (tx) => { await tx.execute(sql`delete from t where id = ${id}`) })
 * await db.close()
 */
export class Database {
  /** The engine this database runs on: name, SQL family and capability flags. */
  readonly dialect: DialectInfo
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
  /** What the statements of this transaction share (nested savepoint scopes included). */
  readonly #tx: TransactionState

  /** @internal */
  // biome-ignore lint/suspicious/noExplicitAny: see `kysely`
  constructor(runtime: Runtime, kysely: Kysely<any>, depth = 0, tx: TransactionState = new TransactionState()) {
    this.#runtime = runtime
    this.dialect = runtime.dialect
    this.kysely = kysely
    this.#depth = depth
    this.#tx = tx
  }

  /** @internal run `fn` once the current transaction commits (at once outside a transaction). */
  async afterCommit(fn: AfterCommit): Promise<void> {
    if (this.#depth === 0) await fn()
    else this.#tx.afterCommit.push(fn)
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
    return (await this.run<R>(compileQuery(query, this.kysely))).rows
  }

  /** The first row, or null when there is none. */
  async queryOne<R = Record<string, unknown>>(query: Query<R>): Promise<R | null> {
    return (await this.run<R>(compileQuery(query, this.kysely))).rows[0] ?? null
  }

  /** Run a statement and return how many rows it changed. */
  async execute(query: Query<unknown>): Promise<number> {
    return (await this.run(compileQuery(query, this.kysely))).affectedRows
  }

  /** @internal run a generated statement; every driver error leaves here converted. */
  run<R = Record<string, unknown>>(statement: Statement, control = false): Promise<StatementResult<R>> {
    const running = runStatement<R>(this.#runtime, this.kysely, this.#depth, statement, control)
    if (this.#depth === 0 || control) return running
    // inside a transaction: the first error the server answered is remembered (see TransactionState)
    return running.catch((error: unknown) => {
      if (error instanceof FFStorageError && error.dbCode !== undefined) this.#tx.failure ??= error
      throw error
    })
  }

  /** @internal a savepoint was rolled back to: the errors inside it no longer abort the transaction. */
  recovered(): void {
    this.#tx.failure = undefined
  }

  /**
   * Run `fn` in a transaction: commit when it resolves, roll back when it throws. Nested calls use
   * savepoints. The outermost call is re-run on transient failures (deadlock, serialization, lost
   * connection) unless the failure happened during COMMIT, where it may have committed.
   */
  async transaction<T>(fn: (tx: Database) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn)
    const policy = { ...this.#runtime.options.retry, ...definedOnly(options.retry ?? {}) }
    return withRetry(policy, () => this.#attempt(fn), this.#runtime.retryEvents)
  }

  /** @internal one attempt at a transaction, without retries (the caller retries). */
  async transactionOnce<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.#depth > 0 ? this.#savepoint(fn) : this.#attempt(fn)
  }

  /**
   * @internal a transaction (a savepoint inside one) whose opening and closing statements `fn`
   * sends with its own first and last statements (`Fold`), retried like `transaction`.
   */
  foldedTransaction<T>(fn: (tx: Database, fold: Fold) => Promise<T>): Promise<T> {
    if (this.#depth > 0) {
      let fold: Fold | undefined
      return this.#savepoint(
        (tx) => fn(tx, fold!),
        (name) => {
          fold = savepointFold(name)
          return fold
        },
      )
    }
    return withRetry(
      this.#runtime.options.retry,
      () => {
        const fold = transactionFold()
        return this.#attempt((tx) => fn(tx, fold), fold)
      },
      this.#runtime.retryEvents,
    )
  }

  #attempt<T>(fn: (tx: Database) => Promise<T>, fold?: Fold): Promise<T> {
    const runtime = this.#runtime
    return transactionAttempt(
      runtime,
      this.kysely,
      (k, depth, after) => new Database(runtime, k, depth, after),
      fn,
      fold,
    )
  }

  #savepoint<T>(fn: (tx: Database) => Promise<T>, fold?: (name: string) => Fold): Promise<T> {
    const nested = new Database(this.#runtime, this.kysely, this.#depth + 1, this.#tx)
    return savepoint(this.#runtime, this, nested, this.#depth, fn, fold)
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
  health(): Promise<HealthReport> {
    return probe(this, this.#runtime)
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
}
