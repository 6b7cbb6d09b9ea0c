import type { ModelContext } from '../mapping/model-context.js'
import { AUDIT_COLUMNS } from '../schema/from-models.js'
import { none } from './none.js'
import type { Strategy } from './strategy.js'

/**
 * temporal: 'copy_on_change' — the row changes in place as with 'none', and in the same unit every
 * write records one audit entry per field it changed (old and new value, operation, time, actor,
 * transaction): all fields on insert and hard delete, the changed ones on a change. Purge removes
 * the record's audit trail with it.
 */
export function copyOnChange(ctx: ModelContext): Strategy {
  return { ...none(ctx), audited: true, trails: [[ctx.audit, AUDIT_COLUMNS.recordId]] }
}
