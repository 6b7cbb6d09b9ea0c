import { type Database, type Model, sql } from '../../src/index.js'
import { fromModels } from '../../src/schema/from-models.js'

/** Create the tables of `models` (in the order given) directly from their DDL. */
export async function createTables(db: Database, models: readonly Model[]): Promise<void> {
  for (const table of fromModels(models, db.dialect).tables) {
    for (const statement of db.dialect.ddl.createTable(table)) await db.execute(sql.raw(statement))
  }
}
