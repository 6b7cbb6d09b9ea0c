import { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import { createScoped } from './scoped.js'
import type { ScopedOptions, ScopedQueryCreator, ScopedTables } from './types.js'

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
