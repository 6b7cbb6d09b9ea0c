import { ConfigurationError } from '../errors.js'

/**
 * connect() options are checked before anything is opened: a misspelled key (`statementTimeout`)
 * or a nested `ssl` object would otherwise be ignored without a word — no timeout, a plaintext
 * connection — and a fraction or a string (`'30s'`) would be truncated or fail late.
 */

/** setTimeout (acquire, connect) and PostgreSQL's integer settings stop at 2^31 − 1 ms (~24.8 days). */
const MAX_MS = 2_147_483_647

type Check = (value: unknown, name: string) => void

const positiveMs: Check = (value, name) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_MS) {
    throw new ConfigurationError(
      `connect(): ${name} must be a whole number of milliseconds from 1 to ${MAX_MS}, got ${show(value)}; leave it unset for the default`,
    )
  }
}

const wholeMs =
  (zero: string): Check =>
  (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MS) {
      throw new ConfigurationError(
        `connect(): ${name} must be a whole number of milliseconds from 0 (${zero}) to ${MAX_MS}, got ${show(value)}`,
      )
    }
  }

const count =
  (min: number, meaning: string): Check =>
  (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 1_000_000) {
      throw new ConfigurationError(`connect(): ${name} must be a whole number ${meaning}, got ${show(value)}`)
    }
  }

/** A threshold compared with a measured duration: any finite number (0 or less: every one counts). */
const threshold: Check = (value, name) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigurationError(`connect(): ${name} must be a number of milliseconds, got ${show(value)}`)
  }
}

const boolean: Check = (value, name) => {
  if (typeof value !== 'boolean') {
    throw new ConfigurationError(`connect(): ${name} must be true or false, got ${show(value)}`)
  }
}

const string: Check = (value, name) => {
  if (typeof value !== 'string') {
    throw new ConfigurationError(`connect(): ${name} must be a database URL string, got ${show(value)}`)
  }
}

const withMethods =
  (methods: readonly string[], what: string): Check =>
  (value, name) => {
    const o = value as Record<string, unknown> | null
    const missing = typeof o !== 'object' || o === null ? methods : methods.filter((m) => typeof o[m] !== 'function')
    if (missing.length > 0) {
      throw new ConfigurationError(
        `connect(): ${name} must be ${what} (an object with ${methods.join(', ')}); missing: ${missing.join(', ')}`,
      )
    }
  }

const nested =
  (shape: Record<string, Check>): Check =>
  (value, name) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigurationError(`connect(): ${name} must be an object, got ${show(value)}`)
    }
    checkShape(value as Record<string, unknown>, shape, `${name}.`)
  }

const POOL = {
  min: count(0, 'of connections kept open, 0 or more'),
  max: count(1, 'of connections, 1 or more'),
  acquireTimeoutMs: positiveMs,
  idleTimeoutMs: positiveMs,
}

const SHAPE: Record<string, Check> = {
  url: string,
  embedded: boolean,
  pool: nested(POOL),
  statementTimeoutMs: positiveMs,
  connectTimeoutMs: positiveMs,
  idleInTransactionTimeoutMs: positiveMs,
  logger: withMethods(['debug', 'info', 'warn', 'error'], 'a pino-compatible logger'),
  slowQueryMs: threshold,
  retry: nested({
    attempts: count(1, 'of attempts, 1 or more (1: no retries)'),
    baseDelayMs: wholeMs('retry at once'),
    maxDelayMs: wholeMs('retry at once'),
  }),
  circuitBreaker: nested({
    failureThreshold: count(0, 'of consecutive failures, 0 or more (0: no circuit breaker)'),
    cooldownMs: positiveMs,
  }),
  logParameters: boolean,
  healthDegradedMs: threshold,
  cache: withMethods(['get', 'set', 'generation', 'bump'], 'a cache store'),
  preparedStatements: boolean,
}

/** Refuse unknown keys and values of the wrong type or range (undefined means "not given"). */
export function checkConnectOptions(options: object): void {
  checkShape(options as Record<string, unknown>, SHAPE, '')
  const pool = (options as { pool?: { min?: number; max?: number } }).pool
  if (pool?.min !== undefined && pool.min > (pool.max ?? 10)) {
    throw new ConfigurationError(
      `connect(): pool.min (${pool.min}) is larger than pool.max (${pool.max ?? '10, the default'}); raise max or lower min`,
    )
  }
}

function checkShape(o: Record<string, unknown>, shape: Record<string, Check>, prefix: string): void {
  for (const [key, value] of Object.entries(o)) {
    const check = Object.hasOwn(shape, key) ? shape[key] : undefined
    if (check === undefined) throw unknownKey(prefix, key, Object.keys(shape))
    if (value !== undefined) check(value, prefix + key)
  }
}

function unknownKey(prefix: string, key: string, known: readonly string[]): ConfigurationError {
  const name = prefix + key
  if (prefix === '' && /^(ssl|tls)/i.test(key)) {
    return new ConfigurationError(
      `connect(): unknown option "${name}": TLS is configured in the URL, not as an option — PostgreSQL: ?sslmode=verify-full (with sslrootcert=<file>, or sslmode=require to encrypt without verifying); MySQL/MariaDB: ?ssl={"rejectUnauthorized":true} (URL-encoded). Known options: ${known.join(', ')}`,
    )
  }
  const near = known.find((k) => close(k.toLowerCase(), key.toLowerCase()))
  return new ConfigurationError(
    `connect(): unknown option "${name}"${near ? ` (did you mean "${prefix}${near}"?)` : ''}; known options${prefix ? ` of ${prefix.slice(0, -1)}` : ''}: ${known.join(', ')}`,
  )
}

/** A prefix of the other (statementTimeout ↔ statementTimeoutMs), or at most two edits apart. */
function close(a: string, b: string): boolean {
  if (a.startsWith(b) || b.startsWith(a)) return Math.min(a.length, b.length) >= 3
  if (Math.abs(a.length - b.length) > 2) return false
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length]! <= 2
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
