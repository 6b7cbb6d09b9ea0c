import {
  AliasNode,
  type ColumnNode,
  type DeleteQueryNode,
  type FromNode,
  IdentifierNode,
  type InsertQueryNode,
  type JoinNode,
  type KyselyPlugin,
  type MergeQueryNode,
  type OperationNode,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  type SelectAllNode,
  type SelectionNode,
  type SelectQueryNode,
  type TableNode,
  type UnknownRow,
  type UpdateQueryNode,
  ValueNode,
} from 'kysely'
import { ValidationError } from '../errors.js'
import type { ModelContext } from '../mapping/model-context.js'
import { decodeValue } from '../model/codec.js'
import type { FieldDef, ModelDef } from '../model/define-model.js'
import { and, type Scope } from '../scope/scope.js'
import { type Fragment, id as idPart, join, q } from '../sql/fragment.js'
import { asOfCandidates, versionsAt } from '../temporal/as-of.js'

/** One model a scoped query may read: how it is read on this engine and in this scope. */
export interface ScopedTable {
  readonly ctx: ModelContext
  readonly scope: Scope
}

export interface ScopeSettings {
  readonly asOf: Date | undefined
  readonly includeDeleted: boolean
}

/** Root nodes the plugin transformed: the only ones the scoped executor runs. */
export const SCOPED_NODES = new WeakSet<object>()

const refuse = (message: string, path: string[] = []): never => {
  throw new ValidationError(message, [{ code: 'custom', message, path }])
}

/** `a`.`b` ⇒ the identifier node's name. */
const nameOf = (node: OperationNode | undefined): string | undefined =>
  node && node.kind === 'IdentifierNode' ? (node as IdentifierNode).name : undefined

/**
 * A scoped read of one model as SQL (without alias): only the scope's tenants, only live rows
 * (unless includeDeleted), with scd2 tables as they were at `asOf`; the columns are the record's
 * properties, named as in records (camelCase), so internal columns cannot be reached at all.
 */
export function scopedSource(table: ScopedTable, settings: ScopeSettings, wanted?: ReadonlySet<string>): Fragment {
  const { ctx, scope } = table
  const def = ctx.def
  // only the properties the query names (the id at least): the server parses and plans less
  const fields = wanted ? def.fields.filter((f) => f.system === 'id' || wanted.has(f.name)) : def.fields
  const source =
    settings.asOf !== undefined && def.temporal === 'scd2'
      ? q`${versionsAt(ctx, asOfCandidates(ctx, scope, settings.asOf), settings.asOf)} AS r`
      : q`${ctx.main} AS r`
  const columns = join(fields.map((f) => q`r.${idPart(f.column)} AS ${idPart(f.name)}`))
  const predicates = scope.read('r', settings.includeDeleted)
  return q`(SELECT ${columns} FROM ${source}${predicates.length > 0 ? q` WHERE ${and(predicates)}` : q``})`
}

/** A Fragment as a Kysely RawNode: identifiers become IdentifierNodes, values ValueNodes (bound). */
export function toRawNode(fragment: Fragment): RawNode {
  const sqlFragments: string[] = []
  const parameters: OperationNode[] = []
  let text = ''
  const walk = (f: Fragment) => {
    for (const part of f.parts) {
      if (typeof part === 'string') text += part
      else if ('parts' in part) walk(part as Fragment)
      else {
        sqlFragments.push(text)
        text = ''
        parameters.push('id' in part ? IdentifierNode.create(part.id) : ValueNode.create(part.value))
      }
    }
  }
  walk(fragment)
  sqlFragments.push(text)
  return RawNode.create(sqlFragments, parameters)
}

/**
 * The scope as a Kysely plugin. `transformQuery` walks the operation-node tree and replaces every
 * model table read — in FROM, JOIN, subqueries, CTEs, EXISTS, UNION — by its scoped derived table
 * (aliased with the table's name or the query's alias); a table that is neither a model nor a CTE
 * visible at that point is refused by name; writes are refused. `transformResult` decodes the
 * selected record properties like records.
 */
export class ScopePlugin implements KyselyPlugin {
  readonly #tables: ReadonlyMap<string, ScopedTable>
  readonly #settings: ScopeSettings
  readonly #family: 'postgres' | 'mysql'
  readonly #sources = new Map<string, RawNode>()
  readonly #decoders = new WeakMap<QueryId, Map<string, FieldDef>>()

  constructor(tables: ReadonlyMap<string, ScopedTable>, settings: ScopeSettings, family: 'postgres' | 'mysql') {
    this.#tables = tables
    this.#settings = settings
    this.#family = family
  }

