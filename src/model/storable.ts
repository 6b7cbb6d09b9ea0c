import type { LogicalType } from './logical-type.js'

/**
 * What every engine stores faithfully, checked before any SQL (docs/bad-input.md). One range and one
 * rule for all engines, so that the same input is accepted everywhere and a database can move
 * between engines: PostgreSQL's `timestamptz` reaches 4713 BC–294276 AD, but PGlite binds dates
 * through text that has no room for years outside 0–9999 (and reads year 1 as 2001), and MariaDB's
 * `datetime` holds years 1000–9999 (it stores NULL or misreads the rest).
 */
const MIN_TIMESTAMP = Date.UTC(1000, 0, 1)
const MAX_TIMESTAMP = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** `String.prototype.isWellFormed` (Node 20+; ES2024, newer than the lib this project compiles against). */
interface WellFormed {
  isWellFormed(): boolean
}

/**
 * Why a string cannot be stored as text, or undefined: NUL (PostgreSQL text and jsonb refuse it) and
 * lone UTF-16 surrogates (no engine can encode them: they come back as U+FFFD or fail).
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which PostgreSQL cannot store'
  if (!(value as unknown as WellFormed).isWellFormed())
    return 'contains a lone UTF-16 surrogate, which no engine can store'
  return undefined
}

export function timestampProblem(value: Date): string | undefined {
  const t = value.getTime()
  if (Number.isNaN(t)) return 'is an invalid Date'
  if (t < MIN_TIMESTAMP || t > MAX_TIMESTAMP) {
    return `${value.toISOString()} is outside the storable range (years 1000 to 9999, UTC)`
  }
  return undefined
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** A calendar date 'YYYY-MM-DD' (years 1000–9999, like timestamps), or why not. */
export function dateProblem(value: string): string | undefined {
  const m = ISO_DATE.exec(value)
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
    const date = new Date(0)
    date.setUTCFullYear(y, mo - 1, d) // Date.UTC would read years 0–99 as 1900–1999
    if (date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) {
      return y < 1000 ? `"${value}" is outside the storable range (years 1000 to 9999)` : undefined
    }
  }
  return `"${value}" is not a date (YYYY-MM-DD)`
}

/**
 * Why `value` cannot become JSON that reads back as it was, or undefined: BigInt, cycles, a `toJSON`
 * that throws, NaN/Infinity (JSON.stringify writes null), functions and symbols (dropped), NUL and
 * lone surrogates in strings and keys. Follows JSON.stringify (toJSON first, own enumerable keys).
 */
export function jsonProblem(value: unknown): string | undefined {
  const seen = new Set<object>()
  const walk = (v: unknown, at: string): string | undefined => {
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
      const toJSON = (v as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') {
        try {
          v = toJSON.call(v, '')
        } catch (error) {
          return `${at}: toJSON() failed (${error instanceof Error ? error.message : String(error)})`
        }
      }
    }
    switch (typeof v) {
      case 'string': {
        const p = textProblem(v)
        return p ? `${at}: a string that ${p}` : undefined
      }
      case 'number':
        return Number.isFinite(v) ? undefined : `${at}: ${v} is not a JSON number`
      case 'boolean':
      case 'undefined':
        return undefined
      case 'bigint':
        return `${at}: a BigInt cannot be stored in JSON (use a string)`
      case 'function':
      case 'symbol':
        return `${at}: a ${typeof v} cannot be stored in JSON`
    }
    if (v === null) return undefined
    const o = v as object
    if (seen.has(o)) return `${at}: a cycle cannot be stored in JSON`
    seen.add(o)
    try {
      if (Array.isArray(o)) {
        for (let i = 0; i < o.length; i++) {
          const p = walk(o[i], `${at}[${i}]`)
          if (p) return p
        }
        return undefined
      }
      if (o instanceof Map || o instanceof Set) return `${at}: a ${o.constructor.name} cannot be stored in JSON`
      for (const key of Object.keys(o)) {
        const k = textProblem(key)
        if (k) return `${at}: a key that ${k}`
        const p = walk((o as Record<string, unknown>)[key], `${at}.${key}`)
        if (p) return p
      }
      return undefined
    } finally {
      seen.delete(o)
    }
  }
  return walk(value, '$')
}

/**
 * Why a value of a field's (Zod-validated) type cannot be stored as it is, or undefined. Covers what
 * Zod does not know: the engines' text, JSON, timestamp and integer limits.
 */
export function storableProblem(type: LogicalType | undefined, value: unknown): string | undefined {
  if (value === null || value === undefined || type === undefined) return undefined
  switch (type.kind) {
    case 'string':
    case 'enum':
    case 'uuid':
      return typeof value === 'string' ? textProblem(value) : undefined
    case 'date':
      return typeof value === 'string' ? dateProblem(value) : undefined
    case 'timestamp':
      return value instanceof Date ? timestampProblem(value) : undefined
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `${String(value)} is not a safe integer`
      if (type.size === 'int' && (value < INT32_MIN || value > INT32_MAX)) {
        return `${value} is outside the column's 32-bit integer range`
      }
      return undefined
    case 'float':
      return typeof value === 'number' && !Number.isFinite(value) ? `${value} is not a finite number` : undefined
    case 'bigint':
      return typeof value === 'bigint' && (value < INT64_MIN || value > INT64_MAX)
        ? `${value} is outside the signed 64-bit range`
        : undefined
    case 'json':
      return jsonProblem(value)
    case 'array': {
      if (!Array.isArray(value)) return undefined
      for (let i = 0; i < value.length; i++) {
        const p = storableProblem(type.element, value[i])
        if (p) return `[${i}]: ${p}`
      }
      return undefined
    }
    case 'native':
      return typeof value === 'string' ? textProblem(value) : storableProblem(type.value, value)
    default:
      return undefined
  }
}
