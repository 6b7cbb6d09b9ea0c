import type { ModelContext } from '../mapping/model-context.js'
import { fromAuditJson } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { AUDIT_COLUMNS as A } from '../schema/from-models.js'
import { and, type Scope } from '../scope/scope.js'
import { compile, type Fragment, id, join, q } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import type { Statement } from '../sql/statement.js'
import type { AuditOperation } from './requests.js'

/**
 * copy_on_change reads as plans: the audit trail (of a record, of one field, of one user) and the
 * state of a record at an instant, replayed from its trail. Pure: plans only, no I/O.
 */

/** One audit entry, values decoded to their fields' types. */
export interface Entry {
  readonly auditId: number
  readonly recordId: string
  readonly tenantId: unknown
  readonly fieldName: string | null
  readonly oldValue: unknown
  readonly newValue: unknown
  readonly operation: AuditOperation
  readonly changedAt: Date
  readonly changedBy: unknown
  readonly transactionId: string
}

type Row = Record<string, unknown>

const JSON_COLUMNS = new Set<string>([A.oldValue, A.newValue])

/**
 * Audit entries matching `predicates` (alias a), in the order the changes were applied, within the
 * scope's tenants unless `scoped` is false.
 */
export function auditPlan(
  ctx: ModelContext,
  scope: Scope,
  predicates: readonly Fragment[],
  options: { readonly limit?: number; readonly scoped?: boolean } = {},
): Plan<Entry[]> {
  const scoped = options.scoped !== false ? [scope.tenantPredicate('a')] : []
  const where = and([...predicates, ...scoped].filter((p) => p.parts.length > 0))
  // JSON values as text on every engine, parsed in decodeEntry: one decoding path
  const column = (c: string) =>
    JSON_COLUMNS.has(c) ? q`${ctx.dialect.readSql.jsonText(q`a.${id(c)}`)} AS ${id(c)}` : q`a.${id(c)}`
  const limit = options.limit !== undefined ? q` LIMIT ${options.limit}` : q``
  const statement = compile(
    q`SELECT a.${id(A.auditId)}, ${join(ctx.auditColumns.map(column))} FROM ${ctx.audit} AS a WHERE ${where} ORDER BY a.${id(A.auditId)}${limit}`,
    ctx.dialect,
  )
  return plan('read', () => readEntries(ctx, statement))
}

// module-level generator functions (see repository/reads.ts: a generator closure per call is slow)
function* readEntries(ctx: ModelContext, statement: Statement): PlanSteps<Entry[]> {
  const { rows } = yield statement
  return rows.map((r) => decodeEntry(ctx, r))
}

function decodeEntry(ctx: ModelContext, r: Row): Entry {
  const def = ctx.def
  const tenant = def.system.tenant
  const field = typeof r[A.fieldName] === 'string' ? def.byName.get(r[A.fieldName] as string) : undefined
  const decode = (v: unknown) => fromAuditJson(field, typeof v === 'string' ? JSON.parse(v) : null)
  const codec = ctx.dialect.codec
  return {
    auditId: Number(r[A.auditId]),
    recordId: r[A.recordId] as string,
    tenantId: tenant ? codec.decode(tenant, r[tenant.column]) : null,
    fieldName: (r[A.fieldName] as string | null) ?? null,
    oldValue: decode(r[A.oldValue]),
    newValue: decode(r[A.newValue]),
    operation: r[A.operation] as AuditOperation,
    changedAt: r[A.changedAt] as Date,
    changedBy: codec.decode(def.roles.createdBy, r[A.changedBy]) ?? null,
    transactionId: r[A.transactionId] as string,
  }
}

/** Every audit entry of a record in scope. */
export function recordTrailPlan(ctx: ModelContext, scope: Scope, recordId: string): Plan<Entry[]> {
  return auditPlan(ctx, scope, [q`a.${id(A.recordId)} = ${recordId}`])
}