  /** The scoped derived table of a model with the properties `wanted` (all when undefined), cached by shape. */
  source(table: string, wanted: ReadonlySet<string> | undefined): RawNode {
    const t = this.#tables.get(table)!
    const names = wanted ? t.ctx.def.fields.filter((f) => wanted.has(f.name)).map((f) => f.name) : undefined
    const key = `${table}|${names ? names.join(',') : '*'}`
    let node = this.#sources.get(key)
    if (!node) {
      node = toRawNode(scopedSource(t, this.#settings, names ? new Set(names) : undefined))
      if (this.#sources.size >= 256) this.#sources.delete(this.#sources.keys().next().value!)
      this.#sources.set(key, node)
    }
    return node
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
    const collector = new ColumnCollector()
    collector.transformNode(node, queryId)
    const wanted = collector.all ? undefined : collector.names
    const transformed = new ScopeTransformer(this, wanted).transformNode(node, queryId) as SelectQueryNode
    SCOPED_NODES.add(transformed)
    const decoders = outputFields(node as SelectQueryNode, this)
    if (decoders.size > 0) this.#decoders.set(queryId, decoders)
    return transformed
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const fields = this.#decoders.get(args.queryId)
    if (!fields) return args.result
    const family = this.#family
    for (const row of args.result.rows) {
      for (const [key, f] of fields) {
        if (!Object.hasOwn(row, key)) continue
        const value = row[key]
        // NULL stays null (outer joins), everything else decodes as in records
        row[key] = value === null || value === undefined ? null : decodeValue(f, value, family)
      }
    }
    return args.result
  }
}

/**
 * The column names a query mentions anywhere; `all` when it selects `*` somewhere or contains raw
 * SQL (which may name any column), so derived tables must expose every property.
 */
class ColumnCollector extends OperationNodeTransformer {
  readonly names = new Set<string>()
  all = false

  protected override transformColumn(node: ColumnNode, queryId?: QueryId): ColumnNode {
    this.names.add(node.column.name)
    return super.transformColumn(node, queryId)
  }

  protected override transformSelectAll(node: SelectAllNode, queryId?: QueryId): SelectAllNode {
    this.all = true
    return super.transformSelectAll(node, queryId)
  }

  protected override transformRaw(node: RawNode, queryId?: QueryId): RawNode {
    this.all = true
    return super.transformRaw(node, queryId)
  }
}

/** Walks one query; `#visible` holds the CTE names visible at the node being transformed. */
class ScopeTransformer extends OperationNodeTransformer {
  readonly #plugin: ScopePlugin
  readonly #wanted: ReadonlySet<string> | undefined
  #visible: ReadonlySet<string> = new Set()

  constructor(plugin: ScopePlugin, wanted: ReadonlySet<string> | undefined) {
    super()
    this.#plugin = plugin
    this.#wanted = wanted
  }

  protected override transformSelectQuery(node: SelectQueryNode, queryId?: QueryId): SelectQueryNode {
    const withNode = node.with
    if (!withNode) return super.transformSelectQuery(node, queryId)
    const outer = this.#visible
    const names = withNode.expressions.map((e) => e.name.table.table.identifier.name)
    // a CTE sees the ones before it (all of them under RECURSIVE), never a table of the same name
    const expressions = withNode.expressions.map((cte, i) => {
      this.#visible = new Set([...outer, ...(withNode.recursive ? names : names.slice(0, i))])
      return this.transformNode(cte, queryId)
    })
    this.#visible = new Set([...outer, ...names])
    try {
      const { with: _, ...rest } = node
      const body = super.transformSelectQuery(rest, queryId)
      return Object.freeze({ ...body, with: Object.freeze({ ...withNode, expressions: Object.freeze(expressions) }) })
    } finally {
      this.#visible = outer
    }
  }

  protected override transformFrom(node: FromNode, queryId?: QueryId): FromNode {
    return Object.freeze({ ...node, froms: Object.freeze(node.froms.map((f) => this.#relation(f, queryId))) })
  }

  protected override transformJoin(node: JoinNode, queryId?: QueryId): JoinNode {
    const on = node.on ? (this.transformNode(node.on, queryId) as JoinNode['on']) : undefined
    return Object.freeze({ ...node, table: this.#relation(node.table, queryId), ...(on && { on }) })
  }

  /** A table read: a model becomes its scoped derived table, a visible CTE stays, anything else is refused. */
  #relation(node: OperationNode, queryId?: QueryId): OperationNode {
    if (node.kind === 'TableNode') return this.#table(node as TableNode, undefined)
    if (node.kind === 'AliasNode' && (node as AliasNode).node.kind === 'TableNode') {
      const alias = node as AliasNode
      return this.#table(alias.node as TableNode, nameOf(alias.alias))
    }
    return this.transformNode(node, queryId)
  }

  #table(node: TableNode, alias: string | undefined): OperationNode {
    const schema = node.table.schema?.name
    const name = node.table.identifier.name
    const model = this.#plugin.model(name)
    if (schema === undefined && this.#visible.has(name)) {
      return alias === undefined ? node : AliasNode.create(node, IdentifierNode.create(alias))
    }
    if (!model || (schema !== undefined && schema !== model.schema)) {
      const shown = schema === undefined ? name : `${schema}.${name}`
      refuse(`Table "${shown}" is not one of this scoped query's models`, ['table', shown])
    }
    return AliasNode.create(this.#plugin.source(name, this.#wanted), IdentifierNode.create(alias ?? name))
  }

  protected override transformInsertQuery(_node: InsertQueryNode): InsertQueryNode {
    return refuse(`A scoped query builder is read-only (insert refused): write through repositories`)
  }

  protected override transformUpdateQuery(_node: UpdateQueryNode): UpdateQueryNode {
    return refuse(`A scoped query builder is read-only (update refused): write through repositories`)
  }

  protected override transformDeleteQuery(_node: DeleteQueryNode): DeleteQueryNode {
    return refuse(`A scoped query builder is read-only (delete refused): write through repositories`)
  }

  protected override transformMergeQuery(_node: MergeQueryNode): MergeQueryNode {
    return refuse(`A scoped query builder is read-only (merge refused): write through repositories`)
  }
}

/**
 * The output columns of a query that are record properties, with their fields, so rows decode like
 * records: `contracts.monthlyFee`, `c.monthlyFee as fee`, `selectAll()`, `selectAll('contracts')`, and
 * bare names that exactly one model of the FROM/JOIN list has. Expressions are left as the driver gives them.
 */
function outputFields(node: SelectQueryNode, plugin: ScopePlugin): Map<string, FieldDef> {
  const relations = new Map<string, ModelDef>()
  const add = (rel: OperationNode) => {
    let table = rel
    let alias: string | undefined
    if (rel.kind === 'AliasNode') {
      table = (rel as AliasNode).node
      alias = nameOf((rel as AliasNode).alias)
    }
    if (table.kind !== 'TableNode') return
    const name = (table as TableNode).table.identifier.name
    const model = plugin.model(name)
    if (model) relations.set(alias ?? name, model)
  }
  for (const f of node.from?.froms ?? []) add(f)
  for (const j of node.joins ?? []) add(j.table)
  const out = new Map<string, FieldDef>()
  const field = (table: string | undefined, column: string): FieldDef | undefined => {
    if (table !== undefined) return relations.get(table)?.byName.get(column)
    const found = [...relations.values()].map((m) => m.byName.get(column)).filter((f) => f !== undefined)
    return found.length === 1 ? found[0] : undefined
  }
  const reference = (n: OperationNode): { table?: string; column?: string; all?: boolean } | undefined => {
    if (n.kind === 'ColumnNode') return { column: (n as unknown as { column: IdentifierNode }).column.name }
    if (n.kind === 'SelectAllNode') return { all: true }
    if (n.kind === 'ReferenceNode') {
      const r = n as unknown as { table?: TableNode; column: OperationNode }
      const table = r.table?.table.identifier.name
      if (r.column.kind === 'SelectAllNode') return { ...(table !== undefined && { table }), all: true }
      return {
        ...(table !== undefined && { table }),
        column: (r.column as unknown as { column: IdentifierNode }).column.name,
      }
    }
    return undefined
  }
  for (const selection of (node.selections ?? []) as SelectionNode[]) {
    let target = selection.selection as OperationNode
    let as: string | undefined
    if (target.kind === 'AliasNode') {
      as = nameOf((target as AliasNode).alias)
      target = (target as AliasNode).node
    }
    const ref = reference(target)
    if (!ref) continue
    if (ref.all) {
      const models = ref.table !== undefined ? [relations.get(ref.table)] : [...relations.values()]
      for (const m of models) for (const f of m?.fields ?? []) out.set(f.name, f)
      continue
    }
    const f = field(ref.table, ref.column!)
    if (f) out.set(as ?? ref.column!, f)
  }
  return out
}
