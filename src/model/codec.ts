import type { FieldDef } from './define-model.js'
import { normalizeOr, valueType } from './values.js'

export { normalizeDecimal, Unstorable, valueType } from './values.js'

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
