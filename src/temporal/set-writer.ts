import type { Database } from '../db/database.js'
import type { ModelContext } from '../mapping/model-context.js'
import { decodeValue, encodeValue, sameValue } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { CLOSED_BY } from '../schema/from-models.js'
import { and, type Id, type Scope } from '../scope/scope.js'
import { compile, type Fragment, id, join, q, raw } from '../sql/fragment.js'
import { cteAudit } from './cte-writer.js'
import { insertAudit, type Owner } from './tx-writer.js'
import { type AuditOperation, NOW } from './writer.js'

type Row = Record<string, unknown>

/**
 * A change to every row a filter matches: what updateMany, deleteMany and restoreMany send. Each
 * matched record is changed exactly as its single-record form would change it (same columns, same
 * audit entries, one new version per changed scd2 record); rows that would not change are left alone.
 */
export interface SetChangeRequest {
  /** The caller's filter, compiled on alias `r` (scope and state are added here). */
  readonly where: readonly Fragment[]
  readonly filter: 'live' | 'deleted'
  readonly set: ReadonlyMap<FieldDef, unknown>
  readonly operation: Exclude<AuditOperation, 'INSERT' | 'TRANSFER'>
  readonly audited: readonly FieldDef[]
  readonly actor: Id | null
  readonly transactionId: string
}

export interface SetWriter {
  /** How many records changed. */
  changeMany(db: Database, scope: Scope, request: SetChangeRequest): Promise<number>
  /** Hard delete (models without soft delete): how many rows were removed, audited on copy_on_change. */
  deleteMany(db: Database, scope: Scope, where: readonly Fragment[], actor: Id | null, txid: string): Promise<number>
}

/** Rows locked and written per statement on engines without data-modifying CTEs. */
export const SET_BATCH = 500

const TS = raw(`date_trunc('milliseconds', statement_timestamp())`)

/** Every row the set write may touch: the caller's filter, the scope, and the state the change needs. */
function matched(ctx: ModelContext, scope: Scope, where: readonly Fragment[], filter?: 'live' | 'deleted'): Fragment {
  const deletedAt = ctx.def.system.deletedAt
  const state =
    deletedAt && filter
      ? [filter === 'live' ? q`r.${id(deletedAt.column)} IS NULL` : q`r.${id(deletedAt.column)} IS NOT NULL`]
      : []
  return and([...where, ...scope.read('r', true), ...state])
}

/**
 * PostgreSQL: one statement. Lock the matched rows (in id order), take one timestamp for the
 * operation (never before any matched record's last change), write the closed versions (scd2), update
 * the rows that differ, write one audit entry per changed field (copy_on_change), count.
 */
