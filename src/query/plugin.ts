import {
  type CompiledQuery,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryCompiler,
  type QueryId,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  type SelectQueryNode,
  type UnknownRow,
  ValueNode,
} from 'kysely'
import type { ValueCodec } from '../dialect/codec.js'
import type { ModelContext } from '../mapping/model-context.js'
import type { FieldDef, ModelDef } from '../model/define-model.js'
import { outputFields } from './output.js'
import {
  Bounded,
  fill,
  Numbering,
  type Shape,
  ShapeTable,
  Slot,
  shapeOf,
  type Template,
  templateOf,
  withSlots,
} from './shape.js'
import { type ScopedTable, type ScopeSettings, type Source, scopedSource, sourceOf, toRawNode } from './source.js'
import { ColumnCollector, refuse, ScopeTransformer } from './transform.js'

/** What the plugin made of a root node it transformed. */
export interface ScopedNode {
  /** The plugin (one scope) that transformed it: only that scope's builder runs it. */
  readonly plugin: ScopePlugin
  /** The SQL, when the plugin took it from the shape cache: the compiler hands it back as it is. */
  readonly compiled?: CompiledQuery
  /** The selected record properties, decoded like records by the scoped executor. */
  readonly decoders: ReadonlyMap<string, FieldDef>
}

/**
 * Root nodes the plugin transformed (the only ones the scoped executor runs), one entry per query:
 * a single weak-map entry per run is all the bookkeeping a scoped query costs.
 */
export const SCOPED = new WeakMap<object, ScopedNode>()

/**
 * The dialect's compiler for the builder of `plugin`, passing the queries that plugin already
 * compiled through unchanged; every compiled query it hands out is added to `issued`, the only ones
 * that builder's executor runs (not a copy with other SQL, not another builder's query).
 */
export function cachingCompiler(inner: QueryCompiler, plugin: ScopePlugin, issued: WeakSet<object>): QueryCompiler {
  return {
    compileQuery(node, queryId) {
      const scoped = SCOPED.get(node)
      const compiled = (scoped?.plugin === plugin && scoped.compiled) || inner.compileQuery(node, queryId)
      issued.add(compiled)
      return compiled
    },
  }
}

/** What a query shape always means, whatever its values and scope. */
interface ShapeEntry extends Analysis {
  /** The model tables the query reads, in the order of their source slots (set by the first template). */
  tables?: readonly string[]
  /** A parameter of the compiled SQL was not a slot: this shape is always compiled afresh. */
  fresh?: boolean
  /** Templates by the text of the scoped sources (strict or permissive, asOf or not, includeDeleted). */
  readonly templates: Bounded<string, Template>
}

/** A shape in one plugin's scope: the SQL template and the bound values of its scoped sources. */
interface Resolved {
  readonly template: Template
  readonly values: readonly (readonly unknown[])[]
}

/**
 * Shapes compiled so far, shared by every scoped query builder of the process. A key is the models
 * (their engine contexts) and the query's structure without its values; a template's key adds the
 * SQL text of the scoped sources it was compiled with. Values — the query's and the scope's
 * (tenants, asOf) — are never part of a template: every call fills them from its own query and its
 * own scope, so a shape compiled in one scope cannot run with another scope's values.
 */
const SHAPES = new ShapeTable<ShapeEntry>(1_000)
const contextIds = new Numbering<ModelContext>(true)
/** A number per model context (model and engine), for cache keys. */
export const contextId = (ctx: ModelContext): number => contextIds.of(ctx)

const wantedKeyOf = (wanted: ReadonlySet<string> | undefined) => (wanted ? [...wanted].sort().join(',') : '*')

/** The key of a template among its shape's: the texts of the sources it was compiled with. */
export const textKey = (sources: readonly Source[]) => sources.map((s) => s.textId).join(',')

/** A source with its bound values replaced by slots of source number `source`. */
const slotted = (node: RawNode, source: number): RawNode =>
  RawNode.create(
    node.sqlFragments,
    node.parameters.map((p, j) => (p.kind === 'ValueNode' ? ValueNode.create(new Slot(source, j)) : p)),
  )

/**
 * The scope as a Kysely plugin. `transformQuery` replaces every model table read by its scoped
 * derived table (ScopeTransformer) and refuses everything else; the SQL of a query shape is
 * compiled once and then only filled with values (SHAPES). The scoped executor decodes the selected
 * record properties like records (SCOPED).
 */
export class ScopePlugin implements KyselyPlugin {
  readonly #tables: ReadonlyMap<string, ScopedTable>
  readonly #settings: ScopeSettings
  readonly #compiler: QueryCompiler | undefined
  /** The models (their context numbers), first in every shape's tokens. */
  readonly #prefix: readonly number[]
  readonly #sources = new Bounded<string, Source>(256)
  /** By shape: its template and the sources' values in this scope (the scope never changes). */
  readonly #resolved = new Bounded<ShapeEntry, Resolved>(256)

  /** Without a compiler every query is transformed afresh (nothing is cached). */
  constructor(tables: ReadonlyMap<string, ScopedTable>, settings: ScopeSettings, compiler?: QueryCompiler) {
    this.#tables = tables
    this.#settings = settings
    this.#compiler = compiler
    this.#prefix = [tables.size, ...[...tables.values()].map((t) => contextId(t.ctx))]
  }

  /** The scoped derived table of a model with the properties `wanted` (all when undefined), cached by shape. */
  source(table: string, wanted: ReadonlySet<string> | undefined): RawNode {
    return this.#source(table, wanted, wantedKeyOf(wanted)).node
  }

