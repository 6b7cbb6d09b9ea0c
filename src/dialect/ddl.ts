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

/** How long a schema change may wait for locks, and run. */
export interface DdlTimeouts {
  readonly lockTimeoutMs?: number | undefined
  readonly statementTimeoutMs?: number | undefined
}

/** An index built without blocking writes. */
export interface OnlineIndexBuild {
  /** Statements, in order. */
  readonly sql: readonly string[]
  /** Runs outside the plan's transaction (PostgreSQL `CONCURRENTLY`), after it committed. */
  readonly outsideTransaction: boolean
  /** Run if a statement fails: removes what a failed build leaves behind (an invalid index). */
  readonly cleanup: readonly string[]
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
  dropIndex(table: TableDesc, index: Pick<IndexDesc, 'name' | 'constraint'>): string
  /** Drop `from` and create `to` (one statement where the engine can, so a failure leaves `from`). */
  replaceIndex(table: TableDesc, from: IndexDesc, to: IndexDesc): string[]
  addPrimaryKey(table: TableDesc, pk: PrimaryKeyDesc): string
  dropPrimaryKey(table: TableDesc, name: string): string
  addForeignKey(table: TableDesc, fk: ForeignKeyDesc): string
  dropForeignKey(table: TableDesc, name: string): string
  addCheck(table: TableDesc, check: { name: string; expression: string }): string
  dropCheck(table: TableDesc, name: string): string
  /** An index build (or replacement, `from`) that does not block writes on a large table. */
  createIndexOnline(table: TableDesc, index: IndexDesc, from?: IndexDesc): OnlineIndexBuild
  /**
   * Bounds for DDL: statements to run first in the plan's transaction (`session`), and a wrapper for
   * each statement where the engine sets them per statement. `lockTimeoutCodes`: the errors (dbCode)
   * a lock wait that timed out raises.
   */
  timeouts(t: DdlTimeouts): { readonly session: readonly string[]; wrap(sql: string): string }
  readonly lockTimeoutCodes: readonly string[]
  /** Drop check `from` and add `check` (one statement where the engine can). */
  replaceCheck(table: TableDesc, from: string, check: { name: string; expression: string }): string[]
  /**
   * The collation every text column of a table has (MySQL/MariaDB; undefined where columns take the
   * database's, as on PostgreSQL): tables whose columns have another one are converted to it.
   */
  readonly textCollation?: string
  /** Convert every text column of a table to `collation` (rebuilds the table). */
  convertCollation?(table: TableDesc, collation: string): string
}

/** `'it''s'`: standard SQL string literal. MySQL also doubles backslashes (they escape there). */
export function stringLiteral(value: string, backslashEscapes: boolean): string {
  const escaped = value.replaceAll("'", "''")
  return `'${backslashEscapes ? escaped.replaceAll('\\', '\\\\') : escaped}'`
}
