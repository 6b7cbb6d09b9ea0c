import type { SchemaDesc } from '../schema/types.js'

/** Runs one catalog query; introspection code is pure apart from this. */
export type CatalogQuery = (sql: string, parameters: readonly unknown[]) => Promise<Record<string, unknown>[]>

/**
 * Reads the live schema into the description models produce: a fixed number of catalog queries
 * for the given schemas (PostgreSQL) or the current database (MySQL), never one per table.
 */
export interface Introspector {
  /** `schemas`: PostgreSQL schemas to read (undefined → the current schema). */
  read(query: CatalogQuery, schemas: readonly (string | undefined)[]): Promise<SchemaDesc>
}
