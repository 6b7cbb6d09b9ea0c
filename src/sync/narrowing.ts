import type { SqlFamily } from '../dialect/dialect.js'

const INT_RANGE: Record<string, readonly [string, string]> = {
  tinyint: ['-128', '127'],
  smallint: ['-32768', '32767'],
  mediumint: ['-8388608', '8388607'],
  int: ['-2147483648', '2147483647'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
}

/**
 * A condition (SQL, both families) true for the values of `column` (quoted) that do not fit type
 * `to` unchanged: too long, too many digits, out of range, or rounded. PostgreSQL's explicit cast
 * truncates strings and rounds numbers silently, so narrowing is checked against the data first.
 * `undefined`: no exact test for this pair of types (the conversion then fails loudly or not at all).
 */
export function misfitCondition(column: string, from: string, to: string, family: SqlFamily): string | undefined {
  const length = /^(?:character varying|varchar|character|char)\((\d+)\)$/.exec(to)
  if (length) return `CHAR_LENGTH(${column}) > ${Number(length[1])}`
  const decimal = /^(?:numeric|decimal)\((\d+),(\d+)\)$/.exec(to)
  const exactFrom = /^(?:numeric|decimal)\b/.test(from) || from in INT_RANGE
  if (decimal && exactFrom) {
    const [p, s] = [Number(decimal[1]), Number(decimal[2])]
    const bound = `1${'0'.repeat(p - s)}`
    return `(ABS(${column}) >= ${bound} OR ${column} <> ROUND(${column}, ${s}))`
  }
  const range = INT_RANGE[to === 'integer' && family === 'mysql' ? 'int' : to]
  if (range && (exactFrom || /^(?:double|real|float)/.test(from))) {
    return `(${column} < ${range[0]} OR ${column} > ${range[1]} OR ${column} <> ROUND(${column}))`
  }
  return undefined
}
