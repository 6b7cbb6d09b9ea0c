import {
  AliasNode,
  type ColumnNode,
  type DeleteQueryNode,
  type FromNode,
  IdentifierNode,
  type InsertQueryNode,
  type JoinNode,
  type MergeQueryNode,
  type OperationNode,
  OperationNodeTransformer,
  type QueryId,
  type RawNode,
  type SelectAllNode,
  type SelectQueryNode,
  type TableNode,
  type UpdateQueryNode,
} from 'kysely'
import { ValidationError } from '../errors.js'
import type { ModelDef } from '../model/define-model.js'

/** What the transformer needs of the scope: which tables are models, and each model's scoped source. */
export interface Relations {
  model(table: string): ModelDef | undefined
  /** The scoped derived table that replaces a read of `table` (a model) in this query. */
  source(table: string): RawNode
}

export const refuse = (message: string, path: string[] = []): never => {
  throw new ValidationError(message, [{ code: 'custom', message, path }])
}

/** `a`.`b` ⇒ the identifier node's name. */
export const nameOf = (node: OperationNode | undefined): string | undefined =>
  node && node.kind === 'IdentifierNode' ? (node as IdentifierNode).name : undefined

/**
 * The column names a query mentions anywhere; `all` when it selects `*` somewhere or contains raw
 * SQL (which may name any column), so derived tables must expose every property.
 */
export class ColumnCollector extends OperationNodeTransformer {
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

/**
 * Walks one query and replaces every model table read — in FROM, JOIN, subqueries, CTEs, EXISTS,
 * UNION — by its scoped derived table (aliased with the table's name or the query's alias); a
 * table that is neither a model nor a CTE visible at that point is refused by name; writes are
 * refused. `#visible` holds the CTE names visible at the node being transformed.
 */
export class ScopeTransformer extends OperationNodeTransformer {
  readonly #relations: Relations
  #visible: ReadonlySet<string> = new Set()

  constructor(relations: Relations) {
    super()
    this.#relations = relations
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
    const model = this.#relations.model(name)
    if (schema === undefined && this.#visible.has(name)) {
      return alias === undefined ? node : AliasNode.create(node, IdentifierNode.create(alias))
    }
    if (!model || (schema !== undefined && schema !== model.schema)) {
      const shown = schema === undefined ? name : `${schema}.${name}`
      refuse(`Table "${shown}" is not one of this scoped query's models`, ['table', shown])
    }
    return AliasNode.create(this.#relations.source(name), IdentifierNode.create(alias ?? name))
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
