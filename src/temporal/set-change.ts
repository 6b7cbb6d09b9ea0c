import { sameValue } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { and, type Scope } from '../scope/scope.js'
import { type Fragment, id, join, q } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import { batch, type Statement } from '../sql/statement.js'
import { type AuditEntry, auditInserts, cteAudit, ownerOf } from './audit-rows.js'
import { countOf, LOCK_NOW, oneStatement, STATEMENT_NOW, type WriteKit } from './common.js'
import { NOW, type RemoveRequest, type Row, type SetChangeRequest } from './requests.js'

/** Rows locked and written per statement on engines without data-modifying CTEs. */
export const SET_BATCH = 500

/** Every row a set write may touch: the caller's filter and the scope's write target (with the state). */
const matched = (scope: Scope, where: readonly Fragment[], state?: 'live' | 'deleted') =>
  and([...where, ...scope.writeTarget('r', state)])

/**
 * A change of every matched record (updateMany, deleteMany and restoreMany on soft-delete models),
 * as a plan: each record changed exactly as its single-record change would change it; records that
 * would not change are left alone. Returns how many changed.
 */
export function changeManyPlan(k: WriteKit, scope: Scope, r: SetChangeRequest): Plan<number> {
  return k.cte ? cteChangeMany(k, scope, r) : plan('transaction', () => lockingChangeMany(k, scope, r))
}

/**
 * One statement: lock the matched rows (in id order), take one timestamp for the operation (never
 * before any matched record's last change), copy the current versions to history (scd2), update the
 * rows that differ, write one audit entry per changed field (copy_on_change), count.
 */
function cteChangeMany(k: WriteKit, scope: Scope, r: SetChangeRequest): Plan<number> {
  const { ctx, strategy } = k
  const role = ctx.def.roles
  const idCol = id(role.id.column)
  const { asActor } = cteAudit(ctx)
  const old = (f: FieldDef) => q`old.${id(f.column)}`
  const newValue = (v: unknown): Fragment => (v === NOW ? q`ts.v` : q`${v}`)
  const differs = join(
    [...r.set].map(([f, v]) => q`${old(f)} IS DISTINCT FROM ${newValue(v)}`),
    ' OR ',
  )
  const sets: Fragment[] = [...r.set].map(([f, v]) => q`${id(f.column)} = ${newValue(v)}`)
  sets.push(
    q`${id(role.updatedAt.column)} = ts.v`,
    q`${id(role.updatedBy.column)} = ${asActor(r.actor)}`,
    ...strategy.versionSets(old, q`ts.v`),
  )
  const parts: Fragment[] = [
    q`old AS (SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE ${matched(scope, r.where, r.filter)} ORDER BY r.${idCol} FOR UPDATE)`,
    // GREATEST ignores NULL: with no row matched, the floor is NULL and nothing is written anyway
    q`ts AS (SELECT GREATEST(${STATEMENT_NOW}, ${strategy.floorSql((f) => q`max(${old(f)})`)}) AS v FROM old)`,
  ]
  if (strategy.history) parts.push(strategy.history.cte(r.operation, differs))
  parts.push(
    q`upd AS (UPDATE ${ctx.main} AS u SET ${join(sets)} FROM old, ts WHERE u.${idCol} = old.${idCol} AND (${differs}) RETURNING ${ctx.select('u')})`,
  )
  if (strategy.audited && r.audited.length > 0) {
    const from = q`upd JOIN old ON old.${idCol} = upd.${idCol} CROSS JOIN ts`
    parts.push(cteAudit(ctx).changedAudit(r.audited, r.operation, r.actor, r.transactionId, from))
  }
  return oneStatement(k.compile(q`WITH ${join(parts)} SELECT count(*) AS n FROM upd`), countOf)
}

/** Lock the next batch of matched rows after `after` (ids ascending), reading the clock. */
function lockBatch(k: WriteKit, where: Fragment, after: unknown) {
  const { ctx } = k
  const idCol = id(ctx.def.roles.id.column)
  return k.compile(
    q`SELECT ${ctx.select('r')}, ${LOCK_NOW} AS ff_now FROM ${ctx.main} AS r WHERE ${where}${after === undefined ? q`` : q` AND r.${idCol} > ${after}`} ORDER BY r.${idCol} LIMIT ${SET_BATCH} FOR UPDATE`,
  )
}

/**
 * One transaction of bounded statements. In batches of SET_BATCH rows (id order, keyset): lock the
 * matched rows, compare in JS, then one INSERT of the closed versions (scd2), one UPDATE of the rows
 * that differ and the INSERTs of their audit entries (copy_on_change).
 */
