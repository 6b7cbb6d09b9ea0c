/** A statement our own code generated: text in the engine's syntax plus its bound values. */
export interface Statement {
  readonly sql: string
  readonly parameters: readonly unknown[]
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
