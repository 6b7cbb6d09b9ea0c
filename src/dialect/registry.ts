import type { Dialect, EngineName, SqlFamily } from './dialect.js'
import { mariadbDialect, mysqlDialect } from './mysql/dialect.js'
import { pgliteDialect, postgresDialect } from './postgres/dialect.js'

/** Every engine's dialect by name: the one place outside the drivers that knows the concrete dialects. */
export const DIALECTS: Readonly<Record<EngineName, Dialect>> = Object.freeze({
  postgres: postgresDialect,
  pglite: pgliteDialect,
  mysql: mysqlDialect,
  mariadb: mariadbDialect,
})

/** One dialect per SQL family (the base engine of each), for what depends on the family only. */
export const FAMILY_DIALECTS: Readonly<Record<SqlFamily, Dialect>> = Object.freeze({
  postgres: postgresDialect,
  mysql: mysqlDialect,
})
