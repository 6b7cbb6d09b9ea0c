import type { Expression, QueryCreator } from 'kysely'
import type { z } from 'zod'
import type { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import type { ModelRecord } from '../model/types.js'

/** The table name a model was declared with (its literal type). */
export type TableOf<M> = M extends Model<infer C> ? C['table'] : never

/** The tables a scoped query sees: each model's table, with the model's record as its row. */
export type ScopedTables<Ms extends readonly Model[]> = { [M in Ms[number] as TableOf<M>]: ModelRecord<M> }

/** The row type of a CTE body. */
type CteRow<E> = E extends (creator: never) => infer Q ? (Q extends Expression<infer O> ? O : never) : never

/** `'tree(id, parentId)'` ⇒ `'tree'`. */
type CteName<N extends string> = N extends `${infer T}(${string})` ? T : N
type CteColumnNames<L extends string> = L extends `${infer C}, ${infer R}` ? C | CteColumnNames<R> : L
/** The columns a recursive CTE's name lists, as its own body sees them (their types come from the body). */
type CteColumns<N extends string> = N extends `${string}(${infer L})` ? { [C in CteColumnNames<L>]: unknown } : never

/** What `db.scoped(...)` takes besides the models. */
export interface ScopedOptions {
  /** Strict scope: one tenant. */
  readonly tenantId?: string
  /** Permissive scope: any of these tenants. */
  readonly tenantIds?: readonly string[]
  /** Read scd2 tables as they were at this instant (other tables as they are). */
  readonly asOf?: Date
  /** Include soft-deleted rows (default: live rows only). */
  readonly includeDeleted?: boolean
}

/**
 * A read-only Kysely query creator over scoped models: `selectFrom` and `with` only (no insert,
 * update, delete or merge; those are also refused at run time). Every model table a query reads is
 * restricted to the scope; columns are record property names.
 *
 * @example
 * const r = db.scoped([Customer, Contract], { tenantId: orgId })
 * const rows = await r.selectFrom('contracts')
 *   .innerJoin('customers', 'customers.id', 'contracts.customerId')
 *   .select(['customers.name', 'contracts.monthlyFee'])
 *   .execute()
 */
export interface ScopedQueryCreator<DB> {
  readonly selectFrom: QueryCreator<DB>['selectFrom']
  readonly selectNoFrom: QueryCreator<DB>['selectNoFrom']
  /** A common table expression; its body is scoped like the main query. */
  with<N extends string, E extends (creator: ScopedQueryCreator<DB>) => Expression<unknown>>(
    name: N,
    expression: E,
  ): ScopedQueryCreator<DB & { [K in N]: CteRow<E> }>
  /**
   * A recursive common table expression, named with its columns (`'tree(id, parentId)'`): its body
   * may read itself; every model table it reads is scoped like the main query.
   */
  withRecursive<
    N extends `${string}(${string})`,
    E extends (creator: ScopedQueryCreator<DB & { [K in CteName<N>]: CteColumns<N> }>) => Expression<unknown>,
  >(name: N, expression: E): ScopedQueryCreator<DB & { [K in CteName<N>]: CteRow<E> }>
}

/** The arguments of a prepared scoped query: a Zod schema per name, checked at every execution. */
export type ScopedArgs = Readonly<Record<string, z.ZodType>>

/** The arguments as the query is built with them: one typed expression per name, bound at each execution. */
export type ScopedArgExpressions<A extends ScopedArgs> = { readonly [K in keyof A]: Expression<z.output<A[K]>> }

/** The argument values one execution passes, by name. */
export type ScopedArgValues<A extends ScopedArgs> = { readonly [K in keyof A]: z.input<A[K]> }

/**
 * A scoped query built and compiled once (`db.prepareScoped`), executed many times with a scope and
 * argument values of its own each time: the tenant changes per request, the query's shape does not.
 * Every execution has the guarantees of `db.scoped(models, scope)`: the scope is checked like
 * db.scoped's options, each model table is read through the same scoped source, values are bound.
 *
 * @example
 * const byCustomer = db.prepareScoped([Customer, Contract], { customerId: z.uuid() }, (s, a) =>
 *   s.selectFrom('contracts')
 *     .innerJoin('customers', 'customers.id', 'contracts.customerId')
 *     .select(['customers.name', 'contracts.monthlyFee'])
 *     .where('contracts.customerId', '=', a.customerId))
 * const rows = await byCustomer.execute({ tenantId: orgId }, { customerId })
 */
export interface PreparedScopedQuery<A extends ScopedArgs, O> {
  /**
   * Run the query in `scope` (as db.scoped's options: tenantId or tenantIds, asOf, includeDeleted)
   * with these argument values; rows decoded like db.scoped's. A bad scope or argument is a typed
   * error before any SQL is sent.
   */
  execute(
    scope: ScopedOptions,
    ...args: keyof A extends never ? [args?: Readonly<Record<string, never>>] : [args: ScopedArgValues<A>]
  ): Promise<O[]>
  /** The same prepared query running on `db` (a transaction's `tx`, on the same engine). */
  on(db: Database): PreparedScopedQuery<A, O>
}
