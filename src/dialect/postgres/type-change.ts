import { typeChangeRules } from '../type-change.js'

/**
 * PostgreSQL's explicit cast rounds and truncates silently: pairs without an exact test are checked
 * by a round trip through the new type (`timestamp(3)` → `timestamp(0)` rounds).
 */
export const postgresTypeChange = typeChangeRules({
  varchar: /^character varying\((\d+)\)$/,
  decimal: /^numeric\((\d+),(\d+)\)$/,
  texts: ['text'],
  roundTrip: (column, from, to) => `CAST(CAST(${column} AS ${to}) AS ${from}) IS DISTINCT FROM ${column}`,
  charLength: (column) => `CHAR_LENGTH(CAST(${column} AS text))`,
  keysBlockTypeChange: false,
})
