import type { AliasNode, IdentifierNode, OperationNode, SelectionNode, SelectQueryNode, TableNode } from 'kysely'
import type { FieldDef, ModelDef } from '../model/define-model.js'
import { nameOf } from './transform.js'

interface Reference {
  readonly table?: string
  readonly column?: string
  readonly all?: boolean
}

const columnName = (n: OperationNode) => (n as unknown as { column: IdentifierNode }).column.name

/** A selected expression as a column reference (`t.c`, `c`, `t.*`, `*`), or undefined for other expressions. */
function reference(n: OperationNode): Reference | undefined {
  if (n.kind === 'ColumnNode') return { column: columnName(n) }
  if (n.kind === 'SelectAllNode') return { all: true }
  if (n.kind !== 'ReferenceNode') return undefined
  const r = n as unknown as { table?: TableNode; column: OperationNode }
  const table = r.table?.table.identifier.name
  if (r.column.kind === 'SelectAllNode') return { ...(table !== undefined && { table }), all: true }
  return { ...(table !== undefined && { table }), column: columnName(r.column) }
}

/**
 * The output columns of a query that are record properties, with their fields, so rows decode like
 * records: `contracts.monthlyFee`, `c.monthlyFee as fee`, `selectAll()`, `selectAll('contracts')`, and
 * bare names that exactly one model of the FROM/JOIN list has. Expressions are left as the driver gives them.
 */
export function outputFields(
  node: SelectQueryNode,
  model: (table: string) => ModelDef | undefined,
): Map<string, FieldDef> {
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
    const m = model(name)
    if (m) relations.set(alias ?? name, m)
  }
  for (const f of node.from?.froms ?? []) add(f)
  for (const j of node.joins ?? []) add(j.table)
  const out = new Map<string, FieldDef>()
  const field = (table: string | undefined, column: string): FieldDef | undefined => {
    if (table !== undefined) return relations.get(table)?.byName.get(column)
    const found = [...relations.values()].map((m) => m.byName.get(column)).filter((f) => f !== undefined)
    return found.length === 1 ? found[0] : undefined
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
