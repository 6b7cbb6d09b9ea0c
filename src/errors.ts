/**
 * Typed errors. Every error the library throws extends {@link FFStorageError} and carries a stable
 * `code`; errors that come from a statement also carry its `sql` and `parameters` (not enumerable, so
 * a serialized error shows no bound values), and the driver's error as `cause`.
 *
 * @example
 * try { await users.create(input) } catch (e) {
 *   if (e instanceof UniqueViolationError) console.log(e.constraint)
 * }
 */
import type { $ZodIssue } from 'zod/v4/core'

export interface ErrorContext {
  cause?: unknown
  sql?: string
  parameters?: readonly unknown[]
  /** SQLSTATE (PostgreSQL) or errno (MySQL) of the driver error, when there is one. */
  dbCode?: string
  /** Constraint name reported by the database, when there is one. */
  constraint?: string
  /** Override whether re-running the whole operation may succeed. */
  transient?: boolean
}

export class FFStorageError extends Error {
  readonly code: string
  readonly sql?: string
  readonly parameters?: readonly unknown[]
  readonly dbCode?: string
  readonly constraint?: string
  /** True when re-running the whole operation may succeed (deadlock, serialization, lost connection). */
  readonly transient: boolean

  constructor(code: string, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause })
    this.name = new.target.name
    this.code = code
    this.transient = context.transient ?? false
    if (context.sql !== undefined) this.sql = context.sql
    // not enumerable: a logger that serializes the error must not print the bound values (user data)
    // unless asked to (the library's own logs include them only with logParameters)
    if (context.parameters !== undefined)
      Object.defineProperty(this, 'parameters', { value: context.parameters, enumerable: false })
    if (context.dbCode !== undefined) this.dbCode = context.dbCode
    if (context.constraint !== undefined) this.constraint = context.constraint
  }
}

/** Input failed validation; `issues` lists every problem found (Zod issues or our own). */
export class ValidationError extends FFStorageError {
  readonly issues: readonly ValidationIssue[]
  constructor(message: string, issues: readonly ValidationIssue[], context?: ErrorContext) {
    super('VALIDATION', `${message}${formatIssues(issues)}`, context)
    this.issues = issues
  }
}

export type ValidationIssue = Pick<$ZodIssue, 'code' | 'message' | 'path'> & Partial<$ZodIssue>

function formatIssues(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return ''
  return `:\n${issues
    .map((i) => `  - ${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('\n')}`
}

export class NotFoundError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('NOT_FOUND', message, context)
  }
}

export class TenantNotConfiguredError extends FFStorageError {
  constructor(message: string) {
    super('TENANT_NOT_CONFIGURED', message)
  }
}

export class TenantIsolationError extends FFStorageError {
  constructor(message: string) {
    super('TENANT_ISOLATION', message)
  }
}

export class TemporalStrategyError extends FFStorageError {
  constructor(message: string) {
    super('TEMPORAL_STRATEGY', message)
  }
}

export class VersionConflictError extends FFStorageError {
  readonly expectedVersion: number
  readonly actualVersion: number | null
  constructor(message: string, expectedVersion: number, actualVersion: number | null) {
    super('VERSION_CONFLICT', message)
    this.expectedVersion = expectedVersion
    this.actualVersion = actualVersion
  }
}

export class UniqueViolationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('UNIQUE_VIOLATION', message, context)
  }
}

export class ForeignKeyViolationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('FOREIGN_KEY_VIOLATION', message, context)
  }
}

export class CheckViolationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('CHECK_VIOLATION', message, context)
  }
}

export class NotNullViolationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('NOT_NULL_VIOLATION', message, context)
  }
}

/** One statement a sync ran, and the plan change it belongs to. */
export interface AppliedStatement {
  /** The change's `description`, as in the plan. */
  readonly change: string
  readonly kind: string
  readonly table: string
  readonly object: string
  readonly sql: string
}

/**
 * The models cannot be synced, or applying the plan failed. `applied` lists, statement by
 * statement, what had run when it failed (always empty where DDL is transactional: nothing stays).
 */
export class SchemaSyncError extends FFStorageError {
  readonly applied: readonly AppliedStatement[]
  /** The failure was a lock wait that timed out (`lockTimeoutMs`): another transaction held the table. */
  readonly lockTimeout: boolean
  constructor(
    message: string,
    context?: ErrorContext & { applied?: readonly AppliedStatement[]; lockTimeout?: boolean },
  ) {
    super('SCHEMA_SYNC', message, context)
    this.applied = Object.freeze([...(context?.applied ?? [])])
    this.lockTimeout = context?.lockTimeout ?? false
  }
}

export class PoolExhaustedError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('POOL_EXHAUSTED', message, context)
  }
}

export class QueryTimeoutError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('QUERY_TIMEOUT', message, context)
  }
}

export class CircuitOpenError extends FFStorageError {
  constructor(message: string) {
    super('CIRCUIT_OPEN', message)
  }
}

/** The server could not be reached, refused us, or the connection broke. Transient. */
export class ConnectionError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('CONNECTION', message, { ...context, transient: context?.transient ?? true })
  }
}

/** Serialization failure or deadlock: the transaction was rolled back by the server. Transient. */
export class SerializationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('SERIALIZATION', message, { ...context, transient: context?.transient ?? true })
  }
}

/** A bad URL, an unknown scheme or inconsistent options given to `connect()`. */
export class ConfigurationError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('CONFIGURATION', message, context)
  }
}

/** Any other error reported by the database; `dbCode` holds its SQLSTATE or errno. */
export class QueryError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('QUERY', message, context)
  }
}

/** A model definition that cannot be stored as given (`defineModel`, `validateModel`, schema sync). */
export class ModelDefinitionError extends FFStorageError {
  constructor(message: string, context?: ErrorContext) {
    super('MODEL_DEFINITION', message, context)
  }
}
