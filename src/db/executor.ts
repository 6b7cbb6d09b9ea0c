import type { Plan, PlanSteps } from '../sql/plan.js'
import type { Statement, StatementResult } from '../sql/statement.js'
import type { Database } from './database.js'

type Run = (statement: Statement) => Promise<StatementResult>

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

/**
 * The one place plans meet the database: reads with read retries, a single atomic statement with
 * statement retries, several statements in one transaction (the plan restarts when it is retried;
 * inside a caller's transaction it runs in a savepoint of that one, as the writers always did).
 */
export function execute<R>(db: Database, plan: Plan<R>): Promise<R> {
  switch (plan.mode) {
    case 'read':
      return drive(plan.steps(), (s) => db.runRead(s))
    case 'statement':
      return drive(plan.steps(), (s) => db.runAtomic(s))
    case 'transaction':
      // inside a caller's transaction this is a savepoint: a step that fails (a unique violation
      // caught by the caller, say) leaves nothing of the plan behind on engines where a failed
      // statement does not abort the transaction (MySQL family)
      return db.transaction((tx) => drive(plan.steps(), (s) => tx.run(s)))
  }
}
