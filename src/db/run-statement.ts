import { CompiledQuery, type Kysely } from 'kysely'
import { ConfigurationError, ConnectionError, ValidationError } from '../errors.js'
import type { Statement, StatementResult } from '../sql/statement.js'
import { holding, type Runtime } from './runtime.js'

/** Errors of statements refused before anything was sent (a COMMIT among them was never applied). */
export const NOT_SENT = new WeakSet<object>()

/**
 * Send one statement on `kysely` (the pool, or a transaction's connection at `depth` > 0) and return
 * its rows; every driver error leaves here converted. Checks, breaker, timing, slow-query log and
 * error metrics of every statement the library or a caller sends live here, once.
 */
export async function runStatement<R>(
  runtime: Runtime,
  // biome-ignore lint/suspicious/noExplicitAny: the untyped builder statements run on
  kysely: Kysely<any>,
  depth: number,
  statement: Statement,
  control: boolean,
): Promise<StatementResult<R>> {
  const { dialect, options, breaker, metrics } = runtime
  if (runtime.closed) {
    const closed = new ConnectionError('The database has been closed')
    NOT_SENT.add(closed)
    throw closed
  }
  if (depth === 0 && holding(runtime)) {
    // the transaction holds the only connection: waiting for it would never end
    throw new ConfigurationError(
      `${dialect.name} has a single connection, held by the transaction this call runs in: use the transaction's \`tx\` (and tx.repository(...)) inside db.transaction(...)`,
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
  const ticket = control || depth > 0 ? undefined : breaker.enter()
  const started = performance.now()
  try {
    const result = await kysely.executeQuery<R>(CompiledQuery.raw(statement.sql, parameters))
    const ms = performance.now() - started
    metrics.query(statement.sql, ms / 1000)
    if (ticket !== undefined) breaker.leave(ticket)
    if (ms >= options.slowQueryMs) {
      options.logger?.warn(
        { sql: statement.sql, ms: Math.round(ms), ...values(runtime, statement) },
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
      { sql: statement.sql, code: error.code, dbCode: error.dbCode, ...values(runtime, statement) },
      'ff-storage: statement failed',
    )
    throw error
  }
}

function values(runtime: Runtime, statement: Statement): { parameters?: readonly unknown[] } {
  return runtime.options.logParameters ? { parameters: statement.parameters } : {}
}
