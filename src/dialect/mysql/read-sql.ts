import { type Fragment, join, q } from '../../sql/fragment.js'
import type { ReadSql } from '../read-sql.js'

export const mysqlReadSql: ReadSql = Object.freeze({
  ilike: (column: Fragment, pattern: string) => q`LOWER(${column}) LIKE LOWER(${pattern})`,
  inList(column: Fragment, values: readonly unknown[], negated: boolean): Fragment {
    const list = join(values.map((v) => q`${v}`))
    return negated ? q`${column} NOT IN (${list})` : q`${column} IN (${list})`
  },
  // each value is a placeholder; the protocol allows 65,535 per statement
  maxInList: 10_000,
  nullsLastAscending: false,
  jsonText: (column: Fragment) => q`CAST(${column} AS CHAR)`,
})
