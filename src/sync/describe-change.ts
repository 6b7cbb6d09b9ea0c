import { type ForeignKeyDesc, type IndexDesc, tableKey } from '../schema/types.js'
import type { Change } from './changes.js'

const cols = (c: readonly string[]) => c.join(', ')
const indexText = (i: IndexDesc) =>
  `${i.unique ? 'unique ' : ''}(${i.columns.map((c, n) => (i.descending?.[n] ? `${c} desc` : c)).join(', ')})${i.method !== 'btree' ? ` using ${i.method}` : ''}${i.where ? ` where ${i.where}` : ''}`
const fkText = (f: ForeignKeyDesc) =>
  `(${cols(f.columns)}) → ${f.refTable}(${cols(f.refColumns)}) on delete ${f.onDelete.toLowerCase()} on update ${f.onUpdate.toLowerCase()}`

const onlineText = (rows: number | undefined) =>
  rows === undefined ? '' : ` (built without blocking writes: ~${rows} rows)`
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
      return `add column ${t}.${change.column.name} ${change.column.type}${change.column.nullable ? '' : ' not null'}${change.column.default !== undefined ? ` default ${change.column.default}` : ''}${change.column.backfill !== undefined && change.column.default === undefined && !change.column.nullable ? ` (existing rows: ${change.column.backfill})` : ''}`
    case 'dropColumn':
      return `drop column ${t}.${change.column.name} (its data is lost)`
    case 'dropTable':
      return `drop table ${t} (${change.reason}; its rows are lost)`
    case 'alterColumnType':
      return `change type of ${t}.${change.column.name}: ${change.from.type} → ${change.column.type}${change.widening ? '' : ' (narrowing: values may not fit)'}`
    case 'setNullable':
      return `allow null in ${t}.${change.column.name}`
    case 'setNotNull': {
      const fill = change.column.default ?? change.column.backfill
      return `require ${t}.${change.column.name} (not null${fill !== undefined ? `; nulls backfilled with ${fill}` : ''})`
    }
    case 'setDefault':
      return `default of ${t}.${change.column.name}: ${change.from.default ?? 'none'} → ${change.column.default ?? 'none'}`
    case 'addIndex':
      return `create index ${change.index.name} on ${t} ${indexText(change.index)}${onlineText(change.online)}`
    case 'replaceIndex':
      return `replace index ${change.index.name} on ${t}: ${indexText(change.from)} → ${indexText(change.index)}${onlineText(change.online)}`
    case 'dropIndex':
      return `drop index ${change.index.name} on ${t}`
    case 'addPrimaryKey':
      return `add primary key ${change.primaryKey.name} on ${t} (${cols(change.primaryKey.columns)})`
    case 'dropPrimaryKey':
      return `drop primary key ${change.primaryKey.name} on ${t}`
    case 'addForeignKey':
      return `add foreign key ${change.foreignKey.name} on ${t} ${fkText(change.foreignKey)}`
    case 'replaceForeignKey':
      return change.reason !== undefined
        ? `re-create foreign key ${change.foreignKey.name} on ${t} ${fkText(change.foreignKey)} (${change.reason})`
        : `replace foreign key ${change.foreignKey.name} on ${t}: ${fkText(change.from)} → ${fkText(change.foreignKey)}`
    case 'dropForeignKey':
      return `drop foreign key ${change.foreignKey.name} on ${t}`
    case 'addCheck':
      return `add check ${change.check.name} on ${t}: ${change.check.expression}`
    case 'replaceCheck':
      return `replace check ${change.check.name} on ${t}: ${change.from.expression} → ${change.check.expression}`
    case 'dropCheck':
      return `drop check ${change.check.name} on ${t}`
    case 'convertCollation':
      return `convert every text column of ${t} to ${change.collation} (from ${change.from}): compared byte for byte, trailing spaces included; the table is rebuilt`
  }
}
