import {
  createQueryId,
  type Driver,
  type Expression,
  Kysely,
  type OperationNode,
  type QueryId,
  RawNode,
  type SelectQueryNode,
  ValueNode,
} from 'kysely'
import { z } from 'zod'
import type { Database } from '../db/database.js'
import { ValidationError, type ValidationIssue } from '../errors.js'
import type { ModelContext } from '../mapping/model-context.js'
import { isModel, type Model, type ModelDef } from '../model/define-model.js'
import { isObjectLike, ownData } from '../repository/io.js'
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

/** A named argument where a value stands in the query's tree: the slot it lands in is filled per call. */
class Arg {
  constructor(readonly name: string) {}
}

/** `a.customerId` in a prepared query: a bound value of the named argument. */
class ArgExpression<T> implements Expression<T> {
  readonly #name: string
  constructor(name: string) {
    this.#name = name
  }
  get expressionType(): T | undefined {
    return undefined
  }
  toOperationNode(): OperationNode {
    return ValueNode.create(new Arg(this.#name))
  }
}

/** Values an engine binds as one parameter: anything else (objects, arrays) is refused. */
const BINDABLE = new Set(['string', 'number', 'bigint', 'boolean'])
const bindable = (v: unknown) => v === null || v instanceof Date || BINDABLE.has(typeof v)

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

/** What a prepared query is, whatever database view (db or tx) it runs on. */
class Core {
  /** By scope form: the SQL text of the scoped sources follows from it. */
  readonly #templates = new Bounded<string, Compiled>(32)
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
    readonly args: z.ZodType,
    readonly argNames: readonly string[],
    readonly dialect: Database['dialect'],
  ) {}

  /** Scopes already checked, by their exact values (as db.scoped() keeps its query builders). */
  readonly #scopes = new Bounded<string, ReturnType<typeof scopeOf>>(256)

  scopeOf(read: ScopedOptions): ReturnType<typeof scopeOf> {
    const key = scopeKey(read)
    return this.#scopes.get(key) ?? this.#scopes.set(key, scopeOf(this.contexts, read))
  }

  model = (table: string): ModelDef | undefined => this.contexts.find((c) => c.def.table === table)?.def

  /** The SQL and fills for this call's scope, compiled once per scope form. */
  compiled(scoped: readonly ScopedTable[], settings: ScopeSettings): Compiled {
    let key = ''
    for (const t of scoped) key += `${formOf(t, settings)},`
    const known = this.#templates.get(key)
    if (known) return known
    const late = scoped.map((t) => lateSource(t, settings, this.analysis.wanted))
    if (late.every((s) => s !== undefined)) return this.#templates.set(key, this.#compile(late, true))
    // a source with a value that is not a stand-in (not expected): built and compiled with this call's values
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

  /** The argument values of one call: own data properties, checked by their schemas, one bindable value each. */
  readArgs(given: unknown): Record<string, unknown> {
    if (given === undefined && this.argNames.length === 0) return {}
    if (!isObjectLike(given)) return invalid('The arguments of a prepared scoped query must be an object', ['args'])
    const issues: ValidationIssue[] = []
    const own = ownData(given, ['args'], issues)
    const parsed = this.args.safeParse(own)
    if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ ...i, path: ['args', ...i.path] })))
    const values = (parsed.data ?? {}) as Record<string, unknown>
    for (const name of this.argNames) {
      if (parsed.success && !bindable(values[name])) {
        const message = `argument "${name}" must be one value (string, number, bigint, boolean, Date or null)`
        issues.push({ code: 'custom', message, path: ['args', name] })
      }
    }
    if (issues.length > 0) throw new ValidationError('Invalid arguments of a prepared scoped query', issues)
    return values
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

/** The argument expressions by name; a name that was not declared is refused while the query is built. */
function argExpressions(names: readonly string[]): Record<string, ArgExpression<unknown>> {
  const exprs: Record<string, ArgExpression<unknown>> = Object.create(null)
  for (const name of names) exprs[name] = new ArgExpression(name)
  return new Proxy(Object.freeze(exprs), {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key))
        invalid(`argument "${key}" is not declared: declare it with its Zod schema`, ['args', key])
      return Reflect.get(target, key)
    },
  })
}

/** Read the argument schemas: own data properties, each a Zod (v4) schema. */
function argSchema(args: unknown): { schema: z.ZodType; names: string[] } {
  if (!isObjectLike(args)) return invalid('db.prepareScoped() takes its arguments as { name: zodSchema }', ['args'])
  const issues: ValidationIssue[] = []
  const own = ownData(args, ['args'], issues)
  for (const [name, s] of Object.entries(own)) {
    if (typeof s !== 'object' || s === null || !('_zod' in s))
      issues.push({ code: 'custom', message: `argument "${name}" needs a Zod schema`, path: ['args', name] })
  }
  if (issues.length > 0) throw new ValidationError('Invalid arguments of db.prepareScoped()', issues)
  return { schema: z.strictObject(own as Record<string, z.ZodType>), names: Object.keys(own) }
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
  const { schema, names } = argSchema(args)
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
  const core = new Core(
    db.dialect.name,
    contexts,
    select,
    shape.values,
    probed.tables,
    analysis,
    schema,
    names,
    db.dialect,
  )
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
    // the scope and the arguments are checked before anything else, exactly as db.scoped() checks its options
    const { tables, settings } = core.scopeOf(readScopedOptions(scope, 'prepared scoped query scope'))
    const values = core.readArgs(args)
    const scoped: ScopedTable[] = []
    for (const t of core.tables) scoped.push(tables.get(t)!)
    const { sql, fills } = core.compiled(scoped, settings)
    // loops, not closures: this runs on every call
    const parameters: unknown[] = []
    for (const f of fills) {
      parameters.push(
        'value' in f ? f.value : 'arg' in f ? values[f.arg] : standsFor(f.scoped, scoped[f.table]!.scope, settings),
      )
    }
    const { rows } = await this.#db.run({ sql, parameters })
    if (core.analysis.decoders.size > 0) decodeRows(rows, core.analysis.decoders, this.#db.dialect.codec)
    return rows as O[]
  }
}
