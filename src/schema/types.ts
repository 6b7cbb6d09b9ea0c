/**
 * One schema description, reached from both sides: built from models (`fromModels`) and read from a
 * live database (`introspect`). Types are the engine's canonical type names; expressions (defaults,
 * checks, predicates) are SQL text compared after the dialect normalizes them.
 */
export type ReferentialAction = 'CASCADE' | 'RESTRICT' | 'SET NULL' | 'SET DEFAULT' | 'NO ACTION'

export interface ColumnDesc {
  readonly name: string
  /** Canonical native type (`character varying(255)`, `timestamp(3) with time zone`, `datetime(3)`). */
  readonly type: string
  readonly nullable: boolean
  /** SQL expression text of the default, if any. */
  readonly default: string | undefined
  /** Filled by the database (identity / AUTO_INCREMENT). */
  readonly identity?: boolean
  /** Expression of a stored generated column. */
  readonly generated?: string
  /**
   * What rows that exist when the column is added or becomes NOT NULL receive, without it being the
   * column's default (history tables take the main table's default: see docs/schema-sync.md).
   */
  readonly backfill?: string
}

export interface PrimaryKeyDesc {
  readonly name: string
  readonly columns: readonly string[]
}

export interface ForeignKeyDesc {
  readonly name: string
  readonly columns: readonly string[]
  readonly refSchema: string | undefined
  readonly refTable: string
  readonly refColumns: readonly string[]
  readonly onDelete: ReferentialAction
  readonly onUpdate: ReferentialAction
}

export interface CheckDesc {
  readonly name: string
  readonly expression: string
}

export interface IndexDesc {
  readonly name: string
  readonly columns: readonly string[]
  readonly unique: boolean
  /** Partial-index predicate. */
  readonly where: string | undefined
  /** Access method, lower case (`btree`, `gin`, …). */
  readonly method: string
  /** Per column: true where the key is descending (absent: all ascending). */
  readonly descending?: readonly boolean[]
  /** Backed by a UNIQUE constraint (PostgreSQL): dropped with the constraint. */
  readonly constraint?: boolean
}

export type TableRole = 'main' | 'audit' | 'history'

export interface TableDesc {
  readonly schema: string | undefined
  readonly name: string
  readonly columns: readonly ColumnDesc[]
  readonly primaryKey: PrimaryKeyDesc | undefined
  readonly foreignKeys: readonly ForeignKeyDesc[]
  readonly checks: readonly CheckDesc[]
  readonly indexes: readonly IndexDesc[]
  /**
   * The collation of the table's text columns (MySQL/MariaDB): its default collation when every
   * text column but JSON ones has it, else the collations found, comma-separated. Undefined where
   * the engine's tables have none of their own (PostgreSQL).
   */
  readonly collation?: string
  /** What the table is for (from models only). */
  readonly role?: TableRole
  /** The model that owns the table (from models only). */
  readonly model?: string
}

export interface SchemaDesc {
  readonly tables: readonly TableDesc[]
}

export const tableKey = (t: Pick<TableDesc, 'schema' | 'name'>): string => (t.schema ? `${t.schema}.${t.name}` : t.name)
