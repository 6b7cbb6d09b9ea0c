import { sameValue } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { validityOf } from '../model/system-fields.js'
import type { Scope } from '../scope/scope.js'
import { empty, type Fragment, id, join, Prepared, q, raw } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import { batch, type Guarded, type Statement } from '../sql/statement.js'
import { auditInserts, cteAudit, ownerOf } from './audit-rows.js'
import { ACTOR, copyDate, ID, LOCK_NOW, oneStatement, STATEMENT_NOW, TXID, VERSION, type WriteKit } from './common.js'
import { type ChangeRequest, type ChangeResult, NOW, type Row } from './requests.js'

/**
 * One change of one record (update, delete, restore, transfer), as a plan: lock the current row
 * whatever its state (the state is read from the lock, so a delete or restore committing meanwhile is
 * seen by the lock, never by a later read), compare, copy the current version to history (scd2),
 * write the new version, record the audit entries (copy_on_change). Values equal: nothing written.
 */
export function changePlan(k: WriteKit, scope: Scope, r: ChangeRequest): Plan<ChangeResult> {
  if (k.cte) return oneStatement(changeStatement(k, scope, r), ({ rows }) => cteOutcome(rows[0], r))
  const guarded = guardedChange(k, scope, r)
  if (guarded) {
    return plan('transaction', function* () {
      return cteOutcome((yield guarded).rows[0], r)
    })
  }
  return plan('transaction', () => lockingChange(k, scope, r))
}

/** What the change statement answered: the updated row ('c'), or the locked row ('u' in state, 'x' not). */
function cteOutcome(row: Row | undefined, r: ChangeRequest): ChangeResult {
  if (!row) return { state: 'missing' }
  if (row.ff_state === 'c') return { state: 'changed', row }
  // not in the state the change needs: an update of a deleted row finds nothing to update; a restore
  // of a live row leaves it as it is
  if (row.ff_state === 'x' && r.filter === 'live') return { state: 'missing' }
  return { state: 'unchanged', row }
}

/** The change as one statement, compiled once per shape of the change and the scope, bound per call. */
function changeStatement(k: WriteKit, scope: Scope, r: ChangeRequest): Statement {
  let key = `${r.operation}|${r.filter}|${r.expectedVersion !== undefined}|${scope.tenants?.length ?? '-'}|`
  for (const [f, v] of r.set) key += v === NOW ? `${f.name}=now,` : `${f.name},`
  key += '|'
  for (const f of r.audited) key += `${f.name},`
  let prepared = k.changes.get(key)
  if (!prepared) {
    prepared = new Prepared(changeCte(k, scope, r), k.ctx.dialect)
    if (k.changes.size >= 256) k.changes.delete(k.changes.keys().next().value!)
    k.changes.set(key, prepared)
  }
  return prepared.bind((slot) => {
    if (slot === ID) return r.id
    if (slot === ACTOR) return r.actor
    if (slot === TXID) return r.transactionId
    if (slot === VERSION) return r.expectedVersion
    if (typeof slot.key === 'number') return scope.tenants![slot.key]
    return r.set.get(slot.key as FieldDef)
  })
}

/**
 * A data-modifying CTE with Slots for its values: lock the row (`old`), take the operation's
 * timestamp (`ts`), copy the current version to history (scd2), update (`upd`), write the audit
 * entries (copy_on_change). Returns the updated row, or the locked row when nothing was written.
 */
