import type { Dialect } from '../dialect/dialect.js'
import type { CheckDesc, ColumnDesc, ForeignKeyDesc, IndexDesc, PrimaryKeyDesc, TableDesc } from '../schema/types.js'
import { tableKey } from '../schema/types.js'

/** One difference between the models and the database: data, with one DDL function per kind. */
export type Change =
  | { readonly kind: 'createSchema'; readonly schema: string }
  | { readonly kind: 'createTable'; readonly table: TableDesc }
  | { readonly kind: 'addColumn'; readonly table: TableDesc; readonly column: ColumnDesc }
  | { readonly kind: 'dropColumn'; readonly table: TableDesc; readonly column: ColumnDesc }
  /** A table the model used to need and no longer does (the audit table after a switch to scd2, say). */
  | { readonly kind: 'dropTable'; readonly table: TableDesc; readonly reason: string }
  | {
      readonly kind: 'alterColumnType'
      readonly table: TableDesc
      readonly column: ColumnDesc
      readonly from: ColumnDesc
      readonly widening: boolean
    }
  | { readonly kind: 'setNullable'; readonly table: TableDesc; readonly column: ColumnDesc }
  | { readonly kind: 'setNotNull'; readonly table: TableDesc; readonly column: ColumnDesc }
  | { readonly kind: 'setDefault'; readonly table: TableDesc; readonly column: ColumnDesc; readonly from: ColumnDesc }
  | {
      readonly kind: 'addIndex'
      readonly table: TableDesc
      readonly index: IndexDesc
      /** Estimated rows of a large table: the index is built without blocking writes. */
      readonly online?: number
    }
  | {
      readonly kind: 'replaceIndex'
      readonly table: TableDesc
      readonly index: IndexDesc
      readonly from: IndexDesc
      readonly online?: number
    }
  | { readonly kind: 'dropIndex'; readonly table: TableDesc; readonly index: IndexDesc }
  | { readonly kind: 'addPrimaryKey'; readonly table: TableDesc; readonly primaryKey: PrimaryKeyDesc }
  | { readonly kind: 'dropPrimaryKey'; readonly table: TableDesc; readonly primaryKey: PrimaryKeyDesc }
  | { readonly kind: 'addForeignKey'; readonly table: TableDesc; readonly foreignKey: ForeignKeyDesc }
  | {
      readonly kind: 'replaceForeignKey'
      readonly table: TableDesc
      readonly foreignKey: ForeignKeyDesc
      readonly from: ForeignKeyDesc
      /** Why a key that did not change is re-created (a column it uses changes type on MySQL). */
      readonly reason?: string
      /** Re-created around the collation conversion of one of its tables (text compared byte for byte after). */
      readonly collation?: boolean
    }
  | { readonly kind: 'dropForeignKey'; readonly table: TableDesc; readonly foreignKey: ForeignKeyDesc }
  | { readonly kind: 'addCheck'; readonly table: TableDesc; readonly check: CheckDesc }
  | { readonly kind: 'replaceCheck'; readonly table: TableDesc; readonly check: CheckDesc; readonly from: CheckDesc }
  | { readonly kind: 'dropCheck'; readonly table: TableDesc; readonly check: CheckDesc }
  /** The table's text columns to the collation the dialect gives every table (MySQL/MariaDB). */
  | { readonly kind: 'convertCollation'; readonly table: TableDesc; readonly collation: string; readonly from: string }

export type ChangeKind = Change['kind']

/** Drops, narrowing type changes and anything else that can lose data. */
export function isDestructive(change: Change): boolean {
  switch (change.kind) {
    case 'dropColumn':
    case 'dropTable':
    case 'dropIndex':
    case 'dropPrimaryKey':
    case 'dropForeignKey':
    case 'dropCheck':
      return true
    case 'alterColumnType':
      return !change.widening
    default:
      return false
  }
}

/** The object a change touches, for plans and messages. */
export function objectName(change: Change): string {
  switch (change.kind) {
    case 'createSchema':
      return change.schema
    case 'createTable':
    case 'dropTable':
    case 'convertCollation':
      return tableKey(change.table)
    case 'addColumn':
    case 'dropColumn':
    case 'alterColumnType':
    case 'setNullable':
    case 'setNotNull':
    case 'setDefault':
      return `${tableKey(change.table)}.${change.column.name}`
    case 'addIndex':
    case 'replaceIndex':
    case 'dropIndex':
      return change.index.name
    case 'addPrimaryKey':
    case 'dropPrimaryKey':
      return change.primaryKey.name
    case 'addForeignKey':
    case 'replaceForeignKey':
    case 'dropForeignKey':
      return change.foreignKey.name
    case 'addCheck':
    case 'replaceCheck':
    case 'dropCheck':
      return change.check.name
  }
}

/**
 * When a statement runs, across the whole plan: dependants are released before the columns they use
 * change, and re-created after (MySQL refuses to alter a column a foreign key uses, to make a
 * `SET NULL` key's column NOT NULL, or to drop a column a generated column reads).
 */
