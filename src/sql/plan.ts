import { isBatch, isGuarded, type Statement, type StatementResult, type Step } from './statement.js'

/**
 * How the statements of a plan must run:
 * - `read`: repeatable reads; outside a transaction each one is re-run after a transient failure.
 * - `statement`: one statement atomic on its own (a data-modifying CTE), re-run when the server
 *   reports it rolled back.
 * - `transaction`: several statements that succeed or fail together; the whole plan is re-run from
 *   its first step when the transaction is retried.
 */
export type PlanMode = 'read' | 'statement' | 'transaction'

/**
 * The steps of a plan: yields each statement (or batch of statements sent together), receives its
 * result (a batch's: its last statement's), returns the operation's result.
 */
export type PlanSteps<R> = Generator<Step, R, StatementResult>

/**
 * An operation as data (STYLE: strategies produce statements, they do not run them). A plan is read
 * top to bottom like the sentence it implements ("lock current, copy to history, write new version");
 * `db/executor.ts` runs it, and a unit test drives it with canned rows (`replay`).
 */
export interface Plan<R> {
  readonly mode: PlanMode
  /** A fresh run of the steps: called again when a transaction is retried. */
  steps(): PlanSteps<R>
}

export function plan<R>(mode: PlanMode, steps: () => PlanSteps<R>): Plan<R> {
  return { mode, steps }
}

/** A plan that sends nothing and returns `value`. */
export function done<R>(value: R): Plan<R> {
  // biome-ignore lint/correctness/useYield: a plan of no statements
  return plan('read', function* () {
    return value
  })
}

/**
 * Drive a plan without a database: `answer` gives the result of each statement (canned rows in unit
 * tests). Returns what the plan returned and every statement it yielded, in order (a batch's one by
 * one; the batch receives its last statement's answer), and the steps as yielded.
 */
export function replay<R>(
  p: Plan<R>,
  answer: (statement: Statement, index: number) => StatementResult | Record<string, unknown>[],
): { readonly result: R; readonly statements: readonly Statement[]; readonly steps: readonly Step[] } {
  const statements: Statement[] = []
  const steps: Step[] = []
  const it = p.steps()
  let step = it.next()
  while (!step.done) {
    steps.push(step.value)
    let a: StatementResult | Record<string, unknown>[] = []
    const v = step.value
    for (const s of isBatch(v) ? v.batch : isGuarded(v) ? [v.set, ...v.then, v.result] : [v]) {
      statements.push(s)
      a = answer(s, statements.length - 1)
    }
    step = it.next(Array.isArray(a) ? { rows: a, affectedRows: a.length } : a)
  }
  return { result: step.value, statements, steps }
}
