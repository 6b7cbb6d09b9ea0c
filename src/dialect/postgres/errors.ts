import {
  CheckViolationError,
  ConnectionError,
  FFStorageError,
  ForeignKeyViolationError,
  NotNullViolationError,
  QueryError,
  QueryTimeoutError,
  SerializationError,
  UniqueViolationError,
} from '../../errors.js'
import type { StatementContext } from '../dialect.js'
import { networkErrorMessage } from '../network-errors.js'

interface PgErrorLike {
  code?: string
  message?: string
  constraint?: string
  detail?: string
  table?: string
}

/** PostgreSQL (and PGlite) errors by SQLSTATE. */
export function convertPostgresError(error: unknown, context: StatementContext): FFStorageError {
  if (error instanceof FFStorageError) return error
  const e = (error ?? {}) as PgErrorLike
  const code = typeof e.code === 'string' ? e.code : undefined
  const message = e.message ?? String(error)
  const base = {
    cause: error,
    ...(context.sql !== undefined && { sql: context.sql }),
    ...(context.parameters !== undefined && { parameters: context.parameters }),
    ...(code !== undefined && { dbCode: code }),
    ...(e.constraint !== undefined && { constraint: e.constraint }),
  }
  // the key's columns, never its values, nor the failing row's (they stay in `cause`, for whoever may see them)
  const columns = /^Key \(([^)]*)\)=/.exec(e.detail ?? '')?.[1]
  const on = columns ? ` on (${columns})` : ''
  switch (code) {
    case '23505':
      return new UniqueViolationError(`Unique constraint ${e.constraint ?? ''} violated${on}`, base)
    case '23503': {
      // which side: a missing parent (insert/update) or a row still referenced (delete)
      const side = /is still referenced/.test(e.detail ?? '')
        ? ': the row is still referenced'
        : /is not present/.test(e.detail ?? '')
          ? ': no such row in the referenced table'
          : ''
      return new ForeignKeyViolationError(`Foreign key ${e.constraint ?? ''} violated${on}${side}`, base)
    }
    case '23514':
      return new CheckViolationError(`Check constraint ${e.constraint ?? ''} violated`, base)
    case '23502':
      return new NotNullViolationError(message, base)
    case '57014':
      return new QueryTimeoutError(`Statement cancelled: ${message}`, base)
    case '40001':
    case '40P01':
      return new SerializationError(message, base)
  }
  if ((code === '0A000' && /cached plan must not change result type/.test(message)) || code === '26000') {
    // a prepared statement the schema outdated (or the server forgot): the driver prepares afresh
    // on the connection's next statement, so the whole operation (a transaction) may be re-run
    return new QueryError(`A prepared statement went stale: ${message}`, { ...base, transient: true })
  }
  if (code === '08P01') {
    // protocol violation: the statement itself is malformed (too many parameters, say); the
    // connection is fine and running it again would fail the same way
    return new QueryError(`The server rejected the statement (protocol violation): ${message}`, base)
  }
  if (code?.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') {
    return new ConnectionError(message, base)
  }
  const network = networkErrorMessage(error)
  if (network) return new ConnectionError(network, base)
  return new QueryError(message, base)
}