export function cteSetWriter(ctx: ModelContext): SetWriter {
  const { def } = ctx
  const s = def.system
  const coc = def.temporal === 'copy_on_change'
  const scd2 = def.temporal === 'scd2'
  const idCol = id(s.id!.column)
  const { auditValue, auditInsert, asActor } = cteAudit(ctx)
  const run = (db: Database, f: Fragment) => db.runAtomic(compile(f, ctx.dialect))

  return {
    async changeMany(db, scope, r) {
      const newValue = (v: unknown): Fragment => (v === NOW ? q`ts.v` : q`${v}`)
      const differs = join(
        [...r.set].map(([f, v]) => q`old.${id(f.column)} IS DISTINCT FROM ${newValue(v)}`),
        ' OR ',
      )
      const floor = scd2
        ? q`max(old.${id(s.validFrom!.column)}) + interval '1 millisecond'`
        : q`max(old.${id(s.updatedAt!.column)})`
      const sets: Fragment[] = [...r.set].map(([f, v]) => q`${id(f.column)} = ${newValue(v)}`)
      sets.push(q`${id(s.updatedAt!.column)} = ts.v`, q`${id(s.updatedBy!.column)} = ${asActor(r.actor)}`)
      if (scd2) {
        sets.push(q`${id(s.version!.column)} = old.${id(s.version!.column)} + 1`, q`${id(s.validFrom!.column)} = ts.v`)
      }
      const parts: Fragment[] = [
        q`old AS (SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE ${matched(ctx, scope, r.where, r.filter)} ORDER BY r.${idCol} FOR UPDATE)`,
        // GREATEST ignores NULL: with no row matched, the floor is NULL and nothing is written anyway
        q`ts AS (SELECT GREATEST(${TS}, ${floor}) AS v FROM old)`,
      ]
      if (scd2) {
        const validTo = s.validTo!
        parts.push(
          q`hist AS (INSERT INTO ${ctx.history} (${ctx.columnList()}, ${id(CLOSED_BY)}) SELECT ${join(ctx.columns.map((f) => (f === validTo ? q`ts.v` : q`old.${id(f.column)}`)))}, ${raw(`'${r.operation}'`)} FROM old, ts WHERE ${differs})`,
        )
      }
      parts.push(
        q`upd AS (UPDATE ${ctx.main} AS u SET ${join(sets)} FROM old, ts WHERE u.${idCol} = old.${idCol} AND (${differs}) RETURNING ${ctx.select('u')})`,
      )
      if (coc && r.audited.length > 0) {
        parts.push(
          q`aud AS (${auditInsert('upd', r.audited, (f) => [auditValue('old', f), auditValue('upd', f)], r.operation, q`ts.v`, asActor(r.actor), r.transactionId, q`upd JOIN old ON old.${idCol} = upd.${idCol} CROSS JOIN ts`, true)})`,
        )
      }
      const { rows } = await run(db, q`WITH ${join(parts)} SELECT count(*) AS n FROM upd`)
      return Number(rows[0]?.n ?? 0)
    },

    async deleteMany(db, scope, where, actor, txid) {
      const parts = [
        q`old AS (SELECT r.${idCol} FROM ${ctx.main} AS r WHERE ${matched(ctx, scope, where)} ORDER BY r.${idCol} FOR UPDATE)`,
        q`del AS (DELETE FROM ${ctx.main} AS d USING old WHERE d.${idCol} = old.${idCol} RETURNING ${ctx.select('d')})`,
        q`ts AS (SELECT ${TS} AS v)`,
      ]
      if (coc) {
        parts.push(
          q`aud AS (${auditInsert('del', def.userFields, (f) => [auditValue('del', f), q`NULL::jsonb`], 'DELETE', q`ts.v`, asActor(actor), txid, q`del CROSS JOIN ts`, false)})`,
        )
      }
      const { rows } = await run(db, q`WITH ${join(parts)} SELECT count(*) AS n FROM del`)
      return Number(rows[0]?.n ?? 0)
    },
  }
}

/**
 * MySQL / MariaDB: one transaction of bounded statements. In batches of SET_BATCH rows (id order,
 * keyset): lock the matched rows with SELECT … FOR UPDATE (which reads the clock), compare in JS, then
 * one INSERT of the closed versions (scd2), one UPDATE of the rows that differ and one INSERT of their
 * audit entries (copy_on_change).
 */
