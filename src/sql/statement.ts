/** A statement our own code generated: text in the engine's syntax plus its bound values. */
export interface Statement {
  readonly sql: string
  readonly parameters: readonly unknown[]
}

/**
 * Statements a plan sends together, in order, when nothing between them depends on a result: the
 * result is the last statement's. `last`: no statement of the plan follows (a transaction may end
 * with it). Engines with compound statements send a batch as one statement, so a transaction plan
 * of a lock and its writes is two round trips; elsewhere its statements are sent one by one.
 */
export interface Batch {
  readonly batch: readonly Statement[]
  readonly last: boolean
}

/**
 * A plan's last step as one statement with a condition inside (engines with compound statements
 * only, `Dialect.guardedCompound`): `set` assigns the local variables `locals` (a `SELECT … INTO`),
 * the statements `then` run only when `when` holds, and `result` runs last; its rows are the result.
 */
export interface Guarded {
  readonly locals: readonly (readonly [name: string, sqlType: string])[]
  readonly set: Statement
  readonly when: string
  readonly then: readonly Statement[]
  readonly result: Statement
}

/** What a plan step yields: one statement, a batch of them, or a guarded last step. */
export type Step = Statement | Batch | Guarded

export const isBatch = (step: Step): step is Batch => 'batch' in step
export const isGuarded = (step: Step): step is Guarded => 'when' in step

/** The statements of `batch`, sent together; `last` when the plan sends nothing after them. */
export function batch(statements: readonly Statement[], last = false): Batch {
  return { batch: statements, last }
}

export interface StatementResult<R = Record<string, unknown>> {
  readonly rows: R[]
  readonly affectedRows: number
}

/**
 * What compile needs from an engine (a dialect provides it): how it quotes a name and how it writes
 * the n-th bound value. Hooks, never text rewrites of finished SQL.
 */
export interface SqlSyntax {
  quoteId(name: string): string
  /** The placeholder of the `index`-th parameter, counting from 1 (`$1` / `?`). */
  placeholder(index: number): string
}
