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
  const detail = e.detail ? ` (${e.detail})` : ''
  switch (code) {
    case '23505': {
      // the key's columns, never its values (they stay in `cause` for whoever may see them)
      const columns = /^Key \(([^)]*)\)=/.exec(e.detail ?? '')?.[1]
      return new UniqueViolationError(
        `Unique constraint ${e.constraint ?? ''} violated${columns ? ` on (${columns})` : ''}`,
        base,
      )
    }
    case '23503':
      return new ForeignKeyViolationError(`Foreign key ${e.constraint ?? ''} violated${detail}`, base)
    case '23514':
      return new CheckViolationError(`Check constraint ${e.constraint ?? ''} violated${detail}`, base)
    case '23502':
      return new NotNullViolationError(message, base)
    case '57014':
      return new QueryTimeoutError(`Statement cancelled: ${message}`, base)
    case '40001':
    case '40P01':
      return new SerializationError(message, base)
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