function changeCte(k: WriteKit, scope: Scope, r: ChangeRequest): Fragment {
  const { ctx, strategy } = k
  const role = ctx.def.roles
  const idCol = role.id.column
  const old = (f: FieldDef) => q`old.${id(f.column)}`
  const where = k.target(scope, 'r', ID, scope.tenants?.map((_, i) => k.tenantSlot(i)) ?? [])
  const state = scope.inState('old', r.filter)
  // `col = $n` and `old.col IS DISTINCT FROM $n` take the parameter's type from the column
  const newValue = (f: FieldDef, value: unknown): Fragment => (value === NOW ? q`ts.v` : q`${k.slotOf(f)}`)
  const any =
    r.set.size === 0
      ? q`false`
      : join(
          [...r.set].map(([f, v]) => q`${old(f)} IS DISTINCT FROM ${newValue(f, v)}`),
          ' OR ',
        )
  const conditions = [q`(${any})`]
  if (state !== empty) conditions.push(state)
  if (r.expectedVersion !== undefined) conditions.push(q`${old(validityOf(ctx.def).version)} = ${VERSION}`)
  const differs = join(conditions, ' AND ')
  const sets = [...r.set].map(([f, v]) => q`${id(f.column)} = ${newValue(f, v)}`)
  sets.push(
    q`${id(role.updatedAt.column)} = ts.v`,
    q`${id(role.updatedBy.column)} = ${ACTOR}`,
    ...strategy.versionSets(old, q`ts.v`),
  )
  const parts: Fragment[] = [
    q`old AS (SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE)`,
    q`ts AS (SELECT GREATEST(${STATEMENT_NOW}, ${strategy.floorSql(old)}) AS v FROM old)`,
  ]
  if (strategy.history) parts.push(strategy.history.cte(r.operation, differs))
  parts.push(
    q`upd AS (UPDATE ${ctx.main} AS u SET ${join(sets)} FROM old, ts WHERE u.${id(idCol)} = old.${id(idCol)} AND ${differs} RETURNING ${ctx.select('u')})`,
  )
  if (strategy.audited && r.audited.length > 0) {
    parts.push(cteAudit(ctx).changedAudit(r.audited, r.operation, ACTOR, TXID, q`upd CROSS JOIN old CROSS JOIN ts`))
  }
  const unchanged = state !== empty ? q`CASE WHEN ${state} THEN 'u' ELSE 'x' END` : q`'u'`
  return q`WITH ${join(parts)} SELECT 'c' AS ff_state, ${ctx.select('upd')} FROM upd
      UNION ALL SELECT ${unchanged}, ${ctx.select('old')} FROM old WHERE NOT EXISTS (SELECT 1 FROM upd)`
}

/**
 * The change as one compound statement (engines with `guardedCompound`: MariaDB), where nothing is
 * computed in JS: lock the row, reading its state ('c' to change, 'u' unchanged, 'x' not in the
 * state the change needs) and the change's timestamp into locals; when 'c', copy the version to
 * history (scd2) and update; return the row as stored with its state. Only without audit entries
 * (their old values are JSON written in JS) and where every value set compares in SQL exactly as
 * the model compares it (`readSql.sameValue`); otherwise undefined.
 */
function guardedChange(k: WriteKit, scope: Scope, r: ChangeRequest): Guarded | undefined {
  const { ctx, strategy } = k
  const dialect = ctx.dialect
  if (!dialect.guardedCompound || strategy.audited || r.set.size === 0) return undefined
  const role = ctx.def.roles
  const ts = raw('_ff_ts')
  const floor = q`GREATEST(${LOCK_NOW}, ${strategy.floorSql((f) => q`r.${id(f.column)}`)})`
  const same: Fragment[] = []
  for (const [f, v] of r.set) {
    const test = dialect.readSql.sameValue(f, q`r.${id(f.column)}`, v === NOW ? floor : q`${v}`)
    if (!test) return undefined
    same.push(test)
  }
  const conditions = [q`NOT (${join(same, ' AND ')})`]
  if (r.expectedVersion !== undefined)
    conditions.push(q`r.${id(validityOf(ctx.def).version.column)} = ${r.expectedVersion}`)
  const state = scope.inState('r', r.filter)
  const write = q`CASE WHEN ${join(conditions, ' AND ')} THEN 'c' ELSE 'u' END`
  const decided = state !== empty ? q`CASE WHEN ${state} THEN ${write} ELSE 'x' END` : write
  const set = k.compile(
    q`SELECT ${decided}, ${floor} INTO _ff_state, _ff_ts FROM ${ctx.main} AS r WHERE ${k.target(scope, 'r', r.id)} FOR UPDATE`,
  )
  const sets = [...r.set].map(([f, v]) => q`${id(f.column)} = ${v === NOW ? ts : v}`)
  sets.push(
    q`${id(role.updatedAt.column)} = ${ts}`,
    q`${id(role.updatedBy.column)} = ${r.actor}`,
    ...strategy.versionSets((f) => q`${id(f.column)}`, ts),
  )
  const byId = q`${id(role.id.column)} = ${r.id}`
  const then: Statement[] = []
  if (strategy.history) then.push(k.compile(strategy.history.copy(byId, ts, r.operation)))
  then.push(k.compile(q`UPDATE ${ctx.main} SET ${join(sets)} WHERE ${byId}`))
  const result = k.compile(
    q`SELECT _ff_state AS ff_state, ${ctx.select('r')} FROM ${ctx.main} AS r WHERE _ff_state IS NOT NULL AND r.${byId}`,
  )
  return { locals: LOCALS, set, when: "_ff_state = 'c'", then, result }
}

