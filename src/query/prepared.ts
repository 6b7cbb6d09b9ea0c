import {
  createQueryId,
  type Driver,
  type Expression,
  Kysely,
  type QueryId,
  RawNode,
  type SelectQueryNode,
} from 'kysely'
import type { Database } from '../db/database.js'
import { ValidationError } from '../errors.js'
import type { ModelContext } from '../mapping/model-context.js'
import { isModel, type Model, type ModelDef } from '../model/define-model.js'
import { isObjectLike } from '../repository/io.js'
import { Arg, type ArgReader, argExpressions, argSchema } from './args.js'
import { formOf, lateSource, type ScopeValue, standsFor } from './late-source.js'
import { type Analysis, analyse, compileTemplate, decodeRows } from './plugin.js'
import { contextOf, readScopedOptions, scopeKey, scopeOf } from './scoped.js'
import { Bounded, shapeOf } from './shape.js'
import { type ScopedTable, type ScopeSettings, type Source, scopedSource, sourceOf, toRawNode } from './source.js'
import type {
  PreparedScopedQuery,
  ScopedArgExpressions,
  ScopedArgs,
  ScopedOptions,
  ScopedQueryCreator,
  ScopedTables,
} from './types.js'

const invalid = (message: string, path: (string | number)[] = []): never => {
  throw new ValidationError(message, [{ code: 'custom', message, path }])
}

/**
 * Where one parameter of a template comes from: a constant of the query, an argument, or a stand-in
 * of the scope of the `table`-th model read (bound to that scope's value at each call).
 */
type Fill =
  | { readonly value: unknown }
  | { readonly arg: string }
  | { readonly table: number; readonly scoped: ScopeValue }

interface Compiled {
  readonly sql: string
  readonly fills: readonly Fill[]
}

/** One scope's call: the SQL, its parameters with the scope's values in place, and where the arguments go. */
interface Bound {
  readonly sql: string
  readonly parameters: readonly unknown[]
  readonly args: readonly (readonly [index: number, name: string])[]
}

/** What a prepared query is, whatever database view (db or tx) it runs on. */
class Core {
  /** By scope form: the SQL text of the scoped sources follows from it. */
  readonly #templates = new Bounded<string, Compiled>(32)
  /** Scopes already checked, by their exact values (as db.scoped() keeps its query builders). */
  readonly #scopes = new Bounded<string, Bound>(256)
  /** The same calls for a lone text tenant (the usual request), by the tenant itself. */
  readonly #tenants = new Bounded<string, Bound>(256)
  readonly #queryId: QueryId = createQueryId()

  constructor(
    readonly engine: string,
    readonly contexts: readonly ModelContext[],
    readonly node: SelectQueryNode,
    /** The query's bound values in slot order: constants, or Args. */
    readonly values: readonly unknown[],
    /** The model tables the query reads, in the order of their source slots. */
    readonly tables: readonly string[],
    readonly analysis: Analysis,
    readonly args: ArgReader,
    readonly dialect: Database['dialect'],
  ) {}

  model = (table: string): ModelDef | undefined => this.contexts.find((c) => c.def.table === table)?.def

  /**
   * The call in a scope of the usual form, `{ tenantId: '…' }` (a plain object whose only own property
   * is that data property), when these values were checked before; undefined for anything else, which
   * readScopedOptions then reads in full. Reads what readScopedOptions would read: the same tenant.
   */
  known(scope: unknown): Bound | undefined {
    if (typeof scope !== 'object' || scope === null || Object.getPrototypeOf(scope) !== Object.prototype) return
    const keys = Object.keys(scope)
    if (keys.length !== 1 || keys[0] !== 'tenantId') return
    const d = Object.getOwnPropertyDescriptor(scope, 'tenantId')!
    if (!('value' in d) || typeof d.value !== 'string') return
    return this.#tenants.get(d.value)
  }

  /** The call in this scope (checked by scopeOf, as db.scoped() checks it, the first time these values come). */
  bound(read: ScopedOptions): Bound {
    const key = scopeKey(read)
    const known = this.#scopes.get(key)
    if (known) return known
    const { tables, settings } = scopeOf(this.contexts, read)
    const scoped = this.tables.map((t) => tables.get(t)!)
    const { sql, fills } = this.compiled(scoped, settings)
    const args: [number, string][] = []
    const parameters = fills.map((f, i) => {
      if ('value' in f) return f.value
      if ('arg' in f) return args.push([i, f.arg]) && undefined
      return standsFor(f.scoped, scoped[f.table]!.scope, settings)
    })
    const call = this.#scopes.set(key, Object.freeze({ sql, parameters: Object.freeze(parameters), args }))
    const lone = read.tenantIds === undefined && read.asOf === undefined && read.includeDeleted !== true
    if (lone && typeof read.tenantId === 'string') this.#tenants.set(read.tenantId, call)
    return call
  }

