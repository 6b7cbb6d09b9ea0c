import { canonicalExpression, type ExpressionSpelling, type SchemaNormalizer, tidyType } from '../expression.js'

const SPELLING: ExpressionSpelling = {
  hex: (literal) => literal.toLowerCase(),
  unescape: (body) => body.replace(/''/g, "'"),
  isIntroducer: () => false,
  rewrite: () => undefined,
}

const TYPE_ALIASES: Record<string, string> = {
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

/** `format_type` spellings: `int4` = `integer`, `_text` = `text[]`, `timestamptz` = `timestamp with time zone`. */
function postgresType(type: string): string {
  let t = tidyType(type)
  const array = t.endsWith('[]') ? '[]' : ''
  if (array) t = t.slice(0, -2)
  if (t.startsWith('_')) return postgresType(`${t.slice(1)}[]`)
  const m = /^([a-z0-9_ ]+?)(\(.*\))?( with(out)? time zone)?$/.exec(t)
  if (m) {
    // `timestamp(3) with time zone`: the zone clause is already there, `timestamp` is no alias then
    const base = m[3] !== undefined && (m[1] === 'timestamp' || m[1] === 'time') ? m[1] : (TYPE_ALIASES[m[1]!] ?? m[1]!)
    t = `${base}${m[2] ?? ''}${m[3] ?? ''}`
    if (base === 'timestamp with time zone' && m[2]) t = `timestamp${m[2]} with time zone`
  }
  return `${t}${array}`
}

export const postgresNormalizer: SchemaNormalizer = Object.freeze({
  expression: (text: string | undefined) => canonicalExpression(text, SPELLING),
  type: postgresType,
})
