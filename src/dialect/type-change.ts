/** What a column type change does to the values it holds, on one family (canonical type names). */
export interface TypeChangeRules {
  /** True when every value of `from` fits `to` unchanged. */
  isWidening(from: string, to: string): boolean
  /**
   * A condition true for the values of `column` (quoted) that do not fit type `to` unchanged: too
   * long, too many digits, out of range, or rounded. `exact`: false for a best-effort test (a round
   * trip through the new type) that may fail to run for types without a cast back; undefined when
   * nothing can be tested (the conversion then fails loudly or not at all).
   */
  misfit(column: string, from: string, to: string): { readonly sql: string; readonly exact: boolean } | undefined
  /** A column's type cannot change while a foreign key uses it: such keys are dropped and re-added around it. */
  readonly keysBlockTypeChange: boolean
}

/** How a family spells the types the rules look at. */
export interface TypeSpelling {
  /** `character varying(n)` / `varchar(n)`. */
  readonly varchar: RegExp
  /** `numeric(p,s)` / `decimal(p,s)`. */
  readonly decimal: RegExp
  /** Unbounded text types, smallest first (each holds every value of the ones before it). */
  readonly texts: readonly string[]
  /** The test for other pairs of types, where the engine's casts allow one. */
  roundTrip?(column: string, from: string, to: string): string
  /** The length in characters of any column's value as text (PostgreSQL has no char_length(integer)). */
  charLength?(column: string): string
  readonly keysBlockTypeChange: boolean
}

const INT_RANGE: Record<string, readonly [string, string]> = {
  tinyint: ['-128', '127'],
  smallint: ['-32768', '32767'],
  mediumint: ['-8388608', '8388607'],
  int: ['-2147483648', '2147483647'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
}

const INT_RANK: Record<string, number> = { smallint: 1, int: 2, integer: 2, bigint: 3, tinyint: 0, mediumint: 1.5 }

/**
 * A condition (SQL, both families) true for the values of `column` that do not fit type `to`
 * unchanged. PostgreSQL's explicit cast truncates strings and rounds numbers silently, so narrowing
 * is checked against the data first.
 */
export function misfitCondition(
  column: string,
  from: string,
  to: string,
  charLength: (column: string) => string = (c) => `CHAR_LENGTH(${c})`,
): string | undefined {
  const length = /^(?:character varying|varchar|character|char)\((\d+)\)$/.exec(to)
  // text to shorter text; from another type (an integer, say) its text must fit
  const textFrom = /^(?:character varying|varchar|character|char|text|longtext|mediumtext|tinytext)\b/.test(from)
  if (length) return `${textFrom ? `CHAR_LENGTH(${column})` : charLength(column)} > ${Number(length[1])}`
  const decimal = /^(?:numeric|decimal)\((\d+),(\d+)\)$/.exec(to)
  const exactFrom = /^(?:numeric|decimal)\b/.test(from) || from in INT_RANGE
  if (decimal && exactFrom) {
    const [p, s] = [Number(decimal[1]), Number(decimal[2])]
    const bound = `1${'0'.repeat(p - s)}`
    return `(ABS(${column}) >= ${bound} OR ${column} <> ROUND(${column}, ${s}))`
  }
  const range = INT_RANGE[to]
  if (range && (exactFrom || /^(?:double|real|float)/.test(from))) {
    return `(${column} < ${range[0]} OR ${column} > ${range[1]} OR ${column} <> ROUND(${column}))`
  }
  return undefined
}

/** The rules of a family from its spelling. */
export function typeChangeRules(spelling: TypeSpelling): TypeChangeRules {
  const length = (t: string, base: RegExp) => {
    const m = base.exec(t)
    return m ? Number(m[1]) : undefined
  }
  const isWidening = (from: string, to: string): boolean => {
    if (from === to) return true
    const fromLen = length(from, spelling.varchar)
    if (fromLen !== undefined) {
      const toLen = length(to, spelling.varchar)
      if (toLen !== undefined) return toLen >= fromLen
      return spelling.texts.includes(to)
    }
    const fromText = spelling.texts.indexOf(from)
    if (fromText >= 0) return spelling.texts.indexOf(to) > fromText
    if (from in INT_RANK && to in INT_RANK) return INT_RANK[to]! >= INT_RANK[from]!
    const fd = spelling.decimal.exec(from)
    const td = spelling.decimal.exec(to)
    if (fd && td) {
      const [fp, fs] = [Number(fd[1]), Number(fd[2])]
      const [tp, ts] = [Number(td[1]), Number(td[2])]
      return ts >= fs && tp - ts >= fp - fs
    }
    if (fd && (to === 'numeric' || to === 'decimal')) return true
    if ((from === 'real' && to === 'double precision') || (from === 'float' && to === 'double')) return true
    const precision = /^(timestamp|datetime)\((\d)\)(.*)$/
    const fp = precision.exec(from)
    const tp = precision.exec(to)
    if (fp && tp) return fp[1] === tp[1] && fp[3] === tp[3] && Number(tp[2]) >= Number(fp[2])
    return false
  }
  return Object.freeze({
    isWidening,
    misfit(column: string, from: string, to: string) {
      const exact = misfitCondition(column, from, to, spelling.charLength)
      if (exact !== undefined) return { sql: exact, exact: true }
      const roundTrip = spelling.roundTrip?.(column, from, to)
      return roundTrip === undefined ? undefined : { sql: roundTrip, exact: false }
    },
    keysBlockTypeChange: spelling.keysBlockTypeChange,
  })
}
