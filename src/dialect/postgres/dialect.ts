import { PostgresAdapter, PostgresQueryCompiler } from 'kysely'
import type { Dialect } from '../dialect.js'
import { postgresCodec } from './codec.js'
import { convertPostgresError } from './errors.js'
import { postgresIntrospector } from './introspect.js'
import { postgresModelRules } from './model-rules.js'
import { postgresNormalizer } from './normalize.js'
import { quotePostgresId } from './quote.js'
import { postgresReadSql } from './read-sql.js'
import { postgresDdl, postgresTypes } from './schema.js'
import { postgresTypeChange } from './type-change.js'

export { quotePostgresId }

/** PostgreSQL 14+ through `pg`. */
export const postgresDialect: Dialect = Object.freeze({
  name: 'postgres',
  family: 'postgres',
  capabilities: Object.freeze({
    returning: true,
    insertReturning: true,
    schemas: true,
    transactionalDdl: true,
    partialIndexes: true,
    nativeArrays: true,
    singleConnection: false,
    statementTimeout: true,
    correlatedTopN: true,
    inlineDerivedUnions: true,
    errorAbortsTransaction: true,
  }),
  createAdapter: () => new PostgresAdapter(),
  createQueryCompiler: () => new PostgresQueryCompiler(),
  placeholder: (index: number) => `$${index}`,
  quoteId: quotePostgresId,
  orderedIndexHint: () => '',
  prepareParameter: (value: unknown) => value,
  convertError: convertPostgresError,
  uuidsReadBackLowerCase: true,
  types: postgresTypes,
  ddl: postgresDdl,
  introspector: postgresIntrospector,
  codec: postgresCodec,
  normalize: postgresNormalizer,
  typeChange: postgresTypeChange,
  modelRules: postgresModelRules,
  readSql: postgresReadSql,
})

/** Embedded PostgreSQL (WASM): the PostgreSQL dialect on one queued connection. */
export const pgliteDialect: Dialect = Object.freeze({
  ...postgresDialect,
  name: 'pglite',
  capabilities: Object.freeze({
    ...postgresDialect.capabilities,
    singleConnection: true,
    // statement_timeout relies on signals the WASM build does not deliver
    statementTimeout: false,
  }),
})
