import type { Kysely } from 'kysely'
import { ConnectionError, FFStorageError, QueryError } from '../errors.js'
import type { Database } from './database.js'
import { NOT_SENT } from './run-statement.js'
import { held, type Runtime } from './runtime.js'

/** Work queued to run once the outermost transaction has committed. */
export type AfterCommit = () => Promise<void>

/**
 * What the statements of one transaction (its savepoints included) share: the work to run once it
 * commits, and the first error the server reported in it and that no savepoint undid — on engines
 * where an error aborts the transaction (PostgreSQL), a COMMIT after it commits nothing.
 */
export class TransactionState {
  readonly afterCommit: AfterCommit[] = []
  failure: FFStorageError | undefined
}

/** Makes the `tx` a transaction body runs with: a database on `kysely` at `depth`. */
// biome-ignore lint/suspicious/noExplicitAny: the untyped builder of a connection
export type OpenScope = (kysely: Kysely<any>, depth: number, state: TransactionState) => Database

/**
 * A transaction (or savepoint) whose opening and closing statements travel with the first and last
 * statements of its body, as one compound statement each (engines with `Dialect.compound`): a lock
 * and its writes are then two round trips. `begun` once the opening was sent, `ended` once the
 * closing one succeeded; what is still open when the body ends is closed (or undone) on its own.
 */
export class Fold {
  begun = false
  ended = false
  readonly open: string
  readonly close: string
  readonly undo: string
  constructor(open: string, close: string, undo: string) {
    this.open = open
    this.close = close
    this.undo = undo
  }
}

const BEGIN = { sql: 'begin', parameters: [] }
const COMMIT = { sql: 'commit', parameters: [] }
const ROLLBACK = { sql: 'rollback', parameters: [] }

/**
 * One attempt at an outermost transaction, without retries (the caller retries). It is one call
 * through the circuit breaker, entered before it takes a connection; its statements pass freely.
 */
export async function transactionAttempt<T>(
  runtime: Runtime,
  // biome-ignore lint/suspicious/noExplicitAny: the pool's untyped builder
  kysely: Kysely<any>,
  open: OpenScope,
  fn: (tx: Database) => Promise<T>,
  fold?: Fold,
): Promise<T> {
  const { breaker } = runtime
  const ticket = breaker.enter()
  let left = false
  const leave = (error?: unknown) => {
    if (left) return
    left = true
    breaker.leave(ticket, error)
  }
  // the half-open trial is decided by its BEGIN's answer: the calls waiting on it go on at once
  const answered = breaker.isTrial(ticket) ? () => leave() : undefined
  try {
    const result = await onConnection(runtime, kysely, open, fn, fold, answered)
    leave()
    return result
  } catch (error) {
    leave(error)
    throw error
  }
}

async function onConnection<T>(
  runtime: Runtime,
  // biome-ignore lint/suspicious/noExplicitAny: see transactionAttempt
  kysely: Kysely<any>,
  open: OpenScope,
  fn: (tx: Database) => Promise<T>,
  fold: Fold | undefined,
  answered?: () => void,
): Promise<T> {
  let callbackFailed = false
  const hold = <R>(body: () => Promise<R>) =>
    runtime.dialect.capabilities.singleConnection ? held(runtime, body) : body()
  try {
    return await kysely.connection().execute(async (connection) =>
      hold(async () => {
        const state = new TransactionState()
        const tx = open(connection, 1, state)
        if (!fold) {
          await tx.run(BEGIN, true)
          answered?.()
        }
        let result: T
        try {
          result = await fn(tx)
        } catch (error) {
          callbackFailed = true
          // a folded transaction that never began has nothing to undo; one whose last statement
          // failed was undone by it, but a ROLLBACK more costs nothing on this path
          if (!fold || fold.begun) {
            await tx.run(ROLLBACK, true).catch(() => {
              // the connection is gone or aborted; the original error is the one that matters
            })
          }
          throw error
        }
        // the callback caught an error the server answered: PostgreSQL has aborted the transaction,
        // and its COMMIT would roll back without an error — the caller must hear that nothing committed
        if (state.failure && runtime.dialect.capabilities.errorAbortsTransaction) {
          const first = state.failure
          await tx.run(ROLLBACK, true).catch(() => {})
          throw new QueryError(
            `The transaction was rolled back, nothing was committed: a statement in it failed (${first.message}), which aborts a ${runtime.dialect.name} transaction, and the callback went on. Rethrow the error, or run the statement that may fail in a nested db.transaction (a savepoint) to recover from it.`,
            // a deadlock or serialization failure the callback caught: the whole transaction may be re-run
            { cause: first, transient: first.transient },
          )
        }
        try {
          if (!fold || (fold.begun && !fold.ended)) await tx.run(COMMIT, true)
        } catch (error) {
          // refused before it was sent (the database was closed meanwhile): nothing was applied
          if (error instanceof ConnectionError && !NOT_SENT.has(error)) {
            throw new ConnectionError(
              'The connection failed during COMMIT: the transaction may or may not have been applied',
              { cause: error, transient: false },
            )
          }
          throw error
        }
        for (const after of state.afterCommit) await after()
        return result
      }),
    )
  } catch (error) {
    // the callback's own errors pass through untouched; driver errors arrive converted
    if (callbackFailed || error instanceof FFStorageError) throw error
    throw runtime.dialect.convertError(error, {})
  }
}

/** A nested transaction: a savepoint on `db`'s connection, `nested` being the scope `fn` runs in. */
export async function savepoint<T>(
  runtime: Runtime,
  db: Database,
  nested: Database,
  depth: number,
  fn: (tx: Database) => Promise<T>,
  fold?: (name: string) => Fold,
): Promise<T> {
  const name = runtime.dialect.quoteId(`ff_sp_${depth}`)
  const folded = fold?.(name)
  if (!folded) await db.run({ sql: `savepoint ${name}`, parameters: [] })
  try {
    const result = await fn(nested)
    if (!folded || (folded.begun && !folded.ended)) await db.run({ sql: `release savepoint ${name}`, parameters: [] })
    return result
  } catch (error) {
    if (!folded) {
      await db.run({ sql: `rollback to savepoint ${name}`, parameters: [] }, true)
      // undone: the transaction goes on as before the savepoint
      nested.recovered()
    } else if (folded.begun) {
      await db.run({ sql: folded.undo, parameters: [] }, true).catch(() => {
        // the savepoint was never made (the first statement did not run): nothing to undo
      })
    }
    throw error
  }
}

/** The fold of an outermost transaction. */
export const transactionFold = (): Fold => new Fold('START TRANSACTION', 'COMMIT', 'ROLLBACK')

/** The fold of a savepoint named `name` (quoted). */
export const savepointFold = (name: string): Fold =>
  new Fold(`SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`, `ROLLBACK TO SAVEPOINT ${name}`)