/** The audit entries of one field of a record in scope. */
export function fieldTrailPlan(ctx: ModelContext, scope: Scope, recordId: string, field: FieldDef): Plan<Entry[]> {
  return auditPlan(ctx, scope, [q`a.${id(A.recordId)} = ${recordId}`, q`a.${id(A.fieldName)} = ${field.name}`])
}

/** What one user changed in scope, oldest first, within [from, to] where given, at most `limit` entries. */
export function userChangesPlan(
  ctx: ModelContext,
  scope: Scope,
  userId: unknown,
  range: { readonly from?: Date | undefined; readonly to?: Date | undefined; readonly limit: number },
): Plan<Entry[]> {
  const predicates = [q`a.${id(A.changedBy)} = ${userId}`]
  if (range.from !== undefined) predicates.push(q`a.${id(A.changedAt)} >= ${range.from}`)
  if (range.to !== undefined) predicates.push(q`a.${id(A.changedAt)} <= ${range.to}`)
  return auditPlan(ctx, scope, predicates, { limit: range.limit })
}

/**
 * The record as it was at `at`, rebuilt from its audit trail; null before creation or after removal,
 * and null unless the record belonged to one of the scope's tenants at `at` — the same rule as
 * `get`, and as `asOf` reads of scd2 models: a record transferred away is the new owner's from the
 * transfer on (its whole state then, as `get` shows it), and the old owner's before.
 */
export function stateAtPlan(
  ctx: ModelContext,
  scope: Scope,
  recordId: string,
  at: Date,
  includeDeleted: boolean,
): Plan<Record<string, unknown> | null> {
  // the whole trail (a transfer moves a record's history with it); the owner at `at` decides below
  const trail = auditPlan(ctx, scope, [q`a.${id(A.recordId)} = ${recordId}`, q`a.${id(A.changedAt)} <= ${at}`], {
    scoped: false,
  })
  return plan('read', () => replayed(ctx, scope, trail, includeDeleted))
}

function* replayed(
  ctx: ModelContext,
  scope: Scope,
  trail: Plan<Entry[]>,
  includeDeleted: boolean,
): PlanSteps<Record<string, unknown> | null> {
  const state = replayTrail(ctx, yield* trail.steps())
  const s = ctx.def.system
  if (!state) return null
  if (s.tenant && !scope.includes(state[s.tenant.name])) return null
  if (s.deletedAt && state[s.deletedAt.name] && !includeDeleted) return null
  const ordered: Record<string, unknown> = {}
  for (const f of ctx.def.fields) ordered[f.name] = state[f.name]
  return ordered
}

/** The state an audit trail (oldest first) leaves a record in; null before creation or after a hard delete. */
export function replayTrail(ctx: ModelContext, entries: readonly Entry[]): Record<string, unknown> | null {
  const def = ctx.def
  const s = def.system
  const role = def.roles
  let state: Record<string, unknown> | null = null
  for (const e of entries) {
    if (e.operation === 'INSERT') {
      if (!state) {
        state = { id: e.recordId }
        if (s.tenant) state[s.tenant.name] = e.tenantId
        for (const f of def.userFields) state[f.name] = f.acceptsNull ? null : undefined
        state[role.createdAt.name] = e.changedAt
        state[role.createdBy.name] = e.changedBy
        const soft = def.roles.softDelete
        if (soft) {
          state[soft.at.name] = null
          state[soft.by.name] = null
        }
      }
    } else if (!state) {
      continue
    }
    if (e.operation === 'DELETE' && !s.deletedAt) {
      state = null
      continue
    }
    if (e.fieldName !== null) {
      const f = def.byName.get(e.fieldName)
      if (f) state[f.name] = e.newValue === null && !f.acceptsNull ? undefined : e.newValue
    }
    if (e.operation === 'DELETE' && s.deletedBy) state[s.deletedBy.name] = e.changedBy
    if (e.operation === 'RESTORE' && s.deletedBy) state[s.deletedBy.name] = null
    state[role.updatedAt.name] = e.changedAt
    state[role.updatedBy.name] = e.changedBy
  }
  return state
}
