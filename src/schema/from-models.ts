import type { Dialect } from '../dialect/dialect.js'
import type { Model } from '../model/define-model.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { schemaOn } from './columns.js'
import { mainTable } from './main-table.js'
import {
  AUDIT_COLUMNS,
  auditTable,
  auditTableName,
  CLOSED_BY,
  historyTable,
  historyTableName,
} from './temporal-tables.js'
import type { SchemaDesc, TableDesc } from './types.js'

export { parseReference } from './columns.js'
export {
  AUDIT_COLUMNS,
  auditTableName,
  CLOSED_BY,
  historyTableName,
} from './temporal-tables.js'

/** The schema the models need on `dialect`: main tables plus audit and history tables. */
export function fromModels(models: readonly Model[], dialect: Dialect): SchemaDesc {
  const tables: TableDesc[] = []
  for (const model of models) {
    const { def } = model
    const main = mainTable(def, dialect)
    tables.push(main)
    if (def.temporal === 'copy_on_change') tables.push(auditTable(def, dialect))
    if (def.temporal === 'scd2') tables.push(historyTable(def, main, dialect))
  }
  const collation = dialect.ddl.textCollation
  if (collation !== undefined) for (const [i, t] of tables.entries()) tables[i] = { ...t, collation }
  const seen = new Set<string>()
  for (const t of tables) {
    const key = `${t.schema ?? ''}.${t.name}`
    if (seen.has(key)) throw new ModelDefinitionError(`Two models define table "${t.name}"`)
    seen.add(key)
  }
  return { tables }
}

/**
 * Tables a model's strategy used to need and no longer does (its audit table once it is not
 * copy_on_change, its history table once it is not scd2), with the column that marks them as ours.
 */
export function retiredTables(
  models: readonly Model[],
  dialect: Dialect,
): { schema: string | undefined; name: string; marker: string; reason: string }[] {
  return models.flatMap(({ def }) => {
    const schema = schemaOn(dialect, def.schema)
    const out: { schema: string | undefined; name: string; marker: string; reason: string }[] = []
    if (def.temporal !== 'copy_on_change')
      out.push({
        schema,
        name: auditTableName(def),
        marker: AUDIT_COLUMNS.auditId,
        reason: `${def.table} is ${def.temporal} now and keeps no audit trail`,
      })
    if (def.temporal !== 'scd2')
      out.push({
        schema,
        name: historyTableName(def),
        marker: CLOSED_BY,
        reason: `${def.table} is ${def.temporal} now and keeps no version history`,
      })
    return out
  })
}
