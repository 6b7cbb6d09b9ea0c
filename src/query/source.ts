import { IdentifierNode, type OperationNode, RawNode, ValueNode } from 'kysely'
import type { ModelContext } from '../mapping/model-context.js'
import { and, type Scope } from '../scope/scope.js'
import { type Fragment, id as idPart, join, q } from '../sql/fragment.js'
import { asOfCandidates, versionsAt } from '../temporal/scd2-history.js'
import { Numbering } from './shape.js'

/** One model a scoped query may read: how it is read on this engine and in this scope. */
export interface ScopedTable {
  readonly ctx: ModelContext
  readonly scope: Scope
}

export interface ScopeSettings {
  readonly asOf: Date | undefined
  readonly includeDeleted: boolean
}

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
 * A scoped derived table as the shape cache sees it: `text` is everything but the bound values
 * (the SQL around them and the identifiers), `values` the bound values by parameter position.
 * Two sources with the same text compile to the same SQL; only their values differ.
 */
export interface Source {
  readonly node: RawNode
  readonly text: string
  /** The same number for the same text (a short key for it). */
  readonly textId: number
  readonly values: readonly unknown[]
}

const textIds = new Numbering<string>(false, 10_000)

export function sourceOf(node: RawNode): Source {
  let text = node.sqlFragments[0]!
  const values: unknown[] = []
  node.parameters.forEach((p, i) => {
    if (p.kind === 'ValueNode') {
      text += '\u0000?'
      values.push((p as ValueNode).value)
    } else {
      // identifiers (the only other parameters toRawNode makes) are part of the SQL text
      text += `\u0000${p.kind}:${JSON.stringify(p)}`
      values.push(undefined)
    }
    text += `\u0000${node.sqlFragments[i + 1]!}`
  })
  return { node, text, textId: textIds.of(text), values }
}
