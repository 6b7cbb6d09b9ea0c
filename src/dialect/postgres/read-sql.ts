import { type Fragment, q, raw } from '../../sql/fragment.js'
import type { ReadSql } from '../read-sql.js'

/**
 * Values as one PostgreSQL array literal (`{"a","b"}`), bound as a single text parameter and cast by
 * the statement; values with no literal form (dates, buffers) are bound as an array (pg encodes it).
 */
export function postgresArrayParameter(values: readonly unknown[]): string | readonly unknown[] {
  const parts = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) parts[i] = 'NULL'
    else if (typeof v === 'string') parts[i] = `"${v.replace(/["\\]/g, '\\$&')}"`
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') parts[i] = String(v)
    else if (typeof v === 'boolean') parts[i] = v ? 't' : 'f'
    else return values
  }
  return `{${parts.join(',')}}`
}

export const postgresReadSql: ReadSql = Object.freeze({
  ilike: (column: Fragment, pattern: string) => q`${column} ILIKE ${pattern}`,
  inList(column: Fragment, values: readonly unknown[], negated: boolean, elementType: () => string): Fragment {
    // the element type without modifier (see ModelContext.castType): the cast cannot truncate a value
    const array = q`CAST(${postgresArrayParameter(values)} AS ${raw(`${elementType()}[]`)})`
    return negated ? q`${column} <> ALL(${array})` : q`${column} = ANY(${array})`
  },
  maxInList: undefined,
  nullsLastAscending: true,
  jsonText: (column: Fragment) => q`${column}::text`,
  afterMillisecond: (t: Fragment) => q`${t} + interval '1 millisecond'`,
  // the writes compare in their data-modifying CTEs (IS DISTINCT FROM on typed parameters)
  sameValue: () => undefined,
})