export function txSetWriter(ctx: ModelContext): SetWriter {
  const { def } = ctx
  const s = def.system
  const scd2 = def.temporal === 'scd2'
  const family = ctx.dialect.family
  const idCol = id(s.id!.column)
  const tenant = s.tenant
  const exec = (db: Database, f: Fragment) => db.run<Row>(compile(f, ctx.dialect))
  const decoded = (row: Row, f: FieldDef) => decodeValue(f, row[f.column], family)
  const owner = (row: Row): Owner => ({ id: row[s.id!.column], tenant: tenant ? row[tenant.column] : undefined })

  /** Lock the next batch of matched rows after `after` (ids ascending). */
  const lockBatch = (db: Database, where: Fragment, after: unknown, columns: Fragment) =>
    exec(
      db,
      q`SELECT ${columns}, NOW(3) AS ff_now FROM ${ctx.main} AS r WHERE ${where}${after === undefined ? q`` : q` AND r.${idCol} > ${after}`} ORDER BY r.${idCol} LIMIT ${SET_BATCH} FOR UPDATE`,
    )

  return {
    async changeMany(db, scope, r) {
      return db.transaction(async (tx) => {
        const where = matched(ctx, scope, r.where, r.filter)
        let after: unknown
        let total = 0
        let opTs: Date | undefined
        for (;;) {
          const { rows } = await lockBatch(tx, where, after, ctx.select('r'))
          if (rows.length === 0) break
          after = rows.at(-1)![s.id!.column]
          // one timestamp for the operation, never before a locked record's last change
          let ts = opTs ?? (rows[0]!.ff_now as Date)
          for (const row of rows) {
            const floor = scd2
              ? (row[s.validFrom!.column] as Date).getTime() + 1
              : (row[s.updatedAt!.column] as Date).getTime()
            if (ts.getTime() < floor) ts = new Date(floor)
          }
          opTs = ts
          const next = new Map([...r.set].map(([f, v]) => [f, v === NOW ? ts : decodeValue(f, v, family)]))
          const changed = rows
            .map((row) => ({
              row,
              fields: [...r.set.keys()].filter((f) => !sameValue(f, decoded(row, f), next.get(f))),
            }))
            .filter((c) => c.fields.length > 0)
          if (changed.length === 0) {
            if (rows.length < SET_BATCH) break
            continue
          }
          if (scd2) {
            const values = changed.map(
              ({ row }) =>
                q`(${join(ctx.columns.map((f) => (f === s.validTo ? q`${ts}` : q`${encodeValue(f, decoded(row, f), family)}`)))}, ${r.operation})`,
            )
            await exec(tx, q`INSERT INTO ${ctx.history} (${ctx.columnList()}, ${id(CLOSED_BY)}) VALUES ${join(values)}`)
          }
          const sets = [...r.set].map(([f, v]) => q`${id(f.column)} = ${v === NOW ? ts : v}`)
          sets.push(q`${id(s.updatedAt!.column)} = ${ts}`, q`${id(s.updatedBy!.column)} = ${r.actor}`)
          if (scd2)
            sets.push(q`${id(s.version!.column)} = ${id(s.version!.column)} + 1`, q`${id(s.validFrom!.column)} = ${ts}`)
          const ids = changed.map(({ row }) => q`${row[s.id!.column]}`)
          await exec(tx, q`UPDATE ${ctx.main} SET ${join(sets)} WHERE ${idCol} IN (${join(ids)})`)
          const audited = new Set(r.audited)
          const entries = changed.flatMap(({ row, fields }) =>
            fields
              .filter((f) => audited.has(f))
              .map((field) => ({ owner: owner(row), field, old: decoded(row, field), new: next.get(field) })),
          )
          await insertAudit(ctx, tx, entries, r.operation, ts, r.actor, r.transactionId)
          total += changed.length
          if (rows.length < SET_BATCH) break
        }
        return total
      })
    },

    async deleteMany(db, scope, where, actor, txid) {
      return db.transaction(async (tx) => {
        const condition = matched(ctx, scope, where)
        let total = 0
        for (;;) {
          // deleted rows no longer match: every batch starts from the beginning
          const { rows } = await lockBatch(tx, condition, undefined, ctx.select('r'))
          if (rows.length === 0) break
          const ids = rows.map((row) => q`${row[s.id!.column]}`)
          await exec(tx, q`DELETE FROM ${ctx.main} WHERE ${idCol} IN (${join(ids)})`)
          const entries = rows.flatMap((row) =>
            def.userFields.map((field) => ({ owner: owner(row), field, old: decoded(row, field), new: null })),
          )
          await insertAudit(ctx, tx, entries, 'DELETE', rows[0]!.ff_now as Date, actor, txid)
          total += rows.length
          if (rows.length < SET_BATCH) break
        }
        return total
      })
    },
  }
}
