import type { Database } from '../db/database.js'
import { type TableDesc, tableKey } from '../schema/types.js'
import type { Change } from './changes.js'
import type { PlanBlocker, PlanChange } from './sync-plan.js'

// What a plan needs to know about the data before it runs: row estimates, rows that block a change.

/** Index builds on tables above the size threshold are marked to run without blocking writes. */
export async function markOnline(db: Database, changes: Change[], threshold: number): Promise<Change[]> {
  // one connection: nobody else can be writing (PGlite)
  if (db.dialect.capabilities.singleConnection) return changes
  const created = new Set(changes.flatMap((c) => (c.kind === 'createTable' ? [tableKey(c.table)] : [])))
  const tables = new Map<string, TableDesc>()
  for (const c of changes)
    if ((c.kind === 'addIndex' || c.kind === 'replaceIndex') && !created.has(tableKey(c.table)))
      tables.set(tableKey(c.table), c.table)
  if (tables.size === 0) return changes
  const rows = new Map<string, number>()
  for (const [key, t] of tables) rows.set(key, await estimatedRows(db, t))
  return changes.map((c) => {
    if (c.kind !== 'addIndex' && c.kind !== 'replaceIndex') return c
    const n = rows.get(tableKey(c.table))
    return n !== undefined && n >= threshold ? { ...c, online: n } : c
  })
}

/** The engine's estimate of a table's rows. */
async function estimatedRows(db: Database, t: TableDesc): Promise<number> {
  return db.dialect.introspector.estimatedRows(async (sql, parameters) => (await db.run({ sql, parameters })).rows, t)
}

/** NOT NULL without a default cannot be added to (or enforced on) a table holding rows / NULLs. */
export async function notNullBlockers(
  db: Database,
  raw: readonly Change[],
  changes: readonly PlanChange[],
): Promise<PlanBlocker[]> {
  const blockers: PlanBlocker[] = []
  const { dialect } = db
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c.kind !== 'addColumn' && c.kind !== 'setNotNull') continue
    if (c.column.nullable || c.column.default !== undefined || c.column.backfill !== undefined) continue
    if (c.column.generated !== undefined || c.column.identity) continue
    const table = dialect.ddl.qualify(c.table.schema, c.table.name)
    const probe =
      c.kind === 'addColumn'
        ? `SELECT 1 AS x FROM ${table} LIMIT 1`
        : `SELECT 1 AS x FROM ${table} WHERE ${dialect.quoteId(c.column.name)} IS NULL LIMIT 1`
    const { rows } = await db.run({ sql: probe, parameters: [] })
    if (rows.length === 0) continue
    const where = `${tableKey(c.table)}.${c.column.name}`
    blockers.push({
      change: changes[i]!,
      message:
        c.kind === 'addColumn'
          ? `column ${where} is NOT NULL without a default, and ${tableKey(c.table)} has rows. Give the field a default (Zod .default() or sqlDefault), make it .optional()/.nullable(), or add it nullable, backfill, then tighten.`
          : `column ${where} becomes NOT NULL but holds NULLs and has no default to backfill from. Give the field a default, or backfill the NULLs first.`,
    })
  }
  return blockers
}

/**
 * Values a narrowing type change would cut or round (PostgreSQL's cast does it silently; MySQL
 * refuses mid-plan): counted before anything runs, and refused with the column and the count.
 */
export async function misfits(db: Database, raw: readonly Change[]): Promise<string[]> {
  const { dialect } = db
  const problems: string[] = []
  for (const c of raw) {
    if (c.kind !== 'alterColumnType' || c.widening) continue
    const column = dialect.quoteId(c.column.name)
    const condition = dialect.typeChange.misfit(column, c.from.type, c.column.type)
    if (condition === undefined) continue
    const table = dialect.ddl.qualify(c.table.schema, c.table.name)
    const count = db.run({
      sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} IS NOT NULL AND ${condition.sql}`,
      parameters: [],
    })
    // the round trip is a best effort: types without a cast back or an equality are left to the ALTER
    const rows = condition.exact ? (await count).rows : ((await count.catch(() => undefined))?.rows ?? [])
    const n = Number(rows[0]?.n ?? 0)
    if (n > 0)
      problems.push(
        `column ${tableKey(c.table)}.${c.column.name} becomes ${c.column.type}, but ${n} row${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} values that do not fit ${c.from.type} → ${c.column.type} unchanged. Fix or shorten those values first, or keep the wider type.`,
      )
  }
  return problems
}
