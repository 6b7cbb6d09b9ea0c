import { valueType } from '../../model/codec.js'
import type { FieldDef } from '../../model/define-model.js'
import { type Fragment, join, q, raw } from '../../sql/fragment.js'
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
  afterMillisecond: (t: Fragment) => q`${t} + INTERVAL 1000 MICROSECOND`,
  sameValue(f: FieldDef, column: Fragment, value: Fragment): Fragment | undefined {
    const t = valueType(f.type)
    switch (t?.kind) {
      case 'string':
      case 'uuid':
      case 'enum':
        // byte for byte whatever the column's collation: a table not yet converted to NO PAD ignores
        // trailing spaces (utf8mb4_bin), and a case-insensitive one would take 'A' for 'a'
        return q`CAST(${column} AS BINARY) <=> CAST(${value} AS BINARY)`
      case 'integer':
      case 'bigint':
        // a bound number or decimal text would be compared as a double, inexact past 2^53
        return q`${column} <=> CAST(${value} AS SIGNED)`
      case 'boolean':
        return q`${column} <=> ${value}`
      case 'timestamp':
        return q`${column} <=> CAST(${value} AS DATETIME(3))`
      case 'decimal':
        return t.asNumber ? undefined : q`${column} <=> CAST(${value} AS ${raw(`DECIMAL(${t.precision}, ${t.scale})`)})`
      default:
        return undefined
    }
  },
})
