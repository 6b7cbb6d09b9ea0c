import type { FieldDef } from '../model/define-model.js'
import { arrayLiteral } from '../sql/array-literal.js'
import { Fragment, id, join, type Part, Prepared, q, raw } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import { batch, type StatementResult } from '../sql/statement.js'
import { auditInserts, cteAudit, ownerOf } from './audit-rows.js'
import { ACTOR, LOCK_NOW, oneStatement, STATEMENT_NOW, TXID, type WriteKit } from './common.js'
import type { InsertRequest, InsertResult, Row } from './requests.js'
import { storedRecords } from './stored-records.js'

/** What an insert statement returns: the stored rows, a count, or a count and the operation's timestamp. */
type Returned = 'rows' | 'count' | 'stamp'

type Values = readonly ReadonlyMap<FieldDef, unknown>[]

/**
 * An insert of one or many rows, as a plan: the rows with their generated columns (created/updated
 * at/by, and what the strategy adds), and the audit entries of every field (copy_on_change), in one
 * unit. Many rows that read back exactly as bound are written out instead of sent back.
 */
export function insertPlan(k: WriteKit, request: InsertRequest): Plan<InsertResult> {
  return k.cte ? cteInsert(k, request) : lockingInsert(k, request)
}

/** The generated columns of an insert, `now` the operation's timestamp. */
function generated(k: WriteKit, now: Fragment, actor: Fragment): Map<FieldDef, Fragment> {
  const role = k.ctx.def.roles
  return new Map<FieldDef, Fragment>([
    [role.createdAt, now],
    [role.updatedAt, now],
    [role.createdBy, actor],
    [role.updatedBy, actor],
    ...k.strategy.inserted(now),
  ])
}

/** Engines with RETURNING: one statement (an INSERT, with its audit INSERT in a CTE on copy_on_change). */
function cteInsert(k: WriteKit, request: InsertRequest): Plan<InsertResult> {
  const { ctx } = k
  const returning = request.returning !== false
  const rows = request.rows
  const finish = (result: StatementResult) =>
    returning
      ? { rows: result.rows, count: result.rows.length }
      : { rows: [], count: k.strategy.audited ? Number(result.rows[0]?.n ?? 0) : result.affectedRows }
  if (rows.length === 1) {
    // one row: the statement depends only on which columns are given; compiled once per shape
    const row = rows[0]!
    let key = returning ? '+' : '-'
    for (const f of ctx.columns) key += row.has(f) ? '1' : '0'
    let prepared = k.singleRow.get(key)
    if (!prepared) {
      const provided = ctx.columns.filter((f) => row.has(f))
      const slots = [new Map(provided.map((f) => [f, k.slotOf(f)]))]
      prepared = new Prepared(insertCte(k, provided, slots, ACTOR, TXID, returning ? 'rows' : 'count'), ctx.dialect)
      k.singleRow.set(key, prepared)
    }
    const statement = prepared.bind((slot) =>
      slot === ACTOR ? request.actor : slot === TXID ? request.transactionId : row.get(slot.key as FieldDef),
    )
    return oneStatement(statement, finish)
  }
  // many rows: written out from the inserted values where they read back exactly as bound
  const provided = ctx.columns.filter((f) => rows.some((r) => r.has(f)))
  const stored = returning ? storedRecords(ctx, rows, request.actor) : undefined
  const mode: Returned = stored ? 'stamp' : returning ? 'rows' : 'count'
  const statement = k.compile(insertCte(k, provided, rows, request.actor, request.transactionId, mode))
  return oneStatement(statement, (result) =>
    stored ? { rows: [], records: stored(result.rows[0]!.ts as Date), count: rows.length } : finish(result),
  )
}

/** INSERT of `rows` (values or Slots), with the audit CTE on copy_on_change. */
function insertCte(
  k: WriteKit,
  provided: readonly FieldDef[],
  rows: Values,
  actorValue: unknown,
  transactionId: unknown,
  returning: Returned,
): Fragment {
  const { ctx } = k
  const role = ctx.def.roles
  const gen = generated(k, STATEMENT_NOW, q`${actorValue}`)
  const columns = [...provided, ...gen.keys()]
  const insert = q`INSERT INTO ${ctx.main} (${ctx.columnList(columns)}) ${source(k, provided, gen, rows)}`
  if (!k.strategy.audited) {
    if (returning === 'rows') return q`${insert} RETURNING ${ctx.columnList()}`
    return returning === 'count'
      ? insert
      : q`WITH ins AS (${insert} RETURNING 1) SELECT count(*) AS n, ${STATEMENT_NOW} AS ts FROM ins`
  }
  const { auditValue, auditInsert } = cteAudit(ctx)
  const aud = auditInsert({
    source: 'ins',
    fields: ctx.def.userFields,
    values: (f) => [q`NULL::jsonb`, auditValue('ins', f)],
    operation: 'INSERT',
    changedAt: q`ins.${id(role.createdAt.column)}`,
    actor: q`ins.${id(role.createdBy.column)}`,
    transactionId,
    from: q`ins`,
    onlyChanges: false,
  })
  const final =
    returning === 'rows'
      ? q`SELECT ${ctx.select('ins')} FROM ins`
      : q`SELECT count(*) AS n${returning === 'stamp' ? q`, ${STATEMENT_NOW} AS ts` : q``} FROM ins`
  return q`WITH ins AS (${insert} RETURNING ${ctx.columnList()}), aud AS (${aud}) ${final}`
}

