import { ConnectionError } from '../errors.js'
import type { Plan, PlanSteps } from '../sql/plan.js'
import { isBatch, isGuarded, type Statement, type StatementResult, type Step } from '../sql/statement.js'
import type { Database } from './database.js'
import type { Fold } from './transactions.js'

type Run = (step: Step) => Promise<StatementResult>

async function drive<R>(steps: PlanSteps<R>, run: Run): Promise<R> {
  let step = steps.next()
  try {
    while (!step.done) step = steps.next(await run(step.value))
    return step.value
  } finally {
    // a failed statement ends the plan: its generator is closed, never resumed with a partial state
    if (!step.done) steps.return(undefined as R)
  }
}

/** A step's statements one after the other; the result is the last one's. */
async function oneByOne(step: Step, run: (s: Statement) => Promise<StatementResult>): Promise<StatementResult> {
  if (isGuarded(step)) throw new Error('a guarded step needs an engine with compound statements')
  if (!isBatch(step)) return run(step)
  let result: StatementResult = { rows: [], affectedRows: 0 }
  for (const s of step.batch) result = await run(s)
  return result
}

/**
 * A step of a folded transaction: the transaction's opening statement goes with the first step, its
 * closing one with the last batch, each step as one compound statement. Where the engine cannot
 * take them as one, they are sent one by one (the transaction then ends on its own after the plan).
 */
async function folded(tx: Database, fold: Fold, step: Step): Promise<StatementResult> {
  const dialect = tx.runtime.dialect
  const open = fold.begun ? undefined : fold.open
  if (isGuarded(step))
    return sendFolded(tx, fold, dialect.guardedCompound!(step, { open, close: fold.close, undo: fold.undo }), true)
  const statements = isBatch(step) ? step.batch : [step]
  const close = isBatch(step) && step.last ? fold.close : undefined
  if (open === undefined && close === undefined && statements.length === 1) return tx.run(statements[0]!)
  const one = dialect.compound!(statements, { open, close, undo: fold.undo })
  if (!one) {
    if (open !== undefined) {
      fold.begun = true
      await tx.run({ sql: open, parameters: [] }, true)
    }
    return oneByOne(step, (s) => tx.run(s))
  }
  return sendFolded(tx, fold, one, close !== undefined)
}

/** One compound statement of a folded transaction; `closes`: it carries the COMMIT (or RELEASE). */
async function sendFolded(tx: Database, fold: Fold, one: Statement, closes: boolean): Promise<StatementResult> {
  fold.begun = true
  try {
    const result = await tx.run(one)
    if (closes) fold.ended = true
    return result
  } catch (error) {
    if (closes && error instanceof ConnectionError) {
      // the connection broke while the statement that commits was on its way: it may have committed
      throw new ConnectionError(
        'The connection failed during the statement that commits: the transaction may or may not have been applied',
        { cause: error, transient: false },
      )
    }
    throw error
  }
}

/**
 * The one place plans meet the database: reads with read retries, a single atomic statement with
 * statement retries, several statements in one transaction (the plan restarts when it is retried;
 * inside a caller's transaction it runs in a savepoint of that one, as the writers always did). On
 * engines with compound statements a transaction's BEGIN and COMMIT (or SAVEPOINT and RELEASE)
 * travel with its first and last steps: a lock and the writes after it are two round trips.
 */
export function execute<R>(db: Database, plan: Plan<R>): Promise<R> {
  switch (plan.mode) {
    case 'read':
      return drive(plan.steps(), (s) => oneByOne(s, (x) => db.runRead(x)))
    case 'statement':
      return drive(plan.steps(), (s) => oneByOne(s, (x) => db.runAtomic(x)))
    case 'transaction':
      if (db.runtime.dialect.compound) {
        return db.foldedTransaction((tx, fold) => drive(plan.steps(), (s) => folded(tx, fold, s)))
      }
      // inside a caller's transaction this is a savepoint: a step that fails (a unique violation
      // caught by the caller, say) leaves nothing of the plan behind on engines where a failed
      // statement does not abort the transaction (MySQL family)
      return db.transaction((tx) => drive(plan.steps(), (s) => oneByOne(s, (x) => tx.run(x))))
  }
}
