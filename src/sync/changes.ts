import type { Dialect } from '../dialect/dialect.js'
import type { CheckDesc, ColumnDesc, ForeignKeyDesc, IndexDesc, PrimaryKeyDesc, TableDesc } from '../schema/types.js'
import { tableKey } from '../schema/types.js'

/** One difference between the models and the database: data, with one DDL function per kind. */
export type Change =
  | { readonly kind: 'createSchema'; readonly schema: string }
  | { readonly kind: 'createTable'; readonly table: TableDesc }
  | { readonly kind: 'addColumn'; readonly table: TableDesc; readonly column: ColumnDesc }
  | { readonly kind: 'dropColumn'; readonly table: TableDesc; readonly column: ColumnDesc }
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
  | { readonly kind: 'addIndex'; readonly table: TableDesc; readonly index: IndexDesc }
  | { readonly kind: 'replaceIndex'; readonly table: TableDesc; readonly index: IndexDesc; readonly from: IndexDesc }
  | { readonly kind: 'dropIndex'; readonly table: TableDesc; readonly index: IndexDesc }
  | { readonly kind: 'addPrimaryKey'; readonly table: TableDesc; readonly primaryKey: PrimaryKeyDesc }
  | { readonly kind: 'dropPrimaryKey'; readonly table: TableDesc; readonly primaryKey: PrimaryKeyDesc }
  | { readonly kind: 'addForeignKey'; readonly table: TableDesc; readonly foreignKey: ForeignKeyDesc }
  | {
      readonly kind: 'replaceForeignKey'
      readonly table: TableDesc
      readonly foreignKey: ForeignKeyDesc
      readonly from: ForeignKeyDesc
    }
  | { readonly kind: 'dropForeignKey'; readonly table: TableDesc; readonly foreignKey: ForeignKeyDesc }
  | { readonly kind: 'addCheck'; readonly table: TableDesc; readonly check: CheckDesc }
  | { readonly kind: 'replaceCheck'; readonly table: TableDesc; readonly check: CheckDesc; readonly from: CheckDesc }
  | { readonly kind: 'dropCheck'; readonly table: TableDesc; readonly check: CheckDesc }

export type ChangeKind = Change['kind']