/**
 * The rows to insert. Many rows with the same columns and no array-typed column go through `unnest`
 * of one array per column (a handful of parameters instead of one per value); otherwise VALUES,
 * where each parameter takes its type from its target column.
 */
function source(
  k: WriteKit,
  provided: readonly FieldDef[],
  gen: ReadonlyMap<FieldDef, Fragment>,
  rows: Values,
): Fragment {
  const { ctx } = k
  const uniform = rows.every((r) => provided.every((f) => r.has(f)))
  const arrays = provided.some((f) => ctx.castType(f).endsWith(']'))
  if (rows.length > 1 && uniform && !arrays) {
    // a column with one value in every row (the tenant, say) is bound once, not as an array
    const outputs: Fragment[] = []
    const columns: Fragment[] = []
    const names: string[] = []
    for (const f of provided) {
      const values = rows.map((r) => r.get(f))
      const first = values[0]
      if (typeof first === 'string' && values.every((v) => v === first)) {
        outputs.push(q`CAST(${first} AS ${raw(ctx.castType(f))})`)
      } else {
        names.push(`c${names.length}`)
        columns.push(q`CAST(${arrayLiteral(values)} AS ${raw(`${ctx.castType(f)}[]`)})`)
        outputs.push(raw(`u.${names.at(-1)}`))
      }
    }
    return q`SELECT ${join([...outputs, ...gen.values()])} FROM unnest(${join(columns)}) AS u(${raw(names.join(', '))})`
  }
  const all = [...provided, ...gen.keys()]
  return q`VALUES ${join(rows.map((row) => q`(${join(all.map((f) => gen.get(f) ?? (row.has(f) ? q`${row.get(f)}` : q`DEFAULT`)))})`))}`
}

/**
 * Engines without RETURNING: the INSERT; then, only where needed, the stored rows (written out when
 * they read back as bound, else returned by INSERT … RETURNING or read back by id), and the audit
 * entries of every field (copy_on_change). One statement needs no transaction; otherwise the
 * statements after the INSERT go in the same batch until one needs a result (the audit entries
 * need the stored rows).
 */
function lockingInsert(k: WriteKit, request: InsertRequest): Plan<InsertResult> {
  const { ctx, strategy } = k
  const role = ctx.def.roles
  const idCol = role.id.column
  const stored =
    request.rows.length > 1 && (request.returning !== false || strategy.audited)
      ? storedRecords(ctx, request.rows, request.actor)
      : undefined
  const alone = request.returning === false || (!stored && ctx.dialect.capabilities.insertReturning)
  return plan(alone && !strategy.audited ? 'statement' : 'transaction', function* (): PlanSteps<InsertResult> {
    // NOW(3) is evaluated once per statement: one timestamp for every row of the batch
    const gen = generated(k, LOCK_NOW, q`${request.actor}`)
    const provided = ctx.columns.filter((f) => request.rows.some((r) => r.has(f)))
    const columns = [...provided, ...gen.keys()]
    // the VALUES list as one flat fragment (DEFAULT where a row gives no value): thousands of rows,
    // no fragment per value
    const fixed = columns.map((f) => gen.get(f))
    const parts: Part[] = []
    for (const row of request.rows) {
      parts.push(parts.length === 0 ? '(' : ', (')
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) parts.push(', ')
        const f = columns[i]!
        parts.push(fixed[i] ?? (row.has(f) ? { value: row.get(f) } : 'DEFAULT'))
      }
      parts.push(')')
    }
    const insert = k.compile(q`INSERT INTO ${ctx.main} (${ctx.columnList(columns)}) VALUES ${new Fragment(parts)}`)
    // the audit trail needs the stored values (defaults included): only then are rows read back
    if (request.returning === false && !strategy.audited) {
      return { rows: [], count: (yield insert).affectedRows }
    }
    const ids = request.rows.map((r) => r.get(role.id) as string)
    const last = !strategy.audited
    let records: Row[]
    if (stored) {
      const read = yield batch(
        [
          insert,
          k.compile(q`SELECT ${id(role.createdAt.column)} AS ts FROM ${ctx.main} WHERE ${id(idCol)} = ${ids[0]}`),
        ],
        last,
      )
      records = stored(read.rows[0]!.ts as Date)
    } else {
      let rows: Row[]
      if (ctx.dialect.capabilities.insertReturning) {
        rows = (yield {
          sql: `${insert.sql} RETURNING ${k.compile(ctx.columnList()).sql}`,
          parameters: insert.parameters,
        }).rows
      } else {
        rows = (yield batch(
          [
            insert,
            k.compile(
              q`SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE r.${id(idCol)} IN (${join(ids.map((v) => q`${v}`))})`,
            ),
          ],
          last,
        )).rows
      }
      const byId = new Map(rows.map((r) => [r[idCol] as string, r]))
      records = ids.map((i) => ctx.decode(byId.get(i)!))
    }
    if (strategy.audited) {
      const entries = records.flatMap((record) => {
        const owner = ownerOf(ctx, record, 'name')
        return ctx.def.userFields.map((field) => ({ owner, field, old: null, new: record[field.name] }))
      })
      const at = records[0]![role.createdAt.name] as Date
      const inserts = auditInserts(ctx, entries, 'INSERT', at, request.actor, request.transactionId)
      if (inserts.length > 0)
        yield batch(
          inserts.map((a) => k.compile(a)),
          true,
        )
    }
    return request.returning === false
      ? { rows: [], count: records.length }
      : { rows: [], records, count: records.length }
  })
}