function* lockingChangeMany(k: WriteKit, scope: Scope, r: SetChangeRequest): PlanSteps<number> {
  const { ctx, strategy } = k
  const role = ctx.def.roles
  const codec = ctx.dialect.codec
  const idCol = id(role.id.column)
  const decoded = (row: Row, f: FieldDef) => codec.decode(f, row[f.column])
  const where = matched(scope, r.where, r.filter)
  const audited = new Set(r.audited)
  let after: unknown
  let total = 0
  let opTs: Date | undefined
  for (;;) {
    const { rows } = yield lockBatch(k, where, after)
    if (rows.length === 0) break
    after = rows.at(-1)![role.id.column]
    // one timestamp for the operation, never before a locked record's last change
    let ts = opTs ?? (rows[0]!.ff_now as Date)
    for (const row of rows) {
      const floor = strategy.floorOf(row)
      if (ts.getTime() < floor) ts = new Date(floor)
    }
    opTs = ts
    const next = new Map([...r.set].map(([f, v]) => [f, v === NOW ? ts : codec.decode(f, v)]))
    const changed = rows
      .map((row) => ({ row, fields: [...r.set.keys()].filter((f) => !sameValue(f, decoded(row, f), next.get(f))) }))
      .filter((c) => c.fields.length > 0)
    if (changed.length > 0) {
      // the batch's closed versions, UPDATE and audit entries, sent together
      const writes: Statement[] = []
      const ids = changed.map(({ row }) => q`${row[role.id.column]}`)
      const changedRows = q`${idCol} IN (${join(ids)})`
      if (strategy.history) writes.push(k.compile(strategy.history.copy(changedRows, q`${ts}`, r.operation)))
      const sets = [...r.set].map(([f, v]) => q`${id(f.column)} = ${v === NOW ? ts : v}`)
      sets.push(
        q`${id(role.updatedAt.column)} = ${ts}`,
        q`${id(role.updatedBy.column)} = ${r.actor}`,
        ...strategy.versionSets((f) => q`${id(f.column)}`, q`${ts}`),
      )
      writes.push(k.compile(q`UPDATE ${ctx.main} SET ${join(sets)} WHERE ${changedRows}`))
      if (strategy.audited) {
        const entries: AuditEntry[] = changed.flatMap(({ row, fields }) =>
          fields
            .filter((f) => audited.has(f))
            .map((field) => ({ owner: ownerOf(ctx, row), field, old: decoded(row, field), new: next.get(field) })),
        )
        for (const a of auditInserts(ctx, entries, r.operation, ts, r.actor, r.transactionId)) writes.push(k.compile(a))
      }
      yield batch(writes, rows.length < SET_BATCH)
      total += changed.length
    }
    if (rows.length < SET_BATCH) break
  }
  return total
}

/**
 * A hard delete of every matched record (deleteMany on models without soft delete), audited on
 * copy_on_change: one statement with RETURNING; elsewhere batches of SET_BATCH locked, deleted and
 * audited rows in one transaction. Returns how many were deleted.
 */
export function deleteManyPlan(k: WriteKit, scope: Scope, where: readonly Fragment[], r: RemoveRequest): Plan<number> {
  const { ctx, strategy } = k
  const idCol = id(ctx.def.roles.id.column)
  const condition = matched(scope, where)
  if (k.cte) {
    const parts = [
      q`old AS (SELECT r.${idCol} FROM ${ctx.main} AS r WHERE ${condition} ORDER BY r.${idCol} FOR UPDATE)`,
      q`del AS (DELETE FROM ${ctx.main} AS d USING old WHERE d.${idCol} = old.${idCol} RETURNING ${ctx.select('d')})`,
      q`ts AS (SELECT ${STATEMENT_NOW} AS v)`,
    ]
    if (strategy.audited) parts.push(cteAudit(ctx).deletedAudit(r.actor, r.transactionId))
    return oneStatement(k.compile(q`WITH ${join(parts)} SELECT count(*) AS n FROM del`), countOf)
  }
  const codec = ctx.dialect.codec
  return plan('transaction', function* (): PlanSteps<number> {
    let total = 0
    // one timestamp for the whole operation, read by the first batch's lock
    let opTs: Date | undefined
    for (;;) {
      // deleted rows no longer match: every batch starts from the beginning
      const { rows } = yield lockBatch(k, condition, undefined)
      if (rows.length === 0) break
      opTs ??= rows[0]!.ff_now as Date
      const ids = rows.map((row) => q`${row[ctx.def.roles.id.column]}`)
      const writes = [k.compile(q`DELETE FROM ${ctx.main} WHERE ${idCol} IN (${join(ids)})`)]
      if (strategy.audited) {
        const entries = rows.flatMap((row) =>
          ctx.def.userFields.map((field) => ({
            owner: ownerOf(ctx, row),
            field,
            old: codec.decode(field, row[field.column]),
            new: null,
          })),
        )
        for (const a of auditInserts(ctx, entries, 'DELETE', opTs, r.actor, r.transactionId)) {
          writes.push(k.compile(a))
        }
      }
      yield batch(writes, rows.length < SET_BATCH)
      total += rows.length
      if (rows.length < SET_BATCH) break
    }
    return total
  })
}