/** The locals of the guarded change, its state and its timestamp (`_ff_` names: no column has one). */
const LOCALS = [
  ['_ff_state', 'CHAR(1)'],
  ['_ff_ts', 'DATETIME(3)'],
] as const

/**
 * The change as a short transaction: SELECT … FOR UPDATE locks the row and reads the clock; the
 * change is computed from the locked values; then the closed version (scd2), the UPDATE and the
 * audit entries (copy_on_change) are written before COMMIT, as one batch (with compound statements:
 * BEGIN with the lock, COMMIT with the writes — two round trips).
 */
function* lockingChange(k: WriteKit, scope: Scope, r: ChangeRequest): PlanSteps<ChangeResult> {
  const { ctx, strategy } = k
  const s = ctx.def.system
  const role = ctx.def.roles
  const codec = ctx.dialect.codec
  const decoded = (row: Row, f: FieldDef) => codec.decode(f, row[f.column])
  // lock current
  const lock = yield k.compile(
    q`SELECT ${ctx.select('r')}, ${LOCK_NOW} AS ff_now FROM ${ctx.main} AS r WHERE ${k.target(scope, 'r', r.id)} FOR UPDATE`,
  )
  const locked = lock.rows[0]
  if (!locked) return { state: 'missing' }
  // the state the change needs, read from the locked row
  if (s.deletedAt && (locked[s.deletedAt.column] === null) !== (r.filter === 'live')) {
    return r.filter === 'live' ? { state: 'missing' } : { state: 'unchanged', row: locked }
  }
  let ts = locked.ff_now as Date
  const floor = strategy.floorOf(locked)
  if (ts.getTime() < floor) ts = new Date(floor)
  if (r.expectedVersion !== undefined && Number(locked[validityOf(ctx.def).version.column]) !== r.expectedVersion) {
    return { state: 'unchanged', row: locked }
  }
  const changed = [...r.set].filter(([f, v]) => !sameValue(f, decoded(locked, f), v === NOW ? ts : codec.decode(f, v)))
  if (changed.length === 0) return { state: 'unchanged', row: locked }
  // copy to history, write the new version: sent together (nothing between depends on a result)
  const writes: Statement[] = []
  if (strategy.history) {
    writes.push(k.compile(strategy.history.copy(q`${id(role.id.column)} = ${r.id}`, q`${ts}`, r.operation)))
  }
  const version = strategy.versionValues(locked, ts)
  const sets = changed.map(([f, v]) => q`${id(f.column)} = ${v === NOW ? ts : v}`)
  sets.push(q`${id(role.updatedAt.column)} = ${ts}`, q`${id(role.updatedBy.column)} = ${r.actor}`)
  for (const [f, v] of version) sets.push(q`${id(f.column)} = ${v}`)
  writes.push(k.compile(q`UPDATE ${ctx.main} SET ${join(sets)} WHERE ${id(role.id.column)} = ${r.id}`))
  // the locked row with what was set, where every value set reads back exactly as bound; otherwise
  // (a native type, say) the row is read back after the UPDATE, in the same batch
  let row: Row
  if (changed.every(([f]) => ctx.dialect.codec.readsBackAsBound(f))) {
    row = { ...locked }
    delete row.ff_now
    for (const [f, v] of [...changed, ...version])
      row[f.column] = v === NOW ? copyDate(ts) : v instanceof Date ? copyDate(v) : v
    row[role.updatedAt.column] = copyDate(ts)
    row[role.updatedBy.column] = r.actor
  } else {
    writes.push(
      k.compile(q`SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE r.${id(role.id.column)} IN (${r.id})`),
    )
    // the audit entries need the row as stored: they follow in a batch of their own
    row = (yield batch(writes, !strategy.audited)).rows[0]!
    writes.length = 0
  }
  // record the audit entries
  if (strategy.audited) {
    const audited = new Set(r.audited)
    const owner = ownerOf(ctx, row)
    const entries = changed
      .filter(([f]) => audited.has(f))
      .map(([field]) => ({ owner, field, old: decoded(locked, field), new: decoded(row, field) }))
    for (const insert of auditInserts(ctx, entries, r.operation, ts, r.actor, r.transactionId)) {
      writes.push(k.compile(insert))
    }
  }
  if (writes.length > 0) yield batch(writes, true)
  return { state: 'changed', row }
}