  /** The SQL and fills for a scope, compiled once per scope form. */
  compiled(scoped: readonly ScopedTable[], settings: ScopeSettings): Compiled {
    const key = scoped.map((t) => formOf(t, settings)).join()
    const known = this.#templates.get(key)
    if (known) return known
    const late = scoped.map((t) => lateSource(t, settings, this.analysis.wanted))
    if (late.every((s) => s !== undefined)) return this.#templates.set(key, this.#compile(late, true))
    // a source with a value that is not a stand-in (not expected): built and compiled with this scope's values
    return this.#compile(
      scoped.map((t) => sourceOf(toRawNode(scopedSource(t, settings, this.analysis.wanted)))),
      false,
    )
  }

  #compile(sources: readonly Source[], late: boolean): Compiled {
    const built = compileTemplate(
      this.node,
      this.#queryId,
      this.dialect.createQueryCompiler(),
      this.model,
      (t) => sources[this.tables.indexOf(t)]!,
    )
    // the probe at prepare time compiled the same tree: the same tables, every parameter a slot
    if (!built || built.tables.join() !== this.tables.join()) return invalid('This query cannot be prepared')
    const fills = built.template.slots.map((s): Fill => {
      if (s.source >= 0) {
        const v = sources[s.source]!.values[s.index]
        return late ? { table: s.source, scoped: v as ScopeValue } : { value: v }
      }
      const v = this.values[s.index]
      return v instanceof Arg ? { arg: v.name } : { value: v }
    })
    return { sql: built.template.sql, fills }
  }
}

/** Builds the query tree only: it never runs anything (the prepared query runs through its database). */
function builder<DB>(db: Database): ScopedQueryCreator<DB> {
  const refuse = async () => invalid("A prepared query's builder runs nothing: call execute() on the prepared query")
  const driver: Driver = {
    async init() {},
    acquireConnection: refuse,
    beginTransaction: refuse,
    commitTransaction: refuse,
    rollbackTransaction: refuse,
    async releaseConnection() {},
    async destroy() {},
  }
  const dialect = db.dialect
  return new Kysely<DB>({
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: () => invalid('A prepared query has no introspection'),
    },
  }) as unknown as ScopedQueryCreator<DB>
}

/** Build db.prepareScoped(models, args, build): the query built, checked and probed once. */
export function prepareScoped<const Ms extends readonly Model[], A extends ScopedArgs, O>(
  db: Database,
  models: Ms,
  args: A,
  build: (s: ScopedQueryCreator<ScopedTables<Ms>>, a: ScopedArgExpressions<A>) => Expression<O>,
): PreparedScopedQuery<A, O> {
  if (!Array.isArray(models) || models.length === 0)
    invalid('db.prepareScoped() takes a non-empty array of models', ['models'])
  const tables = new Set<string>()
  models.forEach((model, i) => {
    if (!isModel(model)) invalid('not a model (use defineModel)', ['models', i])
    if (tables.has(model.def.table)) invalid(`table "${model.def.table}" is given twice`, ['models', i])
    tables.add(model.def.table)
  })
  const reader = argSchema(args)
  const names = reader.names
  if (typeof build !== 'function') invalid('db.prepareScoped() takes a function that builds the query', ['build'])
  const query = build(builder(db), argExpressions(names) as unknown as ScopedArgExpressions<A>) as unknown
  if (!isObjectLike(query) || typeof (query as Expression<O>).toOperationNode !== 'function')
    invalid('The function given to db.prepareScoped() must return a query (selectFrom…)', ['build'])
  const node = (query as Expression<O>).toOperationNode()
  if (node.kind !== 'SelectQueryNode') {
    invalid(`A prepared scoped query is a query-builder SELECT (${node.kind.replace(/QueryNode$|Node$/, '')} refused)`)
  }
  const shape = shapeOf(node)
  if (!shape)
    return invalid('This query holds values that are not plain data (a Date in sql.lit?): it cannot be prepared')
  const used = new Set(shape.values.filter((v): v is Arg => v instanceof Arg).map((v) => v.name))
  const unused = names.filter((n) => !used.has(n))
  if (unused.length > 0)
    invalid(`argument "${unused[0]}" is declared but the query does not use it`, ['args', unused[0]!])
  const contexts = models.map((m) => contextOf(m, db))
  const model = (t: string) => contexts.find((c) => c.def.table === t)?.def
  const select = node as SelectQueryNode
  // the probe: unknown tables and writes are refused now, and the tables' order is known
  const probe = sourceOf(RawNode.createWithSql('(SELECT 1)'))
  const probed = compileTemplate(select, createQueryId(), db.dialect.createQueryCompiler(), model, () => probe)
  if (!probed) return invalid('This query has a parameter that is not a value: it cannot be prepared')
  const analysis = analyse(select, model)
  const core = new Core(db.dialect.name, contexts, select, shape.values, probed.tables, analysis, reader, db.dialect)
  return new Prepared<A, O>(core, db)
}

class Prepared<A extends ScopedArgs, O> implements PreparedScopedQuery<A, O> {
  readonly #core: Core
  readonly #db: Database

  constructor(core: Core, db: Database) {
    this.#core = core
    this.#db = db
  }

  on(db: Database): PreparedScopedQuery<A, O> {
    if (db?.dialect?.name !== this.#core.engine)
      invalid(`This query was prepared for ${this.#core.engine}: run it on a database of that engine`, ['db'])
    return new Prepared<A, O>(this.#core, db)
  }

  async execute(scope: ScopedOptions, args?: unknown): Promise<O[]> {
    const core = this.#core
    // the scope and the arguments are checked before anything is sent, exactly as db.scoped() checks its options
    const bound = core.known(scope) ?? core.bound(readScopedOptions(scope, 'prepared scoped query scope'))
    const values = core.args.read(args)
    const parameters = bound.parameters.slice()
    for (const [i, name] of bound.args) parameters[i] = values[name]
    // read-only: re-run after a transient failure outside a transaction, like every library read
    const { rows } = await this.#db.runRead({ sql: bound.sql, parameters })
    if (core.analysis.decoders.size > 0) decodeRows(rows, core.analysis.decoders, this.#db.dialect.codec)
    return rows as O[]
  }
}
