import type { Database } from '../db/database.js'
import { type ForeignKeyDesc, type SchemaDesc, type TableDesc, tableKey } from '../schema/types.js'
import type { Change } from './changes.js'
import type { PlanBlocker, PlanChange } from './sync-plan.js'

// What stops a collation conversion (MySQL/MariaDB) half-way, found before anything runs: MariaDB
// wants both sides of a text foreign key in one collation, refuses to convert a column a key uses,
// and checks every row again when a key is re-created — with text compared byte for byte.

const isText = (t: TableDesc | undefined, column: string) =>
  /char|text/.test(t?.columns.find((c) => c.name === column)?.type ?? '')
const textKey = (fk: ForeignKeyDesc, table: TableDesc | undefined) => fk.columns.some((c) => isText(table, c))
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * The blockers of a plan's collation conversions on `live` (every table of the database, those
 * outside the models included): a text key to or from a table outside the models in another
 * collation, and rows a re-created key would refuse (they matched their parent only with trailing
 * spaces ignored).
 */
export async function collationBlockers(
  db: Database,
  raw: readonly Change[],
  changes: readonly PlanChange[],
  desired: SchemaDesc,
  live: SchemaDesc,
): Promise<PlanBlocker[]> {
  const to = db.dialect.ddl.textCollation
  if (to === undefined) return []
  const ours = new Set(desired.tables.map((t) => t.name))
  const liveByName = new Map(live.tables.map((t) => [t.name, t]))
  const converted = new Set(raw.flatMap((c) => (c.kind === 'convertCollation' ? [c.table.name] : [])))
  const blockers: PlanBlocker[] = []
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    const change = changes[i]!
    if (c.kind === 'addForeignKey' || c.kind === 'replaceForeignKey') {
      const fk = c.foreignKey
      const target = liveByName.get(fk.refTable)
      if (
        !ours.has(fk.refTable) &&
        target?.collation !== undefined &&
        target.collation !== to &&
        textKey(fk, c.table)
      ) {
        blockers.push({
          change,
          message: `foreign key ${fk.name} on ${tableKey(c.table)} references ${fk.refTable}, a table outside the models whose text is ${target.collation}: both sides of a text key need one collation, and the models' tables are ${to}. Convert ${fk.refTable} first (ALTER TABLE ${fk.refTable} CONVERT TO CHARACTER SET utf8mb4 COLLATE ${to}).`,
        })
        continue
      }
      if (c.kind === 'replaceForeignKey' && c.collation) {
        const n = await orphans(db, c.table, fk)
        if (n > 0)
          blockers.push({
            change,
            message: `foreign key ${fk.name} on ${tableKey(c.table)}: ${plural(n, 'row')} of ${c.table.name}(${fk.columns.join(', ')}) ${n === 1 ? 'matches' : 'match'} a row of ${fk.refTable} only with trailing spaces ignored (the old PAD SPACE collation); compared byte for byte after the conversion, the key could not be re-created. Fix those values first.`,
          })
      }
    }
    if (c.kind === 'convertCollation') {
      // a key from a table the plan does not convert, to a text column of this one
      for (const other of live.tables) {
        if (ours.has(other.name) || converted.has(other.name)) continue
        for (const fk of other.foreignKeys) {
          if (fk.refTable !== c.table.name || !textKey(fk, other)) continue
          blockers.push({
            change,
            message: `table ${other.name}, outside the models, has foreign key ${fk.name} to ${c.table.name}(${fk.refColumns.join(', ')}): MariaDB and MySQL refuse to convert a column a key uses. Drop ${fk.name}, sync, convert ${other.name} to ${to}, then re-create it.`,
          })
        }
      }
    }
  }
  return blockers
}

/** Rows of `table` whose key has no parent row equal byte for byte (what the re-created key checks). */
async function orphans(db: Database, table: TableDesc, fk: ForeignKeyDesc): Promise<number> {
  const id = db.dialect.quoteId
  const child = db.dialect.ddl.qualify(table.schema, table.name)
  const parent = db.dialect.ddl.qualify(fk.refSchema, fk.refTable)
  const present = fk.columns.map((c) => `c.${id(c)} IS NOT NULL`).join(' AND ')
  const same = fk.columns
    .map((c, k) => `CAST(p.${id(fk.refColumns[k]!)} AS BINARY) = CAST(c.${id(c)} AS BINARY)`)
    .join(' AND ')
  const { rows } = await db.run({
    sql: `SELECT COUNT(*) AS n FROM ${child} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${same})`,
    parameters: [],
  })
  return Number(rows[0]?.n ?? 0)
}
