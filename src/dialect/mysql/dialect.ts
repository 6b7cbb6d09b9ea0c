import { MysqlAdapter, MysqlQueryCompiler } from 'kysely'
import { ValidationError } from '../../errors.js'
import type { Dialect } from '../dialect.js'
import { mysqlCodec } from './codec.js'
import { mariadbCompound, mariadbGuardedCompound } from './compound.js'
import { convertMysqlError } from './errors.js'
import { mysqlIntrospector } from './introspect.js'
import { mysqlModelRules } from './model-rules.js'
import { mysqlNormalizer } from './normalize.js'
import { quoteMysqlId } from './quote.js'
import { mysqlReadSql } from './read-sql.js'
import { mariadbDdl, mysqlDdl, mysqlTypes } from './schema.js'
import { mysqlTypeChange } from './type-change.js'

export { quoteMysqlId }

/**
 * mysql2 expands plain objects into `key = value` lists and arrays into value lists when it
 * interpolates `?`: a caller's object must never become SQL. Objects and arrays are bound as JSON
 * text, bigint as its decimal text.
 */
export function prepareMysqlParameter(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' && !Number.isFinite(value)) {
    // MySQL has no NaN or infinities: refused as a value, never rendered as text
    throw new ValidationError('Invalid parameter', [
      { code: 'custom', message: `${value} cannot be stored or compared on MySQL/MariaDB`, path: [] },
    ])
  }
  if (typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    return JSON.stringify(value)
  }
  return value
}

/** MySQL 8 through `mysql2`. */
export const mysqlDialect: Dialect = Object.freeze({
  name: 'mysql',
  family: 'mysql',
  capabilities: Object.freeze({
    returning: false,
    insertReturning: false,
    schemas: false,
    transactionalDdl: false,
    partialIndexes: false,
    nativeArrays: false,
    singleConnection: false,
    statementTimeout: true,
    correlatedTopN: false,
    inlineDerivedUnions: false,
    errorAbortsTransaction: false,
  }),
  createAdapter: () => new MysqlAdapter(),
  createQueryCompiler: () => new MysqlQueryCompiler(),
  placeholder: () => '?',
  quoteId: quoteMysqlId,
  orderedIndexHint: (index: string) => `FORCE INDEX (${quoteMysqlId(index)})`,
  prepareParameter: prepareMysqlParameter,
  convertError: convertMysqlError,
  uuidsReadBackLowerCase: false,
  types: mysqlTypes,
  ddl: mysqlDdl,
  introspector: mysqlIntrospector,
  codec: mysqlCodec,
  normalize: mysqlNormalizer,
  typeChange: mysqlTypeChange,
  modelRules: mysqlModelRules,
  readSql: mysqlReadSql,
})

/** MariaDB 10.6+: the MySQL dialect plus what MariaDB adds (INSERT … RETURNING, compound statements). */
export const mariadbDialect: Dialect = Object.freeze({
  ...mysqlDialect,
  name: 'mariadb',
  capabilities: Object.freeze({ ...mysqlDialect.capabilities, insertReturning: true }),
  ddl: mariadbDdl,
  compound: mariadbCompound,
  guardedCompound: mariadbGuardedCompound,
})