/** Drops, narrowing type changes and anything else that can lose data. */
export function isDestructive(change: Change): boolean {
  switch (change.kind) {
    case 'dropColumn':
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

const cols = (c: readonly string[]) => c.join(', ')
const indexText = (i: IndexDesc) =>
  `${i.unique ? 'unique ' : ''}(${cols(i.columns)})${i.method !== 'btree' ? ` using ${i.method}` : ''}${i.where ? ` where ${i.where}` : ''}`
const fkText = (f: ForeignKeyDesc) =>
  `(${cols(f.columns)}) → ${f.refTable}(${cols(f.refColumns)}) on delete ${f.onDelete.toLowerCase()} on update ${f.onUpdate.toLowerCase()}`

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** One line a person reads in a plan. */
export function describe(change: Change): string {
  const t = 'table' in change ? tableKey(change.table) : ''
  switch (change.kind) {
    case 'createSchema':
      return `create schema ${change.schema}`
    case 'createTable':
      return `create table ${t} (${plural(change.table.columns.length, 'column')}, ${plural(change.table.indexes.length, 'index', 'indexes')})`
    case 'addColumn':
      return `add column ${t}.${change.column.name} ${change.column.type}${change.column.nullable ? '' : ' not null'}${change.column.default !== undefined ? ` default ${change.column.default}` : ''}`
    case 'dropColumn':
      return `drop column ${t}.${change.column.name} (its data is lost)`
    case 'alterColumnType':
      return `change type of ${t}.${change.column.name}: ${change.from.type} → ${change.column.type}${change.widening ? '' : ' (narrowing: values may not fit)'}`
    case 'setNullable':
      return `allow null in ${t}.${change.column.name}`
    case 'setNotNull':
      return `require ${t}.${change.column.name} (not null${change.column.default !== undefined ? `; nulls backfilled with ${change.column.default}` : ''})`
    case 'setDefault':
      return `default of ${t}.${change.column.name}: ${change.from.default ?? 'none'} → ${change.column.default ?? 'none'}`
    case 'addIndex':
      return `create index ${change.index.name} on ${t} ${indexText(change.index)}`
    case 'replaceIndex':
      return `replace index ${change.index.name} on ${t}: ${indexText(change.from)} → ${indexText(change.index)}`
    case 'dropIndex':
      return `drop index ${change.index.name} on ${t}`
    case 'addPrimaryKey':
      return `add primary key ${change.primaryKey.name} on ${t} (${cols(change.primaryKey.columns)})`
    case 'dropPrimaryKey':
      return `drop primary key ${change.primaryKey.name} on ${t}`
    case 'addForeignKey':
      return `add foreign key ${change.foreignKey.name} on ${t} ${fkText(change.foreignKey)}`
    case 'replaceForeignKey':
      return `replace foreign key ${change.foreignKey.name} on ${t}: ${fkText(change.from)} → ${fkText(change.foreignKey)}`
    case 'dropForeignKey':
      return `drop foreign key ${change.foreignKey.name} on ${t}`
    case 'addCheck':
      return `add check ${change.check.name} on ${t}: ${change.check.expression}`
    case 'replaceCheck':
      return `replace check ${change.check.name} on ${t}: ${change.from.expression} → ${change.check.expression}`
    case 'dropCheck':
      return `drop check ${change.check.name} on ${t}`
  }
}

/** The statements that apply a change on `dialect`. */
export function render(change: Change, dialect: Dialect): string[] {
  const d = dialect.ddl
  switch (change.kind) {
    case 'createSchema':
      return [d.createSchema(change.schema)]
    case 'createTable':
      // foreign keys follow as their own changes, once every table exists
      return d.createTable({ ...change.table, foreignKeys: [] })
    case 'addColumn':
      return [d.addColumn(change.table, change.column)]
    case 'dropColumn':
      return [d.dropColumn(change.table, change.column.name)]
    case 'alterColumnType':
      return [d.alterColumnType(change.table, change.column)]
    case 'setNullable':
      return [d.setNullable(change.table, change.column)]
    case 'setNotNull': {
      const c = change.column
      const backfill =
        c.default !== undefined
          ? [
              `UPDATE ${d.qualify(change.table.schema, change.table.name)} SET ${dialect.quoteId(c.name)} = ${c.default} WHERE ${dialect.quoteId(c.name)} IS NULL`,
            ]
          : []
      return [...backfill, d.setNullable(change.table, c)]
    }
    case 'setDefault':
      return [d.setDefault(change.table, change.column)]
    case 'addIndex':
      return [d.createIndex(change.table, change.index)]
    case 'replaceIndex':
      return [d.dropIndex(change.table, change.from.name), d.createIndex(change.table, change.index)]
    case 'dropIndex':
      return [d.dropIndex(change.table, change.index.name)]
    case 'addPrimaryKey':
      return [d.addPrimaryKey(change.table, change.primaryKey)]
    case 'dropPrimaryKey':
      return [d.dropPrimaryKey(change.table, change.primaryKey.name)]
    case 'addForeignKey':
      return [d.addForeignKey(change.table, change.foreignKey)]
    case 'replaceForeignKey':
      return [d.dropForeignKey(change.table, change.from.name), d.addForeignKey(change.table, change.foreignKey)]
    case 'dropForeignKey':
      return [d.dropForeignKey(change.table, change.foreignKey.name)]
    case 'addCheck':
      return [d.addCheck(change.table, change.check)]
    case 'replaceCheck':
      return [d.dropCheck(change.table, change.from.name), d.addCheck(change.table, change.check)]
    case 'dropCheck':
      return [d.dropCheck(change.table, change.check.name)]
  }
}

/** Apply order: schemas and tables first, drops of constraints before the columns they use, column drops last. */
export const APPLY_ORDER: readonly ChangeKind[] = [
  'createSchema',
  'createTable',
  'addColumn',
  'dropForeignKey',
  'dropCheck',
  'dropIndex',
  'dropPrimaryKey',
  'alterColumnType',
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
]
