import { canonicalExpression, type ExpressionSpelling, type SchemaNormalizer, tidyType } from '../expression.js'

/** Character-set introducers MySQL may print before a string literal (`_utf8mb4'x'`). */
const INTRODUCER = /^_(?:utf8mb4|utf8mb3|utf8|latin1|binary|ascii)$/
const COMPARISON = new Set([
  '=',
  '<>',
  '<',
  '>',
  '<=',
  '>=',
  '.',
  '(',
  'is',
  'in',
  'like',
  'between',
  '::',
  '[',
  'regexp',
])
const ESCAPES = new Map([
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['0', '\0'],
])

/**
 * MySQL/MariaDB store booleans as numbers: `false` → `0`, `true` → `1`, and `NOT col` → `col = 0`
 * (MariaDB prints it so). Rewritten in place, on both sides alike.
 */
function booleanLiterals(tokens: string[], words: ReadonlySet<number>): void {
  for (let i = 0; i < tokens.length; i++) {
    if (!words.has(i)) continue
    const t = tokens[i]
    if (t === 'false' || t === 'true') {
      // `IS TRUE` / `IS FALSE` stay as they are written (MariaDB keeps them)
      if (tokens[i - 1] !== 'is' && tokens[i - 1] !== 'not') tokens[i] = t === 'true' ? '1' : '0'
    } else if (
      t === 'not' &&
      words.has(i + 1) &&
      !['null', 'exists', 'in', 'like', 'between', 'regexp'].includes(tokens[i + 1]!)
    ) {
      const next = tokens[i + 2]
      if (next === undefined || !COMPARISON.has(next)) tokens.splice(i, 2, tokens[i + 1]!, '=', '0')
    }
  }
}

/** `X'41'` and `0x41` are the string `'A'` to MySQL (it prints them so when they are text). */
function hexString(hex: string): string {
  const digits = hex.startsWith('0') ? hex.slice(2) : hex.slice(2, -1)
  const bytes = Buffer.from(digits, 'hex')
  const text = bytes.toString('utf8')
  const printable = [...text].every((ch) => ch.charCodeAt(0) >= 32)
  if (digits.length % 2 === 0 && Buffer.from(text, 'utf8').equals(bytes) && printable)
    return `'${text.replace(/'/g, "''")}'`
  return `x'${digits.toLowerCase()}'`
}

const SPELLING: ExpressionSpelling = {
  hex: hexString,
  // `'o\'k'` and `'o''k'` are the same literal
  unescape: (body) =>
    body.replace(/''|\\(.)/g, (m, c: string | undefined) => (m === "''" ? "'" : (ESCAPES.get(c!) ?? c!))),
  isIntroducer: (word) => INTRODUCER.test(word),
  rewrite: booleanLiterals,
}

/** Display widths dropped (`int(11)` = `int`), except `tinyint(1)`, MySQL's boolean. */
function mysqlType(type: string): string {
  let t = tidyType(type)
  t = t.replace(/^(smallint|mediumint|int|integer|bigint)\(\d+\)/, '$1').replace(/^integer\b/, 'int')
  t = t.replace(/^tinyint\((?!1\))\d+\)/, 'tinyint').replace(/^bool(ean)?$/, 'tinyint(1)')
  return t.replace(/^numeric/, 'decimal')
}

export const mysqlNormalizer: SchemaNormalizer = Object.freeze({
  expression: (text: string | undefined) => canonicalExpression(text, SPELLING),
  type: mysqlType,
})
