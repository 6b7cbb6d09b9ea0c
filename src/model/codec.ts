import type { SqlFamily } from '../dialect/dialect.js'
import { normalizeUuid } from '../ids.js'
import type { FieldDef } from './define-model.js'
import type { LogicalType } from './logical-type.js'
import { jsonProblem, storableProblem } from './storable.js'

/** What a logical type holds once wrappers and overrides are looked through. */
export function valueType(type: LogicalType): LogicalType | undefined {
  return type.kind === 'native' ? type.value : type
}

const isDigit = (c: number) => c >= 48 && c <= 57
const notDecimal = (value: string) => ({ error: `"${value}" is not a decimal number` })

/**
 * An exact decimal in the column's scale: `'10.5'` → `'10.50'` for scale 2. Returns an error message
 * when the value has more fraction digits than the scale or more integer digits than fit.
 */
export function normalizeDecimal(value: string, precision: number, scale: number): string | { error: string } {
  const s = value.trim()
  let i = 0
  let sign = ''
  if (s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45) {
    sign = s.charCodeAt(0) === 45 ? '-' : ''
    i = 1
  }
  let intStart = i
  while (i < s.length && isDigit(s.charCodeAt(i))) i++
  const intEnd = i
  if (intEnd === intStart) return notDecimal(value)
  let fracStart = i
  let fracEnd = i
  if (i < s.length) {
    if (s.charCodeAt(i) !== 46) return notDecimal(value)
    fracStart = ++i
    while (i < s.length && isDigit(s.charCodeAt(i))) i++
    fracEnd = i
    if (fracEnd === fracStart || i < s.length) return notDecimal(value)
  }
  while (intStart < intEnd - 1 && s.charCodeAt(intStart) === 48) intStart++
  while (fracEnd > fracStart && s.charCodeAt(fracEnd - 1) === 48) fracEnd--
  const int = s.slice(intStart, intEnd)
  const frac = s.slice(fracStart, fracEnd)
  if (frac.length > scale) return { error: `"${value}" has more than ${scale} decimal places` }
  if (int.length > precision - scale && int !== '0') {
    return { error: `"${value}" has more than ${precision - scale} integer digits` }
  }
  const text = scale > 0 ? `${int}.${frac.padEnd(scale, '0')}` : int
  return int === '0' && frac === '' ? text : `${sign}${text}`
}

