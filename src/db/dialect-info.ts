import type { Capabilities, Dialect, EngineName, SqlFamily } from '../dialect/dialect.js'

/**
 * The engine a database runs on, as `db.dialect` shows it: its name, SQL family and capability flags.
 *
 * @example
 * if (db.dialect.capabilities.returning) console.log(`${db.dialect.name} returns written rows`)
 */
export interface DialectInfo {
  readonly name: EngineName
  readonly family: SqlFamily
  readonly capabilities: Capabilities
}

/**
 * @internal Inside the library `db.dialect` is the whole dialect (DDL, introspection, codecs): this
 * declaration merges into the one above and is stripped from the published declarations, where
 * only name, family and capabilities remain.
 */
export interface DialectInfo extends Dialect {}
