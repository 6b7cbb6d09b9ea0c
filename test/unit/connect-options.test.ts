import { describe, expect, it } from 'vitest'
import { sessionSqlMode } from '../../src/db/drivers/mysql-sql-mode.js'
import { resolveOptions } from '../../src/db/options.js'
import { ConfigurationError, type ConnectOptions } from '../../src/index.js'

function refusal(options: unknown): ConfigurationError {
  try {
    resolveOptions(options as ConnectOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    return error as ConfigurationError
  }
  throw new Error(`accepted ${JSON.stringify(options)}`)
}

describe('connect() options', () => {
  it('refuses an unknown key, naming it, the nearest known one and the known ones', () => {
    const e = refusal({ statementTimeout: 10 })
    expect(e.message).toContain('"statementTimeout"')
    expect(e.message).toContain('did you mean "statementTimeoutMs"')
    expect(e.message).toContain('connectTimeoutMs')
    expect(refusal({ pool: { maxConnections: 5 } }).message).toMatch(
      /"pool.maxConnections".*known options of pool: min, max/,
    )
    expect(refusal({ retry: { attempt: 5 } }).message).toContain('did you mean "retry.attempts"')
    expect(refusal({ circuitBreaker: { threshold: 1 } }).message).toContain('"circuitBreaker.threshold"')
  })

  it('says how TLS is configured when given ssl', () => {
    const e = refusal({ url: 'postgres://db/app', ssl: { rejectUnauthorized: true } })
    expect(e.message).toContain('"ssl"')
    expect(e.message).toContain('sslmode=verify-full')
    expect(e.message).toContain('?ssl=')
  })

  it.each([
    ['a fraction', { statementTimeoutMs: 0.5 }, 'statementTimeoutMs'],
    ['a string', { statementTimeoutMs: '30s' }, '"30s"'],
    ['0 as "no limit"', { statementTimeoutMs: 0 }, 'leave it unset'],
    ['a negative limit', { idleInTransactionTimeoutMs: -1 }, 'idleInTransactionTimeoutMs'],
    ['NaN', { connectTimeoutMs: Number.NaN }, 'connectTimeoutMs'],
    ['past setTimeout’s range', { pool: { acquireTimeoutMs: 2 ** 31 } }, 'pool.acquireTimeoutMs'],
    ['a pool of no connections', { pool: { max: 0 } }, 'pool.max'],
    ['min above max', { pool: { min: 5, max: 2 } }, 'pool.min (5) is larger than pool.max (2)'],
    ['min above the default max', { pool: { min: 11 } }, 'pool.min (11)'],
    ['no attempts', { retry: { attempts: 0 } }, 'retry.attempts'],
    ['a negative threshold', { circuitBreaker: { failureThreshold: -1 } }, 'circuitBreaker.failureThreshold'],
    ['a pool that is not an object', { pool: 5 }, 'pool must be an object'],
    ['a string for a boolean', { preparedStatements: 'false' }, 'preparedStatements must be true or false'],
    ['a logger without methods', { logger: { info() {} } }, 'missing: debug, warn, error'],
    ['a threshold that is not a number', { slowQueryMs: '500' }, 'slowQueryMs'],
    ['a URL that is not a string', { url: 5 }, 'url must be a database URL string'],
  ])('refuses %s', (_, options, text) => {
    expect(refusal(options).message).toContain(text)
  })

  it('accepts what the docs show, undefined as "not given", and 0 where it means off', () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} }
    const resolved = resolveOptions({
      url: undefined,
      pool: { min: 2, max: 20, acquireTimeoutMs: 5_000 },
      statementTimeoutMs: 30_000,
      idleInTransactionTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 1_000 },
      circuitBreaker: { failureThreshold: 0, cooldownMs: 10_000 },
      logger,
      slowQueryMs: 0,
      logParameters: false,
      healthDegradedMs: -1,
      preparedStatements: false,
      embedded: true,
    })
    expect(resolved.pool).toEqual({ min: 2, max: 20, acquireTimeoutMs: 5_000, idleTimeoutMs: 30_000 })
    expect(resolved.statementTimeoutMs).toBe(30_000)
    expect(resolveOptions({}).statementTimeoutMs).toBeUndefined()
  })
})

describe('MySQL/MariaDB session sql_mode', () => {
  it('keeps the server’s harmless modes and adds strict mode and ANSI_QUOTES', () => {
    expect(sessionSqlMode('ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO')).toBe(
      'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES',
    )
    expect(sessionSqlMode('')).toBe('STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES')
    expect(sessionSqlMode('ANSI_QUOTES,STRICT_ALL_TABLES')).toBe('STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES')
  })

  it('drops the modes that change what generated SQL means', () => {
    expect(sessionSqlMode('NO_BACKSLASH_ESCAPES,PAD_CHAR_TO_FULL_LENGTH,STRICT_TRANS_TABLES')).toBe(
      'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES',
    )
    // sql_mode = 'ANSI' (MySQL lists its parts too) and MariaDB's sql_mode = 'ORACLE'
    expect(sessionSqlMode('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY,ANSI')).toBe(
      'ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES',
    )
    expect(
      sessionSqlMode(
        'PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ORACLE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS,NO_AUTO_CREATE_USER,SIMULTANEOUS_ASSIGNMENT',
      ),
    ).toBe('NO_AUTO_CREATE_USER,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES')
    expect(sessionSqlMode('EMPTY_STRING_IS_NULL,TIME_ROUND_FRACTIONAL,HIGH_NOT_PRECEDENCE,ALLOW_INVALID_DATES')).toBe(
      'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES',
    )
  })
})