/** A value that cannot be stored in its column, and why (from `encodeChecked`). */
export class Unstorable {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

/**
 * `encodeValue` after the checks Zod cannot know (a decimal's scale and precision of the column, what
 * the engines can store: see storable.ts): the bound value, or Unstorable. UUIDs are bound in lower
 * case (see normalizeUuid).
 */
export function encodeChecked(f: FieldDef, value: unknown, family: SqlFamily): unknown {
  if (value === undefined || value === null) return null
  const t = valueType(f.type)
  if (t?.kind === 'decimal' && !t.asNumber) {
    const n = normalizeDecimal(String(value), t.precision, t.scale)
    return typeof n === 'string' ? n : new Unstorable(n.error)
  }
  const problem =
    storableProblem(f.type, value) ?? (t?.kind === 'array' && family === 'mysql' ? jsonProblem(value) : undefined)
  if (problem !== undefined) return new Unstorable(problem)
  if (t?.kind === 'uuid') return normalizeUuid(value) ?? value
  return encodeValue(f, value, family)
}

/** Bind a model value for a column (JSON as text; dates as Date; everything else as is). */
export function encodeValue(f: FieldDef, value: unknown, family: SqlFamily): unknown {
  if (value === undefined || value === null) return null
  const t = valueType(f.type)
  if (!t) return value
  switch (t.kind) {
    case 'json':
      return JSON.stringify(value)
    case 'array':
      return family === 'postgres' ? value : JSON.stringify(value)
    case 'decimal': {
      const normalized = normalizeDecimal(String(value), t.precision, t.scale)
      return typeof normalized === 'string' ? normalized : String(value)
    }
    default:
      return value
  }
}

/**
 * Turn what the driver returned into the model's type. PostgreSQL drivers parse json/jsonb;
 * MySQL-family JSON arrives as text (MariaDB stores it as text; mysql2 runs with jsonStrings).
 */
export function decodeValue(f: FieldDef, raw: unknown, family: SqlFamily): unknown {
  return decoderFor(f, family)(raw)
}

export type Decoder = (raw: unknown) => unknown

const DECODERS = { postgres: new WeakMap<FieldDef, Decoder>(), mysql: new WeakMap<FieldDef, Decoder>() }

/** `decodeValue` for one field and engine family, with the type looked at once (cached per field). */
export function decoderFor(f: FieldDef, family: SqlFamily): Decoder {
  const cache = DECODERS[family]
  let decoder = cache.get(f)
  if (!decoder) {
    const convert = converter(valueType(f.type), family)
    const absent = f.acceptsNull ? null : undefined
    decoder = convert
      ? (raw) => (raw === null || raw === undefined ? absent : convert(raw))
      : (raw) => (raw === null || raw === undefined ? absent : raw)
    cache.set(f, decoder)
  }
  return decoder
}

/** The conversion of a present (non-null) value, or undefined when the driver's value is the model's. */
function converter(t: LogicalType | undefined, family: SqlFamily): Decoder | undefined {
  if (!t) return undefined
  const mysql = family === 'mysql'
  switch (t.kind) {
    case 'json':
      return mysql ? (raw) => (typeof raw === 'string' ? JSON.parse(raw) : raw) : undefined
    case 'array': {
      const dates = t.element.kind === 'timestamp'
      const list = (raw: unknown) =>
        mysql && typeof raw === 'string' ? (JSON.parse(raw) as unknown[]) : (raw as unknown[])
      if (!dates) return mysql ? list : undefined
      return (raw) => list(raw).map((v) => (v === null ? null : new Date(v as string)))
    }
    case 'integer':
    case 'float':
      return (raw) => (typeof raw === 'number' ? raw : Number(raw))
    case 'bigint':
      return (raw) => (typeof raw === 'bigint' ? raw : BigInt(raw as string))
    case 'decimal':
      return t.asNumber ? (raw) => Number(raw) : (raw) => (typeof raw === 'string' ? raw : String(raw))
    case 'boolean':
      return (raw) => (typeof raw === 'boolean' ? raw : raw === 1 || raw === '1')
    case 'timestamp':
      return (raw) => (raw instanceof Date ? raw : new Date(raw as string))
    case 'date':
      return (raw) => (raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw))
    case 'string':
      // exact text ids are varbinary on MySQL/MariaDB: the driver returns bytes
      return t.exact && mysql
        ? (raw) =>
            raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') : raw
        : undefined
    default:
      return undefined
  }
}

/**
 * The JSON form a value takes in the audit trail, the same on every engine: exact decimals and
 * bigints as strings, timestamps as ISO strings.
 */
export function auditJson(f: FieldDef, value: unknown): unknown {
  if (value === undefined || value === null) return null
  const t = valueType(f.type)
  if (!t) return value
  switch (t.kind) {
    case 'decimal':
      return t.asNumber ? value : String(value)
    case 'bigint':
      return String(value)
    case 'timestamp':
      return (value as Date).toISOString()
    default:
      return value
  }
}

/** Read an audit value back into the model's type. */
export function fromAuditJson(f: FieldDef | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (!f) return value
  const t = valueType(f.type)
  if (!t) return value
  switch (t.kind) {
    case 'timestamp':
      return new Date(value as string)
    case 'bigint':
      return BigInt(value as string)
    case 'integer':
    case 'float':
      return Number(value)
    case 'decimal':
      return t.asNumber ? Number(value) : normalizeOr(String(value), t.precision, t.scale)
    default:
      return value
  }
}

function normalizeOr(value: string, precision: number, scale: number): string {
  const n = normalizeDecimal(value, precision, scale)
  return typeof n === 'string' ? n : value
}

/** Equality by value: JSON regardless of key order, decimals numerically, dates by instant. */
export function sameValue(f: FieldDef, a: unknown, b: unknown): boolean {
  if (a === undefined) a = null
  if (b === undefined) b = null
  if (a === null || b === null) return a === b
  const t = valueType(f.type)
  if (t?.kind === 'decimal' && !t.asNumber) {
    return normalizeOr(String(a), 65, t.scale) === normalizeOr(String(b), 65, t.scale)
  }
  return deepEqual(a, b)
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]))
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  if (ka.length !== kb.length) return false
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
