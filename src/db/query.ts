import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely'
import type { Statement } from '../sql/statement.js'

/** Anything `db.query` runs: a `sql` template, a query-builder query, or a compiled query. */
export type Query<R = Record<string, unknown>> = RawBuilder<R> | Compilable<R> | CompiledQuery<R>

/** The statement a `db.query(…)` argument stands for (a `sql` template compiles against `kysely`). */
// biome-ignore lint/suspicious/noExplicitAny: any builder compiles a raw template
export function compileQuery<R>(query: Query<R>, kysely: Kysely<any>): Statement {
  if (isCompiledQuery(query)) return query
  if (isRawBuilder(query)) return query.compile(kysely)
  if (typeof (query as Compilable<R>).compile === 'function') return (query as Compilable<R>).compile()
  throw new TypeError('db.query() takes a sql`…` template, a query-builder query or a compiled query')
}

function isRawBuilder<R>(q: Query<R>): q is RawBuilder<R> {
  return (q as { isRawBuilder?: unknown }).isRawBuilder === true
}

function isCompiledQuery<R>(q: Query<R>): q is CompiledQuery<R> {
  return typeof (q as CompiledQuery<R>).sql === 'string' && Array.isArray((q as CompiledQuery<R>).parameters)
}