export const PHASES = ['setup', 'release', 'alter', 'create', 'drop', 'online'] as const
export type Phase = (typeof PHASES)[number]

/** One statement of a change and the phase it runs in. */
export interface Step {
  readonly phase: Phase
  readonly sql: string
  /** Runs after the plan's transaction committed, on its own (PostgreSQL `CREATE INDEX CONCURRENTLY`). */
  readonly outsideTransaction?: boolean
  /** Statements that remove what this step leaves behind if it fails. */
  readonly cleanup?: readonly string[]
}

/** The statements that apply a change on `dialect`. */
export function render(change: Change, dialect: Dialect): string[] {
  return steps(change, dialect).map((s) => s.sql)
}

/** The statements that apply a change on `dialect`, each with its phase. */
export function steps(change: Change, dialect: Dialect): Step[] {
  const d = dialect.ddl
  const at =
    (phase: Phase) =>
    (...sql: string[]): Step[] =>
      sql.map((s) => ({ phase, sql: s }))
  const setup = at('setup')
  const release = at('release')
  const alter = at('alter')
  const create = at('create')
  switch (change.kind) {
    case 'createSchema':
      return setup(d.createSchema(change.schema))
    case 'createTable':
      // foreign keys follow as their own changes, once every table exists
      return setup(...d.createTable({ ...change.table, foreignKeys: [] }))
    case 'addColumn': {
      const c = change.column
      // existing rows take the backfill value (history tables: the main table's default), then the
      // column keeps the default it is meant to have
      if (c.backfill !== undefined && c.default === undefined && !c.nullable) {
        return alter(d.addColumn(change.table, { ...c, default: c.backfill }), d.setDefault(change.table, c))
      }
      return alter(d.addColumn(change.table, c))
    }
    case 'dropColumn':
      return at('drop')(d.dropColumn(change.table, change.column.name))
    case 'dropTable':
      return at('drop')(d.dropTable(change.table))
    case 'alterColumnType':
      return alter(d.alterColumnType(change.table, change.column))
    case 'setNullable':
      return alter(d.setNullable(change.table, change.column))
    case 'setNotNull': {
      const c = change.column
      const fill = c.default ?? c.backfill
      const backfill =
        fill !== undefined
          ? [
              `UPDATE ${d.qualify(change.table.schema, change.table.name)} SET ${dialect.quoteId(c.name)} = ${fill} WHERE ${dialect.quoteId(c.name)} IS NULL`,
            ]
          : []
      return alter(...backfill, d.setNullable(change.table, c))
    }
    case 'setDefault':
      return alter(d.setDefault(change.table, change.column))
    case 'addIndex':
    case 'replaceIndex': {
      const from = change.kind === 'replaceIndex' ? change.from : undefined
      if (change.online !== undefined) {
        const build = d.createIndexOnline(change.table, change.index, from)
        return build.sql.map((sql) => ({
          phase: build.outsideTransaction ? 'online' : 'create',
          sql,
          ...(build.outsideTransaction && { outsideTransaction: true }),
          ...(build.cleanup.length > 0 && { cleanup: build.cleanup }),
        }))
      }
      return from
        ? create(...d.replaceIndex(change.table, from, change.index))
        : create(d.createIndex(change.table, change.index))
    }
    case 'dropIndex':
      return release(d.dropIndex(change.table, change.index))
    case 'addPrimaryKey':
      return create(d.addPrimaryKey(change.table, change.primaryKey))
    case 'dropPrimaryKey':
      return release(d.dropPrimaryKey(change.table, change.primaryKey.name))
    case 'addForeignKey':
      return create(d.addForeignKey(change.table, change.foreignKey))
    case 'replaceForeignKey':
      return [
        ...release(d.dropForeignKey(change.table, change.from.name)),
        ...create(d.addForeignKey(change.table, change.foreignKey)),
      ]
    case 'dropForeignKey':
      return release(d.dropForeignKey(change.table, change.foreignKey.name))
    case 'addCheck':
      return create(d.addCheck(change.table, change.check))
    case 'replaceCheck':
      return create(...d.replaceCheck(change.table, change.from.name, change.check))
    case 'dropCheck':
      return release(d.dropCheck(change.table, change.check.name))
    case 'convertCollation':
      if (!d.convertCollation) throw new Error(`${dialect.name} has no table collations to convert`)
      return alter(d.convertCollation(change.table, change.collation))
  }
}

/** Plan order (steps then run by phase): schemas and tables first, drops of constraints before the columns they use, column drops last. */
export const APPLY_ORDER: readonly ChangeKind[] = [
  'createSchema',
  'createTable',
  'dropForeignKey',
  'dropCheck',
  'dropIndex',
  'dropPrimaryKey',
  'addColumn',
  'alterColumnType',
  'convertCollation',
  'setDefault',
  'setNullable',
  'setNotNull',
  'addPrimaryKey',
  'addIndex',
  'replaceIndex',
  'addCheck',
  'replaceCheck',
  'addForeignKey',
  'replaceForeignKey',
  'dropColumn',
  'dropTable',
]
