import type { SchemaDesc, TableDesc } from '../schema/types.js'

/** Runs one catalog query; introspection code is pure apart from this. */
export type CatalogQuery = (sql: string, parameters: readonly unknown[]) => Promise<Record<string, unknown>[]>

/**
 * Reads the live schema into the description models produce: a fixed number of catalog queries
 * for the given schemas (PostgreSQL) or the current database (MySQL), never one per table.
 */
export interface Introspector {
  /** `schemas`: PostgreSQL schemas to read (undefined → the current schema). */
  read(query: CatalogQuery, schemas: readonly (string | undefined)[]): Promise<SchemaDesc>
  /** The schema an unqualified table name means (PostgreSQL's current schema); undefined without schemas. */
  defaultSchema(query: CatalogQuery): Promise<string | undefined>
  /** Which of `names` exist as schemas; undefined where the engine has no schemas. */
  existingSchemas(query: CatalogQuery, names: readonly string[]): Promise<ReadonlySet<string> | undefined>
  /** The engine's estimate of a table's rows (counted where the engine has none yet). */
  estimatedRows(query: CatalogQuery, table: Pick<TableDesc, 'schema' | 'name'>): Promise<number>
  /**
   * The catalog prints expressions in a form the models' text only reaches by being created: the
   * desired tables are rendered in throw-away schemas first (sync/shadow.ts) and compared as printed.
   */
  readonly rendersThroughShadow: boolean
}
