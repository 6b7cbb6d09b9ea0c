import { typeChangeRules } from '../type-change.js'

/**
 * MySQL refuses a narrowing ALTER mid-plan rather than cutting values, and refuses any type change
 * of a column a foreign key uses: those keys are dropped and re-added around the change.
 */
export const mysqlTypeChange = typeChangeRules({
  varchar: /^varchar\((\d+)\)$/,
  decimal: /^decimal\((\d+),(\d+)\)$/,
  texts: ['text', 'mediumtext', 'longtext'],
  keysBlockTypeChange: true,
})
