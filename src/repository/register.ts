import { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import { observed } from './observed.js'
import { Repository, type RepositoryOptions } from './repository.js'
import type { RepositoryFor } from './types.js'

declare module '../db/database.js' {
  interface Database {
    /**
     * A repository for `model` in a tenant scope: `{ tenantId }` (strict) or `{ tenantIds }`
     * (permissive), plus the acting `userId`. Multi-tenant models without a scope throw
     * TenantNotConfiguredError at once. Inside a transaction the repository runs on it.
     *
     * @example
     * const users = db.repository(User, { tenantId: orgId, userId })
     *
     * The type offers the methods of the model's strategy only (see RepositoryFor): no audit trail
     * on a `none` model, no versions on a copy_on_change one.
     */
    repository<M extends Model>(model: M, options?: RepositoryOptions<M>): RepositoryFor<M>
  }
}

// `db/` sits below the repositories and never imports them: the method is added here, once, when
// this module loads (src/index.ts imports it), for databases and transactions alike
Database.prototype.repository = function repository<M extends Model>(
  this: Database,
  model: M,
  options: RepositoryOptions<M> = {},
): RepositoryFor<M> {
  return observed(new Repository(this, model, options), this.runtime.metrics) as RepositoryFor<M>
}
