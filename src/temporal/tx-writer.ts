import type { Database } from '../db/database.js'
import type { ModelContext } from '../mapping/model-context.js'
import { auditJson, decodeValue, encodeValue, sameValue } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { decodeRow } from '../repository/records.js'
import { AUDIT_COLUMNS as A, CLOSED_BY } from '../schema/from-models.js'
import { and, type Id, type Scope } from '../scope/scope.js'
import { compile, Fragment, id, join, type Part, q, raw } from '../sql/fragment.js'
import type { AuditOperation, ChangeRequest, ChangeResult, InsertRequest, Writer } from './writer.js'
import { NOW, readsBackAsBound, storedRecords } from './writer.js'

type Row = Record<string, unknown>
export type Owner = { readonly id: unknown; readonly tenant: unknown }

const NOW3 = raw('NOW(3)')

type AuditRows = [
  db: Database,
  entries: { owner: Owner; field: FieldDef; old: unknown; new: unknown }[],
  operation: AuditOperation,
  changedAt: Date,
  actor: Id | null,
  transactionId: string,
]

/** Audit entries as multi-row INSERTs (shared by single-record and set writes on MySQL). */
export async function insertAudit(
  ctx: ModelContext,
  ...[db, entries, operation, changedAt, actor, transactionId]: AuditRows
) {
  const tenant = ctx.def.system.tenant
  const coc = ctx.def.temporal === 'copy_on_change'
  if (!coc || entries.length === 0) return
  const json = (f: FieldDef, v: unknown) => {
    const j = auditJson(f, v)
    return j === null ? null : JSON.stringify(j)
  }
  const values = entries.map(
    (e) =>
      q`(${join([
        q`${e.owner.id}`,
        ...(tenant ? [q`${e.owner.tenant}`] : []),
        q`${e.field.name}`,
        q`${json(e.field, e.old)}`,
        q`${json(e.field, e.new)}`,
        q`${operation}`,
        q`${changedAt}`,
        q`${actor}`,
        q`${transactionId}`,
      ])})`,
  )
  // a server-side prepared statement takes at most 65,535 placeholders: one INSERT per chunk
  const perStatement = Math.floor(AUDIT_PLACEHOLDERS / ctx.auditColumns.length)
  for (let i = 0; i < values.length; i += perStatement) {
    const chunk = values.slice(i, i + perStatement)
    await db.run(compile(q`INSERT INTO ${ctx.audit} (${ctx.auditColumnList}) VALUES ${join(chunk)}`, ctx.dialect))
  }
}

/** Placeholders per audit INSERT, below MySQL's limit of 65,535 per prepared statement. */
const AUDIT_PLACEHOLDERS = 60_000

/**
 * Engines without RETURNING (MySQL, MariaDB): one short transaction per write. The row is locked with
 * SELECT … FOR UPDATE (which also reads the database clock), the change is computed from the locked
 * values, and the row, its audit entries or its closed version are written before COMMIT.
 */
