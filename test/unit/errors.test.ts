import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import { defineModel, FFStorageError, ModelDefinitionError } from '../../src/index.js'

type ErrorClass = abstract new (...args: never[]) => Error

/** Every error class the package exports, built once, and the code it must carry (part of the API). */
const EXPECTED: Record<string, [code: string, make: () => Error]> = {
  FFStorageError: ['SOME_CODE', () => new api.FFStorageError('SOME_CODE', 'm')],
  ValidationError: ['VALIDATION', () => new api.ValidationError('m', [])],
  NotFoundError: ['NOT_FOUND', () => new api.NotFoundError('m')],
  TenantNotConfiguredError: ['TENANT_NOT_CONFIGURED', () => new api.TenantNotConfiguredError('m')],
  TenantIsolationError: ['TENANT_ISOLATION', () => new api.TenantIsolationError('m')],
  TemporalStrategyError: ['TEMPORAL_STRATEGY', () => new api.TemporalStrategyError('m')],
  VersionConflictError: ['VERSION_CONFLICT', () => new api.VersionConflictError('m', 2, 3)],
  UniqueViolationError: ['UNIQUE_VIOLATION', () => new api.UniqueViolationError('m')],
  ForeignKeyViolationError: ['FOREIGN_KEY_VIOLATION', () => new api.ForeignKeyViolationError('m')],
  CheckViolationError: ['CHECK_VIOLATION', () => new api.CheckViolationError('m')],
  NotNullViolationError: ['NOT_NULL_VIOLATION', () => new api.NotNullViolationError('m')],
  SchemaSyncError: ['SCHEMA_SYNC', () => new api.SchemaSyncError('m')],
  PoolExhaustedError: ['POOL_EXHAUSTED', () => new api.PoolExhaustedError('m')],
  QueryTimeoutError: ['QUERY_TIMEOUT', () => new api.QueryTimeoutError('m')],
  CircuitOpenError: ['CIRCUIT_OPEN', () => new api.CircuitOpenError('m')],
  ConnectionError: ['CONNECTION', () => new api.ConnectionError('m')],
  SerializationError: ['SERIALIZATION', () => new api.SerializationError('m')],
  ConfigurationError: ['CONFIGURATION', () => new api.ConfigurationError('m')],
  QueryError: ['QUERY', () => new api.QueryError('m')],
  ModelDefinitionError: ['MODEL_DEFINITION', () => new api.ModelDefinitionError('m')],
}

const exports: Record<string, unknown> = { ...api }
const exportedErrors = Object.entries(exports).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === 'function' && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
)

describe('exported errors', () => {
  it('are exactly the classes listed here (a new one needs its code pinned)', () => {
    expect(exportedErrors.map(([name]) => name).sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it.each(Object.entries(EXPECTED))(
    '%s extends FFStorageError, with its name, a stable code and a cause',
    (name, [code, make]) => {
      const error = make()
      expect(error).toBeInstanceOf(FFStorageError)
      expect(error).toBeInstanceOf(exports[name] as ErrorClass)
      expect(error.name).toBe(name)
      expect((error as FFStorageError).code).toBe(code)
      expect((error as FFStorageError).transient).toBeTypeOf('boolean')
    },
  )

  it('carry the cause they were given', () => {
    const cause = new Error('driver')
    expect(new api.ConnectionError('m', { cause }).cause).toBe(cause)
    expect(new api.ModelDefinitionError('m', { cause }).cause).toBe(cause)
  })

  it('a model that cannot be defined fails with ModelDefinitionError, an FFStorageError', () => {
    let thrown: unknown
    try {
      defineModel({ table: '', fields: {} })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ModelDefinitionError)
    expect(thrown).toBeInstanceOf(FFStorageError)
    expect((thrown as FFStorageError).code).toBe('MODEL_DEFINITION')
  })
})
