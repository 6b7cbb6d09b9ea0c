import type { Guarded, Statement } from '../../sql/statement.js'
import type { CompoundEnds } from '../dialect.js'

/** Bound values of one server-side prepared statement: the protocol counts them in 16 bits. */
const MAX_PARAMETERS = 65_535

/** How a compound statement starts: the MySQL driver recognizes the ones that open a transaction. */
export const COMPOUND = 'BEGIN NOT ATOMIC '

/**
 * MariaDB's anonymous block (10.1+): the statements, with the transaction control around them, as
 * one statement that is prepared on the server with every value bound (`?` keeps its order across
 * the statements). With a closing statement, an exit handler undoes everything and raises the error
 * again (errno and SQLSTATE unchanged: a unique violation stays one), so nothing is committed after
 * a failed statement; without one, the caller undoes (the block stops at its first error).
 */
export function mariadbCompound(statements: readonly Statement[], ends: CompoundEnds): Statement | undefined {
  let count = 0
  for (const s of statements) count += s.parameters.length
  if (count > MAX_PARAMETERS) return undefined
  let sql = COMPOUND
  if (ends.close !== undefined && ends.undo !== undefined) {
    sql += `DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ${ends.undo}; RESIGNAL; END; `
  }
  if (ends.open !== undefined) sql += `${ends.open}; `
  const parameters: unknown[] = []
  for (const s of statements) {
    sql += `${s.sql}; `
    for (const p of s.parameters) parameters.push(p)
  }
  if (ends.close !== undefined) sql += `${ends.close}; `
  return { sql: `${sql}END`, parameters }
}

/**
 * A guarded step: the locals declared, the transaction opened, `set` run (a `SELECT … INTO` that
 * finds no row leaves them NULL: a warning, not an error), `then` only when `when` holds, `result`
 * last, then the close; a failure anywhere undoes everything and is raised again.
 */
export function mariadbGuardedCompound(step: Guarded, ends: CompoundEnds): Statement {
  let sql = COMPOUND
  for (const [name, type] of step.locals) sql += `DECLARE ${name} ${type} DEFAULT NULL; `
  if (ends.undo !== undefined) sql += `DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ${ends.undo}; RESIGNAL; END; `
  if (ends.open !== undefined) sql += `${ends.open}; `
  const parameters: unknown[] = [...step.set.parameters]
  sql += `${step.set.sql}; IF ${step.when} THEN `
  for (const s of step.then) {
    sql += `${s.sql}; `
    for (const p of s.parameters) parameters.push(p)
  }
  sql += `END IF; ${step.result.sql}; `
  for (const p of step.result.parameters) parameters.push(p)
  if (ends.close !== undefined) sql += `${ends.close}; `
  return { sql: `${sql}END`, parameters }
}
