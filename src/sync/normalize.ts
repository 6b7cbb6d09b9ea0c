import type { SqlFamily } from '../dialect/dialect.js'
import type { ColumnDesc, SchemaDesc, TableDesc } from '../schema/types.js'

const TOKEN =
  /\s*(?:([xX]'[0-9a-fA-F]*'|0x[0-9a-fA-F]+)|('(?:[^'\\]|''|\\.)*')|("(?:[^"]|"")*"|`(?:[^`]|``)*`)|((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)|([A-Za-z_][\w$]*)|(::|<>|!=|<=|>=|\|\||[(),.+\-*/%<>=[\]]))/gy

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

/**
 * One canonical text for an SQL expression: identifiers unquoted and lower-cased, keywords
 * lower-cased, literals kept, numbers by value, single spaces, and outer parentheses that wrap the
 * whole expression removed. Inner parentheses stay: `(a or b) and c` ≠ `a or b and c`.
 */
export function normalizeExpression(text: string | undefined, family: SqlFamily = 'postgres'): string | undefined {
  if (text === undefined) return undefined
  const tokens: string[] = []
  /** Tokens that were plain words (not quoted identifiers): only those can be keywords. */
  const words = new Set<number>()
  TOKEN.lastIndex = 0
  let rest = text
  while (rest.trim().length > 0) {
    const m = TOKEN.exec(text)
    if (m === null) break
    const [, hex, str, quoted, num, word, op] = m
    if (hex !== undefined) tokens.push(family === 'mysql' ? hexString(hex) : hex.toLowerCase())
    else if (str !== undefined) {
      // MySQL prints `_utf8mb4'x'` for what was written `'x'`
      if (family === 'mysql' && words.has(tokens.length - 1) && INTRODUCER.test(tokens.at(-1)!)) tokens.pop()
      tokens.push(canonicalString(str, family))
    } else if (quoted !== undefined)
      tokens.push(
        quoted
          .slice(1, -1)
          .replace(/""|``/g, (q) => q[0]!)
          .toLowerCase(),
      )
    else if (num !== undefined) tokens.push(String(Number(num)))
    else if (word !== undefined) {
      words.add(tokens.length)
      tokens.push(word.toLowerCase())
    } else if (op !== undefined) tokens.push(op === '!=' ? '<>' : op)
    rest = text.slice(TOKEN.lastIndex)
  }
  if (family === 'mysql') mysqlLiterals(tokens, words)
  if (rest.trim().length > 0) return text.trim() // not tokenizable: compare verbatim
  let out = tokens
  while (out.length >= 2 && out[0] === '(' && out.at(-1) === ')' && closesAtEnd(out)) out = out.slice(1, -1)
  return out
    .join(' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .replace(/ ,/g, ',')
    .replace(/ ?:: ?/g, '::')
    .replace(/ \. /g, '.')
}

/**
 * MySQL/MariaDB store booleans as numbers: `false` → `0`, `true` → `1`, and `NOT col` → `col = 0`
 * (MariaDB prints it so). Rewritten in place, on both sides alike.
 */
function mysqlLiterals(tokens: string[], words: ReadonlySet<number>): void {
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

/** `'o\'k'` (MySQL) and `'o''k'` are the same literal: one spelling, doubled quotes. */
function canonicalString(literal: string, family: SqlFamily): string {
  const body = literal.slice(1, -1)
  const value =
    family === 'mysql'
      ? body.replace(/''|\\(.)/g, (m, c: string | undefined) =>
          m === "''" ? "'" : (({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[c!] ?? c!),
        )
      : body.replace(/''/g, "'")
  return `'${value.replace(/'/g, "''")}'`
}

/** True when the opening parenthesis at 0 closes at the last token. */
function closesAtEnd(tokens: readonly string[]): boolean {
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === '(') depth++
    else if (tokens[i] === ')') depth--
    if (depth === 0 && i < tokens.length - 1) return false
  }
  return depth === 0
}

const PG_TYPE_ALIASES: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float: 'double precision',
  float4: 'real',
  bool: 'boolean',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  decimal: 'numeric',
  varchar: 'character varying',
  char: 'character',
  bpchar: 'character',
}

/** A type name in one canonical spelling per family (`VARCHAR(10)` = `character varying(10)`). */
export function normalizeType(type: string, family: SqlFamily): string {
  let t = type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*,\s*/g, ',')
    .replace(/\s*\(\s*/g, '(')
    .replace(/\s*\)/g, ')')
  if (family === 'mysql') {
    t = t.replace(/^(smallint|mediumint|int|integer|bigint)\(\d+\)/, '$1').replace(/^integer\b/, 'int')
    t = t.replace(/^tinyint\((?!1\))\d+\)/, 'tinyint').replace(/^bool(ean)?$/, 'tinyint(1)')
    return t.replace(/^numeric/, 'decimal')
  }
  const array = t.endsWith('[]') ? '[]' : ''
  if (array) t = t.slice(0, -2)
  if (t.startsWith('_')) return normalizeType(`${t.slice(1)}[]`, family)
  const m = /^([a-z0-9_ ]+?)(\(.*\))?( with(out)? time zone)?$/.exec(t)
  if (m) {
    const base = PG_TYPE_ALIASES[m[1]!] ?? m[1]!
    t = `${base}${m[2] ?? ''}${m[3] ?? ''}`
    if (base === 'timestamp with time zone' && m[2]) t = `timestamp${m[2]} with time zone`
  }
  return `${t}${array}`
}

/** A description in the form the diff compares: expressions and types canonical, order irrelevant. */
export function normalizeSchema(schema: SchemaDesc, family: SqlFamily): SchemaDesc {
  return { tables: schema.tables.map((t) => normalizeTable(t, family)) }
}

function normalizeTable(t: TableDesc, family: SqlFamily): TableDesc {
  return {
    ...t,
    columns: t.columns.map(
      (c): ColumnDesc => ({
        ...c,
        type: normalizeType(c.type, family),
        default: normalizeExpression(c.default, family),
        ...(c.generated !== undefined && { generated: normalizeExpression(c.generated, family)! }),
      }),
    ),
    checks: t.checks.map((c) => ({ ...c, expression: normalizeExpression(c.expression, family)! })),
    indexes: t.indexes.map((i) => ({
      ...i,
      where: normalizeExpression(i.where, family),
      method: i.method.toLowerCase(),
    })),
  }
}
