import { Scope } from '../scope/scope.js'
import type { Fragment } from '../sql/fragment.js'
import { type ScopedTable, type ScopeSettings, type Source, scopedSource, sourceOf, toRawNode } from './source.js'

/**
 * Scoped sources whose scope values are bound late: a prepared query compiles the scoped source of
 * each model once per scope form (how many tenants, strict or permissive, asOf or not,
 * includeDeleted) and binds the tenants and the instant of each call into its slots. The SQL still
 * comes from `scopedSource` and the model's `Scope`: only the values are stand-ins, passed where
 * `Scope.tenantPredicate` takes them ("values stand in for the tenants in statements compiled once
 * and bound per call").
 */

/** A value of a late source: the `tenant`-th tenant of the table's scope, or (tenant -1) the asOf instant. */
export class ScopeValue {
  constructor(readonly tenant: number) {}
}

const AS_OF = new ScopeValue(-1)

/** The model's Scope with stand-ins for its tenants in every tenant predicate it writes. */
class StandInScope extends Scope {
  readonly #standIns: readonly ScopeValue[]

  constructor(real: Scope, table: ScopedTable) {
    const tenants = real.tenants
    super(table.ctx.def, !tenants ? {} : real.strict ? { tenantId: tenants[0]! } : { tenantIds: tenants })
    this.#standIns = (tenants ?? []).map((_, k) => new ScopeValue(k))
  }

  override tenantPredicate(alias: string, values?: readonly unknown[]): Fragment {
    return super.tenantPredicate(alias, values ?? this.#standIns)
  }
}

/** What the SQL text of a table's scoped source depends on besides the model and the properties read. */
export const formOf = (table: ScopedTable, settings: ScopeSettings): string =>
  `${table.scope.tenants?.length ?? '-'}${table.scope.strict ? 's' : 'p'}${settings.asOf ? 'a' : ''}${settings.includeDeleted ? 'd' : ''}`

/**
 * The scoped source of `table` in this scope's form with stand-ins for its values, or undefined when
 * a bound value of the source is not a stand-in (then the source is built with each call's values).
 */
export function lateSource(
  table: ScopedTable,
  settings: ScopeSettings,
  wanted: ReadonlySet<string> | undefined,
): Source | undefined {
  const standIn = { ctx: table.ctx, scope: new StandInScope(table.scope, table) }
  const standInSettings = { ...settings, asOf: settings.asOf && (AS_OF as unknown as Date) }
  const source = sourceOf(toRawNode(scopedSource(standIn, standInSettings, wanted)))
  const bound = source.node.parameters.filter((p) => p.kind === 'ValueNode').length
  const late = source.values.filter((v) => v instanceof ScopeValue).length
  return bound === late ? source : undefined
}

/** The value a stand-in stands for in one call's scope. */
export const standsFor = (v: ScopeValue, scope: Scope, settings: ScopeSettings): unknown =>
  v.tenant < 0 ? settings.asOf : scope.tenants![v.tenant]
