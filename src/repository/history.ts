import { execute } from '../db/executor.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import type { ModelActorId, ModelKey, ModelPatch, ModelRecord } from '../model/types.js'
import { fieldTrailPlan, recordTrailPlan, stateAtPlan, userChangesPlan } from '../temporal/copy-on-change-history.js'
import { comparePlan, timeline, versionsPlan } from '../temporal/scd2-history.js'
import { CHANGES_OPTIONS, readOptions, STATE_OPTIONS } from './input.js'
import { get, type ReadContext, requireStrategy } from './reads.js'
import { requireDate, requireId, requireUuid } from './records.js'
import type {
  FieldAuditEntry,
  ModelAuditEntry,
  UpdateOptions,
  VersionComparison,
  VersionTimelineEntry,
} from './types.js'

/**
 * History reads of the repository: the audit trail and replay of copy_on_change models, the
 * versions of scd2 models. Each call is checked (strategy, ids, options) before its plan is built.
 */

// ─── copy_on_change ─────────────────────────────────────────────────────────────────────────────

/** Every audit entry of a record, in the order the changes were applied. */
export function auditHistory<M extends Model>(r: ReadContext, recordId: string): Promise<ModelAuditEntry<M>[]> {
  requireStrategy(r.ctx.def, 'copy_on_change', 'getAuditHistory')
  recordId = requireUuid(recordId, 'id')
  return execute(r.db, recordTrailPlan(r.ctx, r.scope, recordId)) as Promise<ModelAuditEntry<M>[]>
}

/** The audit entries of one field of a record. */
export function fieldHistory<M extends Model, K extends ModelKey<M>>(
  r: ReadContext,
  recordId: string,
  field: K,
): Promise<FieldAuditEntry<M, K>[]> {
  const def = r.ctx.def
  requireStrategy(def, 'copy_on_change', 'getFieldHistory')
  recordId = requireUuid(recordId, 'id')
  const f = def.byName.get(field)
  if (!f || (f.system && f.system !== 'tenant' && f.system !== 'deletedAt')) {
    throw new ValidationError('Invalid field', [
      { code: 'custom', message: `"${String(field)}" is not an audited field`, path: ['field'] },
    ])
  }
  return execute(r.db, fieldTrailPlan(r.ctx, r.scope, recordId, f)) as Promise<FieldAuditEntry<M, K>[]>
}

/** What one user changed, oldest first, optionally within [from, to]. */
export function changesByUser<M extends Model>(
  r: ReadContext,
  userId: ModelActorId<M>,
  options: { from?: Date; to?: Date; limit?: number } = {},
): Promise<ModelAuditEntry<M>[]> {
  const def = r.ctx.def
  requireStrategy(def, 'copy_on_change', 'getChangesByUser')
  const actor = requireId(def.actorIdType, userId, 'userId')
  const o = readOptions(options, CHANGES_OPTIONS) as typeof options
  const range = { from: o.from, to: o.to, limit: o.limit ?? 1_000 }
  return execute(r.db, userChangesPlan(r.ctx, r.scope, actor, range)) as Promise<ModelAuditEntry<M>[]>
}

/** The record as it was at `at`, rebuilt from its audit trail (see stateAtPlan). */
export function stateAt<M extends Model>(
  r: ReadContext,
  recordId: string,
  at: Date,
  options: { includeDeleted?: boolean } = {},
): Promise<ModelRecord<M> | null> {
  requireStrategy(r.ctx.def, 'copy_on_change', 'getStateAt')
  recordId = requireUuid(recordId, 'id')
  const when = requireDate(at, 'at')
  const o = readOptions(options, STATE_OPTIONS) as typeof options
  const p = stateAtPlan(r.ctx, r.scope, recordId, when, o.includeDeleted === true)
  return execute(r.db, p) as Promise<ModelRecord<M> | null>
}

// ─── scd2 ───────────────────────────────────────────────────────────────────────────────────────

function requireVersion(version: unknown): number {
  if (!Number.isSafeInteger(version)) {
    throw new ValidationError('Invalid version', [
      { code: 'custom', message: 'version must be an integer', path: ['version'] },
    ])
  }
  return version as number
}

function versions(r: ReadContext, recordId: string, list?: readonly number[]) {
  requireStrategy(r.ctx.def, 'scd2', 'version history')
  return execute(r.db, versionsPlan(r.ctx, r.scope, requireUuid(recordId, 'id'), list))
}

/** Every version of a record, version ascending (deleted versions included). */
export function versionHistory<M extends Model>(r: ReadContext, recordId: string): Promise<ModelRecord<M>[]> {
  return versions(r, recordId) as Promise<ModelRecord<M>[]>
}

/** One version, or null. */
export async function version<M extends Model>(
  r: ReadContext,
  recordId: string,
  n: number,
): Promise<ModelRecord<M> | null> {
  const [found] = await versions(r, recordId, [requireVersion(n)])
  return (found as ModelRecord<M> | undefined) ?? null
}

/** The current version (also when it is a deleted one), or null. */
export function currentVersion<M extends Model>(r: ReadContext, recordId: string): Promise<ModelRecord<M> | null> {
  requireStrategy(r.ctx.def, 'scd2', 'getCurrentVersion')
  return get<M>(r, recordId, { includeDeleted: true })
}

export async function versionCount(r: ReadContext, recordId: string): Promise<number> {
  return (await versions(r, recordId)).length
}

export async function versionTimeline(r: ReadContext, recordId: string): Promise<VersionTimelineEntry[]> {
  return timeline(r.ctx, await versions(r, recordId))
}

/** Field by field: the values in two versions and whether they differ. NotFoundError if either is missing. */
export async function compareVersions<M extends Model>(
  r: ReadContext,
  recordId: string,
  from: number,
  to: number,
): Promise<VersionComparison<M>> {
  requireVersion(from)
  requireVersion(to)
  requireStrategy(r.ctx.def, 'scd2', 'version history')
  recordId = requireUuid(recordId, 'id')
  const compared = await execute(r.db, comparePlan(r.ctx, r.scope, recordId, from, to))
  if ('missing' in compared)
    throw new NotFoundError(`${r.ctx.def.table} ${recordId} has no version ${compared.missing}`)
  return compared.comparison as VersionComparison<M>
}

/** A new version whose data equals `version`'s, written by `update`. */
export async function revertTo<M extends Model>(
  r: ReadContext,
  recordId: string,
  n: number,
  options: UpdateOptions,
  update: (id: string, patch: ModelPatch<M>, options: UpdateOptions) => Promise<ModelRecord<M>>,
): Promise<ModelRecord<M>> {
  const old = await version<M>(r, recordId, n)
  if (!old) throw new NotFoundError(`${r.ctx.def.table} ${recordId} has no version ${n}`)
  const patch: Record<string, unknown> = {}
  // a field the version does not hold (unset then, or added since) is cleared: null, not "not given"
  for (const f of r.ctx.def.userFields)
    patch[f.name] = (old as Record<string, unknown>)[f.name] ?? (f.nullable ? null : undefined)
  return update(recordId, patch as ModelPatch<M>, options)
}
