import type { LogicalType } from './logical-type.js'

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

/** `normalizeDecimal`, or the value unchanged when it does not fit. */
export function normalizeOr(value: string, precision: number, scale: number): string {
  const n = normalizeDecimal(value, precision, scale)
  return typeof n === 'string' ? n : value
}

/** A value that cannot be stored in its column, and why (from `encodeChecked`). */
export class Unstorable {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}
