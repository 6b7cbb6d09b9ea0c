import type { Expression } from 'kysely'
import { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import { prepareScoped } from './prepared.js'
import { createScoped } from './scoped.js'
import type {
  PreparedScopedQuery,
  ScopedArgExpressions,
  ScopedArgs,
  ScopedOptions,
  ScopedQueryCreator,
  ScopedTables,
} from './types.js'

declare module '../db/database.js' {
  interface Database {
    /**
     * A read-only, typed query builder (Kysely) over `models` in a tenant scope: table names are the
     * models' tables, columns their record properties, rows decoded like records. Every read of a
     * model table (FROM, JOIN, subqueries, CTEs, EXISTS, UNION) sees only the scope's tenants and live
     * rows (unless `includeDeleted`); with `asOf`, scd2 tables as they were then. Other tables are
     * refused (ValidationError). See docs/reports-and-joins.md.
     *
     * @example
     * const r = db.scoped([Customer, Contract], { tenantId: orgId, asOf: lastWeek })
     * const rows = await r.selectFrom('contracts')
     *   .innerJoin('customers', 'customers.id', 'contracts.customerId')
     *   .select(['customers.name', 'contracts.monthlyFee'])
     *   .execute()
     */
    scoped<const Ms extends readonly Model[]>(models: Ms, options?: ScopedOptions): ScopedQueryCreator<ScopedTables<Ms>>

    /**
     * A scoped query over `models`, built and compiled once and executed many times, each time with
     * its own scope and argument values (`args`: a Zod schema per name; the query uses them as
     * `a.name`). Each execution has db.scoped()'s guarantees; unknown tables are refused here, a bad
     * scope or argument at execution, before any SQL. See docs/reports-and-joins.md.
     *
     * @example
     * const byCustomer = db.prepareScoped([Customer, Contract], { customerId: z.uuid() }, (s, a) =>
     *   s.selectFrom('contracts')
     *     .innerJoin('customers', 'customers.id', 'contracts.customerId')
     *     .select(['customers.name', 'contracts.monthlyFee'])
     *     .where('contracts.customerId', '=', a.customerId))
     * const rows = await byCustomer.execute({ tenantId: orgId }, { customerId })
     */
    prepareScoped<const Ms extends readonly Model[], A extends ScopedArgs, O>(
      models: Ms,
      args: A,
      build: (s: ScopedQueryCreator<ScopedTables<Ms>>, a: ScopedArgExpressions<A>) => Expression<O>,
    ): PreparedScopedQuery<A, O>
  }
}

// added from above, like `repository` (src/repository/register.ts): `db/` never imports query/
Database.prototype.scoped = function scoped<const Ms extends readonly Model[]>(
  this: Database,
  models: Ms,
  options: ScopedOptions = {},
): ScopedQueryCreator<ScopedTables<Ms>> {
  return createScoped(this, models, options)
}

Database.prototype.prepareScoped = function <const Ms extends readonly Model[], A extends ScopedArgs, O>(
  this: Database,
  models: Ms,
  args: A,
  build: (s: ScopedQueryCreator<ScopedTables<Ms>>, a: ScopedArgExpressions<A>) => Expression<O>,
): PreparedScopedQuery<A, O> {
  return prepareScoped(this, models, args, build)
}
