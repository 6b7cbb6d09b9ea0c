import type { Scope } from '../scope/scope.js'
import { type Fragment, id, join, q, raw } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import { batch } from '../sql/statement.js'
import { auditInserts, cteAudit, ownerOf } from './audit-rows.js'
import { countOf, LOCK_NOW, oneStatement, STATEMENT_NOW, type WriteKit } from './common.js'
import type { RemoveRequest } from './requests.js'

/**
 * A hard delete of one record (models without soft delete), as a plan: delete the row and record
 * one DELETE audit entry per field (copy_on_change), in one unit. True when a row was deleted.
 */
export function hardDeletePlan(k: WriteKit, scope: Scope, recordId: string, r: RemoveRequest): Plan<boolean> {
  const { ctx, strategy } = k
  const role = ctx.def.roles
  if (k.cte) {
    const where = k.target(scope, 'r', q`CAST(${recordId} AS uuid)`)
    let statement = q`WITH del AS (DELETE FROM ${ctx.main} AS r WHERE ${where} RETURNING ${ctx.select('r')}), ts AS (SELECT ${STATEMENT_NOW} AS v)`
    if (strategy.audited) statement = q`${statement}, ${cteAudit(ctx).deletedAudit(r.actor, r.transactionId)}`
    return oneStatement(k.compile(q`${statement} SELECT count(*) AS n FROM del`), (result) => countOf(result) > 0)
  }
  return plan('transaction', function* (): PlanSteps<boolean> {
    const where = k.target(scope, 'r', recordId)
    const lock = yield k.compile(
      q`SELECT ${ctx.select('r')}, ${LOCK_NOW} AS ff_now FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`,
    )
    const locked = lock.rows[0]
    if (!locked) return false
    // the DELETE and its audit entries, sent together
    const writes = [k.compile(q`DELETE FROM ${ctx.main} WHERE ${id(role.id.column)} = ${recordId}`)]
    if (strategy.audited) {
      const owner = ownerOf(ctx, locked)
      const codec = ctx.dialect.codec
      const entries = ctx.def.userFields.map((field) => ({
        owner,
        field,
        old: codec.decode(field, locked[field.column]),
        new: null,
      }))
      const at = locked.ff_now as Date
      for (const a of auditInserts(ctx, entries, 'DELETE', at, r.actor, r.transactionId)) writes.push(k.compile(a))
    }
    yield batch(writes, true)
    return true
  })
}

/**
 * A purge (hard delete with the record's audit trail or versions), as a plan: lock the row first,
 * then delete the trails and the row under a snapshot taken after the lock, so entries or versions
 * committed by a write this purge waited for are seen (one statement's snapshot predates the lock
 * and would leave them behind). Every write locks the row first, so nothing new can be added once it
 * is locked. Without trails, one DELETE.
 */
export function purgePlan(k: WriteKit, scope: Scope, recordId: string): Plan<boolean> {
  const { ctx, strategy } = k
  const idCol = ctx.def.roles.id.column
  const target = k.cte ? q`CAST(${recordId} AS uuid)` : q`${recordId}`
  const where = k.target(scope, 'r', target)
  if (strategy.trails.length === 0 && k.cte) {
    return oneStatement(k.compile(q`DELETE FROM ${ctx.main} AS r WHERE ${where}`), (r) => r.affectedRows > 0)
  }
  return plan('transaction', function* (): PlanSteps<boolean> {
    const lockColumns = k.cte ? q`1` : q`r.${id(idCol)}`
    const locked = yield k.compile(q`SELECT ${lockColumns} FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`)
    if (locked.rows.length === 0) return false
    const deletes = strategy.trails.map(([table, column]) => q`DELETE FROM ${table} WHERE ${id(column)} = ${target}`)
    const main = q`DELETE FROM ${ctx.main} WHERE ${id(idCol)} = ${target}`
    if (k.cte) {
      // the trails in CTEs of the one DELETE
      const parts: Fragment[] = deletes.map((d, i) => q`${raw(`t${i}`)} AS (${d})`)
      yield k.compile(parts.length > 0 ? q`WITH ${join(parts)} ${main}` : main)
    } else {
      yield batch(
        [...deletes, main].map((d) => k.compile(d)),
        true,
      )
    }
    return true
  })
}
