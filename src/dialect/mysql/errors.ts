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

interface MysqlErrorLike {
  errno?: number
  code?: string
  sqlState?: string
  sqlMessage?: string
  message?: string
}

/** MySQL / MariaDB errors by errno. */
export function convertMysqlError(error: unknown, context: StatementContext): FFStorageError {
  if (error instanceof FFStorageError) return error
  const e = (error ?? {}) as MysqlErrorLike
  const message = e.sqlMessage ?? e.message ?? String(error)
  const errno = typeof e.errno === 'number' ? e.errno : undefined
  const constraint = constraintName(message)
  const base = {
    cause: error,
    ...(context.sql !== undefined && { sql: context.sql }),
    ...(context.parameters !== undefined && { parameters: context.parameters }),
    ...(errno !== undefined && { dbCode: String(errno) }),
    ...(constraint !== undefined && { constraint }),
  }
  switch (errno) {
    case 1062: // ER_DUP_ENTRY
    case 1586: // ER_DUP_ENTRY_WITH_KEY_NAME
      // MySQL's message quotes the duplicate key's values: name the constraint only
      return new UniqueViolationError(`Unique constraint ${constraint ?? ''} violated`, base)
    case 1216:
    case 1217:
    case 1451: // ER_ROW_IS_REFERENCED_2
    case 1452: // ER_NO_REFERENCED_ROW_2
      return new ForeignKeyViolationError(message, base)
    case 3819: // MySQL ER_CHECK_CONSTRAINT_VIOLATED
    case 4025: // MariaDB ER_CONSTRAINT_FAILED
      return new CheckViolationError(message, base)
    case 1048: // ER_BAD_NULL_ERROR
    case 1364: // ER_NO_DEFAULT_FOR_FIELD
      return new NotNullViolationError(message, base)
    case 1969: // MariaDB ER_STATEMENT_TIMEOUT
    case 3024: // MySQL ER_QUERY_TIMEOUT
    case 1317: // ER_QUERY_INTERRUPTED
      return new QueryTimeoutError(`Statement cancelled: ${message}`, base)
    case 1213: // ER_LOCK_DEADLOCK
    case 1205: // ER_LOCK_WAIT_TIMEOUT
    case 1020: // ER_CHECKREAD (record changed since last read)
      return new SerializationError(message, base)
    case 1040: // ER_CON_COUNT_ERROR
    case 1053: // ER_SERVER_SHUTDOWN
    case 1927: // MariaDB ER_CONNECTION_KILLED
    case 2006: // CR_SERVER_GONE_ERROR
    case 2013: // CR_SERVER_LOST
    case 4031: // MySQL ER_CLIENT_INTERACTION_TIMEOUT
      return new ConnectionError(message, base)
  }
  const network = networkErrorMessage(error)
  if (network) return new ConnectionError(network, base)
  return new QueryError(message, base)
}

/** MySQL puts the constraint name only in the message: `… for key 'users.users_email_key'`. */
function constraintName(message: string): string | undefined {
  const m =
    /for key '([^']+)'/.exec(message) ??
    /CONSTRAINT [`"]([^`"]+)[`"]/.exec(message) ??
    /constraint '([^']+)'/i.exec(message)
  if (!m?.[1]) return undefined
  const name = m[1]
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}