export function txWriter(ctx: ModelContext): Writer {
  const { def } = ctx
  const coc = def.temporal === 'copy_on_change'
  const scd2 = def.temporal === 'scd2'
  const s = def.system
  const tenant = s.tenant
  const idCol = s.id!.column
  const family = ctx.dialect.family

  const exec = (db: Database, f: Fragment) => db.run<Row>(compile(f, ctx.dialect))
  const selectById = (ids: readonly string[]) =>
    q`SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE r.${id(idCol)} IN (${join(ids.map((v) => q`${v}`))})`

  /** The row an UPDATE leaves, from the row it locked and what it set. */
  const written = (locked: Row, changed: [FieldDef, unknown][], ts: Date, actor: Id | null): Row => {
    // every Date of its own, as in rows read back
    const time = (d: Date) => new Date(d.getTime())
    const row: Row = { ...locked }
    delete row.ff_now
    for (const [f, v] of changed) row[f.column] = v === NOW ? time(ts) : v instanceof Date ? time(v) : v
    row[s.updatedAt!.column] = time(ts)
    row[s.updatedBy!.column] = actor
    if (scd2) {
      row[s.version!.column] = Number(locked[s.version!.column]) + 1
      row[s.validFrom!.column] = time(ts)
    }
    return row
  }

  /** The record an audit entry belongs to: from a row as read, or from a record. */
  const ownerOfRow = (row: Row): Owner => ({ id: row[idCol], tenant: tenant ? row[tenant.column] : undefined })
  const ownerOfRecord = (record: Row): Owner => ({
    id: record[s.id!.name],
    tenant: tenant ? record[tenant.name] : undefined,
  })

  const writeAudit = (...args: AuditRows) => insertAudit(ctx, ...args)

  const decoded = (row: Row, f: FieldDef) => decodeValue(f, row[f.column], family)

  return {
    async insert(db: Database, _scope: Scope, request: InsertRequest) {
      return db.transaction(async (tx) => {
        // Many rows whose stored values read back exactly as bound are written out here instead of
        // read back; only the operation's timestamp is read, from the first row.
        const stored =
          request.rows.length > 1 && (request.returning !== false || coc)
            ? storedRecords(ctx, request.rows, request.actor)
            : undefined
        // NOW(3) is evaluated once per statement: one timestamp for every row of the batch
        const generated = new Map<FieldDef, Fragment>([
          [s.createdAt!, NOW3],
          [s.updatedAt!, NOW3],
          [s.createdBy!, q`${request.actor}`],
          [s.updatedBy!, q`${request.actor}`],
        ])
        if (scd2) {
          generated.set(s.version!, q`1`)
          generated.set(s.validFrom!, NOW3)
        }
        const provided = ctx.columns.filter((f) => request.rows.some((r) => r.has(f)))
        const columns = [...provided, ...generated.keys()]
        // the VALUES list as one flat fragment (DEFAULT where a row gives no value): thousands of
        // rows, no fragment per value
        const fixed = columns.map((f) => generated.get(f))
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
        const insert = compile(
          q`INSERT INTO ${ctx.main} (${ctx.columnList(columns)}) VALUES ${new Fragment(parts)}`,
          ctx.dialect,
        )
        // the audit trail needs the stored values (defaults included): only then are rows read back
        if (request.returning === false && !coc) {
          return { rows: [], count: (await tx.run<Row>(insert)).affectedRows }
        }
        const ids = request.rows.map((r) => r.get(s.id!) as string)
        let records: Row[]
        if (stored) {
          await tx.run(insert)
          const read = await exec(
            tx,
            q`SELECT ${id(s.createdAt!.column)} AS ts FROM ${ctx.main} WHERE ${id(idCol)} = ${ids[0]}`,
          )
          records = stored(read.rows[0]!.ts as Date)
        } else {
          const { rows } = ctx.dialect.capabilities.insertReturning
            ? await tx.run<Row>({
                sql: `${insert.sql} RETURNING ${compile(ctx.columnList(), ctx.dialect).sql}`,
                parameters: insert.parameters,
              })
            : await tx.run(insert).then(() => exec(tx, selectById(ids)))
          const byId = new Map(rows.map((r) => [r[idCol] as string, r]))
          records = ids.map((i) => decodeRow(ctx, byId.get(i)!))
        }
        await writeAudit(
          tx,
          records.flatMap((record) => {
            const owner = ownerOfRecord(record)
            return def.userFields.map((field) => ({ owner, field, old: null, new: record[field.name] }))
          }),
          'INSERT',
          records[0]![s.createdAt!.name] as Date,
          request.actor,
          request.transactionId,
        )
        return request.returning === false
          ? { rows: [], count: records.length }
          : { rows: [], records, count: records.length }
      })
    },

    async change(db: Database, scope: Scope, r: ChangeRequest): Promise<ChangeResult> {
      return db.transaction(async (tx) => {
        const where = and([q`r.${id(idCol)} = ${r.id}`, ...scope.read('r', true)])
        const locked = (
          await exec(tx, q`SELECT ${ctx.select('r')}, NOW(3) AS ff_now FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`)
        ).rows[0]
        if (!locked) return { state: 'missing' as const }
        // the state the change needs, read from the locked row
        if (s.deletedAt && (locked[s.deletedAt.column] === null) !== (r.filter === 'live')) {
          return r.filter === 'live' ? { state: 'missing' as const } : { state: 'unchanged' as const, row: locked }
        }
        // Per record, time never runs backwards; scd2 intervals must also be non-empty.
        let ts = locked.ff_now as Date
        const floor = scd2
          ? (locked[s.validFrom!.column] as Date).getTime() + 1
          : (locked[s.updatedAt!.column] as Date).getTime()
        if (ts.getTime() < floor) ts = new Date(floor)
        if (r.expectedVersion !== undefined && Number(locked[s.version!.column]) !== r.expectedVersion) {
          return { state: 'unchanged' as const, row: locked }
        }
        const changed = [...r.set].filter(([f, v]) => {
          const next = v === NOW ? ts : decodeValue(f, v, family)
          return !sameValue(f, decoded(locked, f), next)
        })
        if (changed.length === 0) return { state: 'unchanged' as const, row: locked }
        if (scd2) {
          const cols = ctx.columns
          const values = cols.map((f) =>
            f === s.validTo ? q`${ts}` : q`${encodeValue(f, decoded(locked, f), family)}`,
          )
          await exec(
            tx,
            q`INSERT INTO ${ctx.history} (${ctx.columnList(cols)}, ${id(CLOSED_BY)}) VALUES (${join(values)}, ${r.operation})`,
          )
        }
        const sets = changed.map(([f, v]) => q`${id(f.column)} = ${v === NOW ? ts : v}`)
        sets.push(q`${id(s.updatedAt!.column)} = ${ts}`, q`${id(s.updatedBy!.column)} = ${r.actor}`)
        if (scd2) {
          sets.push(
            q`${id(s.version!.column)} = ${Number(locked[s.version!.column]) + 1}`,
            q`${id(s.validFrom!.column)} = ${ts}`,
          )
        }
        await exec(tx, q`UPDATE ${ctx.main} SET ${join(sets)} WHERE ${id(idCol)} = ${r.id}`)
        // the locked row with what was set, where every value set reads back exactly as bound;
        // otherwise (a native type, say) the row is read back
        const row = changed.every(([f]) => readsBackAsBound(f, family))
          ? written(locked, changed, ts, r.actor)
          : (await exec(tx, selectById([r.id]))).rows[0]!
        const audited = new Set(r.audited)
        await writeAudit(
          tx,
          changed
            .filter(([f]) => audited.has(f))
            .map(([field]) => ({
              owner: ownerOfRow(row),
              field,
              old: decoded(locked, field),
              new: decoded(row, field),
            })),
          r.operation,
          ts,
          r.actor,
          r.transactionId,
        )
        return { state: 'changed' as const, row }
      })
    },

    async hardDelete(db: Database, scope: Scope, recordId: string, actor: Id | null, transactionId: string) {
      return db.transaction(async (tx) => {
        const where = and([q`r.${id(idCol)} = ${recordId}`, ...scope.read('r', true)])
        const locked = (
          await exec(tx, q`SELECT ${ctx.select('r')}, NOW(3) AS ff_now FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`)
        ).rows[0]
        if (!locked) return false
        await exec(tx, q`DELETE FROM ${ctx.main} WHERE ${id(idCol)} = ${recordId}`)
        await writeAudit(
          tx,
          def.userFields.map((field) => ({ owner: ownerOfRow(locked), field, old: decoded(locked, field), new: null })),
          'DELETE',
          locked.ff_now as Date,
          actor,
          transactionId,
        )
        return true
      })
    },

    async purge(db: Database, scope: Scope, recordId: string) {
      return db.transaction(async (tx) => {
        const where = and([q`r.${id(idCol)} = ${recordId}`, ...scope.read('r', true)])
        const locked = (await exec(tx, q`SELECT r.${id(idCol)} FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`))
          .rows[0]
        if (!locked) return false
        if (coc) await exec(tx, q`DELETE FROM ${ctx.audit} WHERE ${id(A.recordId)} = ${recordId}`)
        if (scd2) await exec(tx, q`DELETE FROM ${ctx.history} WHERE ${id(idCol)} = ${recordId}`)
        await exec(tx, q`DELETE FROM ${ctx.main} WHERE ${id(idCol)} = ${recordId}`)
        return true
      })
    },
  }
}