  #source(table: string, wanted: ReadonlySet<string> | undefined, wantedKey: string): Source {
    const key = `${table}|${wantedKey}`
    const known = this.#sources.get(key)
    if (known) return known
    const t = this.#tables.get(table)!
    return this.#sources.set(key, sourceOf(toRawNode(scopedSource(t, this.#settings, wanted))))
  }

  /** A table name: the model it names, if any. */
  model(table: string): ModelDef | undefined {
    return this.#tables.get(table)?.ctx.def
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const { node, queryId } = args
    if (node.kind !== 'SelectQueryNode') {
      refuse(
        node.kind === 'RawNode'
          ? 'A scoped query builder runs query-builder SELECTs only: run sql`…` through db.query'
          : `A scoped query builder is read-only (${node.kind.replace(/QueryNode$|Node$/, '')} refused): write through repositories`,
      )
    }
    const select = node as SelectQueryNode
    const shape = this.#compiler ? shapeOf(select, this.#prefix) : undefined
    const cached = shape && this.#cached(select, shape, queryId)
    if (cached) return cached
    const { wanted, decoders } = this.#analyse(select)
    const transformed = new ScopeTransformer({
      model: (t) => this.model(t),
      source: (t) => this.source(t, wanted),
    }).transformNode(select, queryId) as SelectQueryNode
    SCOPED.set(transformed, { plugin: this, decoders })
    return transformed
  }

  #analyse(node: SelectQueryNode): Analysis {
    return analyse(node, (t) => this.model(t))
  }

  /** The query compiled from its shape's template (built on the first call); undefined when it cannot be cached. */
  #cached(node: SelectQueryNode, shape: Shape, queryId: QueryId): RootOperationNode | undefined {
    const entry = SHAPES.get(shape) ?? SHAPES.set(shape, { ...this.#analyse(node), templates: new Bounded(16) })
    if (entry.fresh) return undefined
    const resolved = this.#resolved.get(entry) ?? this.#resolve(node, entry, queryId)
    if (!resolved) return undefined
    const { template, values } = resolved
    const result = Object.freeze({ ...node })
    const parameters = Object.freeze(fill(template, shape.values, values))
    const compiled = Object.freeze({ query: result, queryId, sql: template.sql, parameters })
    SCOPED.set(result, { plugin: this, compiled, decoders: entry.decoders })
    return result
  }

  /** A shape's template and sources' values in this plugin's scope (compiled on the shape's first call). */
  #resolve(node: SelectQueryNode, entry: ShapeEntry, queryId: QueryId): Resolved | undefined {
    let sources = entry.tables?.map((t) => this.#source(t, entry.wanted, entry.wantedKey))
    let template = sources && entry.templates.get(textKey(sources))
    if (!template) {
      const built = this.#template(node, entry, queryId)
      if (!built) {
        entry.fresh = true
        return undefined
      }
      const same = entry.tables?.length === built.tables.length && entry.tables.every((t, i) => built.tables[i] === t)
      if (entry.tables && !same) return undefined
      entry.tables = built.tables
      sources = built.sources
      template = entry.templates.set(textKey(sources), built.template)
    }
    return this.#resolved.set(entry, { template, values: sources!.map((s) => s.values) })
  }

  /** Compile the query once with slots for its values and for its sources' values. */
  #template(node: SelectQueryNode, entry: ShapeEntry, queryId: QueryId) {
    return compileTemplate(
      node,
      queryId,
      this.#compiler!,
      (t) => this.model(t),
      (t) => this.#source(t, entry.wanted, entry.wantedKey),
    )
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** What a query's tree says whatever its scope: the properties it names and how its output decodes. */
export interface Analysis {
  readonly wanted: ReadonlySet<string> | undefined
  /** `wanted` as text (a key of the plugin's sources). */
  readonly wantedKey: string
  readonly decoders: ReadonlyMap<string, FieldDef>
}

export function analyse(node: SelectQueryNode, model: (table: string) => ModelDef | undefined): Analysis {
  const collector = new ColumnCollector()
  collector.transformNode(node)
  const wanted = collector.all ? undefined : collector.names
  return { wanted, wantedKey: wantedKeyOf(wanted), decoders: outputFields(node, model) }
}

/**
 * Compile `node` once with slots for its values (withSlots) and for the bound values of the scoped
 * sources that replace its model tables; `source` gives a table's source in the scope at hand.
 * Undefined when a parameter of the compiled SQL is not a slot (such a query is never cached).
 */
export function compileTemplate(
  node: SelectQueryNode,
  queryId: QueryId,
  compiler: QueryCompiler,
  model: (table: string) => ModelDef | undefined,
  source: (table: string) => Source,
): { template: Template; tables: string[]; sources: Source[] } | undefined {
  const tables: string[] = []
  const sources: Source[] = []
  const transformed = new ScopeTransformer({
    model,
    source: (t) => {
      let i = tables.indexOf(t)
      if (i < 0) {
        i = tables.push(t) - 1
        sources.push(source(t))
      }
      return slotted(sources[i]!.node, i)
    },
  }).transformNode(withSlots(node), queryId) as SelectQueryNode
  const compiled = compiler.compileQuery(transformed, queryId)
  const template = templateOf(compiled.sql, compiled.parameters)
  return template && { template, tables, sources }
}

/** Decode the selected record properties of `rows` in place, like records. */
export function decodeRows(rows: UnknownRow[], fields: ReadonlyMap<string, FieldDef>, codec: ValueCodec): void {
  if (rows.length === 0) return
  // field by field: each field's decoder is looked up once per result, not once per row
  for (const [key, f] of fields) {
    const decode = codec.decoderFor(f)
    for (const row of rows) {
      if (!Object.hasOwn(row, key)) continue
      const value = row[key]
      // NULL stays null (outer joins), everything else decodes as in records
      row[key] = value === null || value === undefined ? null : decode(value)
    }
  }
}
