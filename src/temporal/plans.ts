import type { ModelContext } from '../mapping/model-context.js'
import type { Scope } from '../scope/scope.js'
import type { Fragment } from '../sql/fragment.js'
import type { Plan } from '../sql/plan.js'
import { changePlan } from './change.js'
import { kitFor } from './common.js'
import { insertPlan } from './insert.js'
import { hardDeletePlan, purgePlan } from './remove.js'
import type {
  ChangeRequest,
  ChangeResult,
  InsertRequest,
  InsertResult,
  RemoveRequest,
  SetChangeRequest,
} from './requests.js'
import { changeManyPlan, deleteManyPlan } from './set-change.js'

/**
 * The write operations of one model on one engine, each a plan (statements and how to read their
 * results; `db/executor.ts` runs them). The model's strategy decides what each writes besides the row.
 */
export interface WritePlans {
  insert(request: InsertRequest): Plan<InsertResult>
  change(scope: Scope, request: ChangeRequest): Plan<ChangeResult>
  hardDelete(scope: Scope, id: string, request: RemoveRequest): Plan<boolean>
  purge(scope: Scope, id: string): Plan<boolean>
  changeMany(scope: Scope, request: SetChangeRequest): Plan<number>
  deleteMany(scope: Scope, where: readonly Fragment[], request: RemoveRequest): Plan<number>
}

const cache = new WeakMap<ModelContext, WritePlans>()

export function writePlans(ctx: ModelContext): WritePlans {
  let plans = cache.get(ctx)
  if (!plans) {
    const k = kitFor(ctx)
    plans = {
      insert: (request) => insertPlan(k, request),
      change: (scope, request) => changePlan(k, scope, request),
      hardDelete: (scope, id, request) => hardDeletePlan(k, scope, id, request),
      purge: (scope, id) => purgePlan(k, scope, id),
      changeMany: (scope, request) => changeManyPlan(k, scope, request),
      deleteMany: (scope, where, request) => deleteManyPlan(k, scope, where, request),
    }
    cache.set(ctx, plans)
  }
  return plans
}
