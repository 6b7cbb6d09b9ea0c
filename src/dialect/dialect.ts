import type { DialectAdapter, QueryCompiler } from 'kysely'
import type { FFStorageError } from '../errors.js'
import type { Guarded, SqlSyntax, Statement } from '../sql/statement.js'
import type { ValueCodec } from './codec.js'
import type { DdlRenderer, TypeRenderer } from './ddl.js'
import type { SchemaNormalizer } from './expression.js'
import type { Introspector } from './introspection.js'
import type { ModelRules } from './model-rules.js'
import type { ReadSql } from './read-sql.js'
import type { TypeChangeRules } from './type-change.js'

/** The SQL family decides the SQL text we generate; the variant only adds capabilities and quirks. */
export type SqlFamily = 'postgres' | 'mysql'
export type EngineName = 'postgres' | 'pglite' | 'mysql' | 'mariadb'

/** Transaction control sent with the statements of a compound statement (see `Dialect.compound`). */
export interface CompoundEnds {
  readonly open?: string | undefined
  readonly close?: string | undefined
  readonly undo?: string | undefined
}

/** What an engine can do. Callers branch on these flags, never on the engine's name. */
export interface Capabilities {
  /** `INSERT/UPDATE/DELETE … RETURNING` and data-modifying CTEs (one round trip per write). */
  readonly returning: boolean
  /** `INSERT … RETURNING` alone (MariaDB 10.5+ has it without UPDATE … RETURNING). */
  readonly insertReturning: boolean
  /** DDL runs inside a transaction and rolls back with it. */
  readonly transactionalDdl: boolean
  /** Tables live in named schemas (a model's `schema` option); without it the option is ignored. */
  readonly schemas: boolean
  /** `CREATE INDEX … WHERE predicate`. */
  readonly partialIndexes: boolean
  /** Native array column types (`text[]`). */
  readonly nativeArrays: boolean
  /** One connection only: every operation and transaction is queued on it. */
  readonly singleConnection: boolean
  /** A server-side statement timeout can be set per session. */
  readonly statementTimeout: boolean
  /**
   * A correlated `ORDER BY … LIMIT 1` subquery reads one index entry per outer row (PostgreSQL).
   * MariaDB reads every entry under the key prefix, so per-record version lookups do not pay there.
   */
  readonly correlatedTopN: boolean
  /**
   * A derived table over `UNION ALL` is planned inline: PostgreSQL flattens it into an Append and
   * pushes the outer predicates into each branch. MariaDB 10.11 (and MySQL 8) cannot merge such a
   * derived table and materialize it in a temporary table on every execution, so single-record reads
   * there put the predicates into the branches of a top-level `UNION ALL` instead.
   */
  readonly inlineDerivedUnions: boolean
  /**
   * An error in a statement aborts the whole transaction (PostgreSQL: every later statement fails
   * and COMMIT rolls back); MySQL/MariaDB undo only the failed statement.
   */
  readonly errorAbortsTransaction: boolean
}

export interface StatementContext {
  readonly sql?: string
  readonly parameters?: readonly unknown[]
}

/**
 * An engine, as plain collaborators and flags: no I/O happens here (STYLE: a dialect is a plain
 * object of collaborators). Variants (PGlite, MariaDB) override only what differs.
 */
export interface Dialect extends SqlSyntax {
  readonly name: EngineName
  readonly family: SqlFamily
  readonly capabilities: Capabilities
  createAdapter(): DialectAdapter
  createQueryCompiler(): QueryCompiler
  /** Quote an identifier (`"name"` / `` `name` ``), doubling embedded quote characters. */
  quoteId(name: string): string
  /** Turn values into what the driver binds safely (e.g. objects → JSON text on MySQL). */
  prepareParameter(value: unknown): unknown
  /**
   * What follows `table AS alias` so that a statement reads an ordered range of `index` (a keyset
   * page: equality on the index's leading column, a range on the next ones, ORDER BY … LIMIT).
   * MariaDB 10.11 plans such a page as `ref` on the leading column alone and reads every row
   * before the cursor (ANALYZE FORMAT=JSON: r_rows 50,101 for a page at depth 50,000), unless the
   * index is forced; PostgreSQL plans the range itself (empty string).
   */
  orderedIndexHint(index: string): string
  /**
   * Several statements as one (MariaDB's `BEGIN NOT ATOMIC … END`, server-side prepared with every
   * value bound): `ends.open` runs first, `ends.close` last, `ends.undo` when one fails (the error is
   * then raised again, unchanged). A statement stops at its first error, so what follows a failed
   * one never runs. Absent where the engine has none; undefined when the statements would exceed
   * the engine's limits for one statement: then they are sent one by one.
   */
  readonly compound?: (statements: readonly Statement[], ends: CompoundEnds) => Statement | undefined
  /** A guarded step as one compound statement (present with `compound`), `ends` around it. */
  readonly guardedCompound?: (step: Guarded, ends: CompoundEnds) => Statement
  /** Convert a driver error into our typed error, keeping the statement and the cause. */
  convertError(error: unknown, context: StatementContext): FFStorageError
  /** A bound UUID reads back in lower case (PostgreSQL's uuid type); elsewhere as bound. */
  readonly uuidsReadBackLowerCase: boolean
  readonly types: TypeRenderer
  readonly ddl: DdlRenderer
  readonly introspector: Introspector
  /** Model values to bound parameters, driver values back to model values. */
  readonly codec: ValueCodec
  /** Canonical text of types and expressions, for comparing models with the catalog. */
  readonly normalize: SchemaNormalizer
  /** What a column type change does to the values (widening, the test for values that do not fit). */
  readonly typeChange: TypeChangeRules
  /** What a model must respect on this engine (name lengths, unsupported options). */
  readonly modelRules: ModelRules
  /** The SQL pieces reads write differently (ILIKE, IN lists, JSON as text). */
  readonly readSql: ReadSql
}
