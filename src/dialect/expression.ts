/** The live schema's text and the models' text in one canonical form per family, so the diff compares values. */
export interface SchemaNormalizer {
  /**
   * One canonical text for an SQL expression: identifiers unquoted and lower-cased, keywords
   * lower-cased, literals kept, numbers by value, single spaces, and outer parentheses that wrap the
   * whole expression removed. Inner parentheses stay: `(a or b) and c` ≠ `a or b and c`.
   */
  expression(text: string | undefined): string | undefined
  /** A type name in one canonical spelling (`VARCHAR(10)` = `character varying(10)` on PostgreSQL). */
  type(type: string): string
}

/** Where a family reads expression text differently; the tokenizer below is shared. */
export interface ExpressionSpelling {
  /** A hex literal (`X'41'`, `0x41`) as compared. */
  hex(literal: string): string
  /** A quoted string literal's body, unescaped (the family's escapes). */
  unescape(body: string): string
  /** A word printed before a string literal that means nothing for it (MySQL's `_utf8mb4`). */
  isIntroducer(word: string): boolean
  /** Rewrites the token list in place (`words`: indexes of plain words, the only possible keywords). */
  rewrite(tokens: string[], words: ReadonlySet<number>): void
}

const TOKEN =
  /\s*(?:([xX]'[0-9a-fA-F]*'|0x[0-9a-fA-F]+)|('(?:[^'\\]|''|\\.)*')|("(?:[^"]|"")*"|`(?:[^`]|``)*`)|((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)|([A-Za-z_][\w$]*)|(::|<>|!=|<=|>=|\|\||[(),.+\-*/%<>=[\]]))/gy

/** `SchemaNormalizer.expression` with a family's spelling. */
export function canonicalExpression(text: string | undefined, spelling: ExpressionSpelling): string | undefined {
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
    if (hex !== undefined) tokens.push(spelling.hex(hex))
    else if (str !== undefined) {
      if (words.has(tokens.length - 1) && spelling.isIntroducer(tokens.at(-1)!)) tokens.pop()
      tokens.push(`'${spelling.unescape(str.slice(1, -1)).replace(/'/g, "''")}'`)
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
  spelling.rewrite(tokens, words)
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

/** Lower case, single spaces, no spaces around parentheses and commas. */
export function tidyType(type: string): string {
  return type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*,\s*/g, ',')
    .replace(/\s*\(\s*/g, '(')
    .replace(/\s*\)/g, ')')
}
