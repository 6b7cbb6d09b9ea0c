import type { LogicalType } from '../model/logical-type.js'
import type { ColumnDesc, ForeignKeyDesc, IndexDesc, PrimaryKeyDesc, TableDesc } from '../schema/types.js'

/** Engine-specific type rendering: logical types to the canonical native names the catalog reports. */
export interface TypeRenderer {
  columnType(type: LogicalType): string
  /** SQL literal of a constant default for a column of `type`. */
  literal(value: unknown, type: LogicalType): string
  /** The current-timestamp default expression. */
  readonly now: string
  /** Type of the audit table's sequential id. */
  readonly serialType: string
}

/** DDL for each change kind: pure functions from descriptions to statements. */
export interface DdlRenderer {
  qualify(schema: string | undefined, name: string): string
  createSchema(name: string): string
  createTable(table: TableDesc): string[]
  dropTable(table: Pick<TableDesc, 'schema' | 'name'>): string
  addColumn(table: TableDesc, column: ColumnDesc): string
  dropColumn(table: TableDesc, column: string): string
  alterColumnType(table: TableDesc, column: ColumnDesc): string
  setNullable(table: TableDesc, column: ColumnDesc): string
  setDefault(table: TableDesc, column: ColumnDesc): string
  createIndex(table: TableDesc, index: IndexDesc): string
  dropIndex(table: TableDesc, name: string): string
  addPrimaryKey(table: TableDesc, pk: PrimaryKeyDesc): string
  dropPrimaryKey(table: TableDesc, name: string): string
  addForeignKey(table: TableDesc, fk: ForeignKeyDesc): string
  dropForeignKey(table: TableDesc, name: string): string
  addCheck(table: TableDesc, check: { name: string; expression: string }): string
  dropCheck(table: TableDesc, name: string): string
}

/** `'it''s'`: standard SQL string literal. MySQL also doubles backslashes (they escape there). */
export function stringLiteral(value: string, backslashEscapes: boolean): string {
  const escaped = value.replaceAll("'", "''")
  return `'${backslashEscapes ? escaped.replaceAll('\\', '\\\\') : escaped}'`
}
