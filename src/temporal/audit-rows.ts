import type { ModelContext } from '../mapping/model-context.js'
import { auditJson, valueType } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import type { Id } from '../scope/scope.js'
import { type Fragment, id, join, q, raw } from '../sql/fragment.js'
import type { AuditOperation, Row } from './requests.js'

/** The record an audit entry belongs to. */
export type Owner = { readonly id: unknown; readonly tenant: unknown }

export interface AuditEntry {
  readonly owner: Owner
  readonly field: FieldDef
  readonly old: unknown
  readonly new: unknown
}

/** Placeholders per audit INSERT, below the limit of 65,535 per server-side prepared statement. */
export const AUDIT_PLACEHOLDERS = 60_000

/** The owner of a row as read (column names) or of a record (property names). */
export function ownerOf(ctx: ModelContext, row: Row, by: 'column' | 'name' = 'column'): Owner {
  const s = ctx.def.system
  const role = ctx.def.roles
  return { id: row[role.id[by]], tenant: s.tenant ? row[s.tenant[by]] : undefined }
}

/**
 * Audit entries as multi-row INSERTs with every value bound (engines without data-modifying CTEs):
 * one statement per chunk, each under the placeholder limit. None for no entries.
 */
export function auditInserts(
  ctx: ModelContext,
  entries: readonly AuditEntry[],
  operation: AuditOperation,
  changedAt: Date,
  actor: Id | null,
  transactionId: string,
): Fragment[] {
  if (entries.length === 0) return []
  const tenant = ctx.def.system.tenant
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
  const perStatement = Math.floor(AUDIT_PLACEHOLDERS / ctx.auditColumns.length)
  const out: Fragment[] = []
  for (let i = 0; i < values.length; i += perStatement) {
    out.push(q`INSERT INTO ${ctx.audit} (${ctx.auditColumnList}) VALUES ${join(values.slice(i, i + perStatement))}`)
  }
  return out
}

/** Where the entries of an audit INSERT inside a data-modifying CTE come from. */
export interface AuditSource {
  /** The CTE whose rows the entries belong to (`ins`, `upd`, `del`). */
  readonly source: string
  readonly fields: readonly FieldDef[]
  /** Old and new JSON of a field. */
  readonly values: (f: FieldDef) => [Fragment, Fragment]
  readonly operation: AuditOperation
  readonly changedAt: Fragment
  readonly actor: Fragment
  readonly transactionId: unknown
  readonly from: Fragment
  /** Only the fields whose value changed (updates), or every field (inserts, deletes). */
  readonly onlyChanges: boolean
}

/**
 * Audit SQL for data-modifying CTEs (engines with RETURNING): a column's audit JSON, and the INSERT
 * of one entry per field per source row.
 */
export function cteAudit(ctx: ModelContext) {
  const { def } = ctx
  const tenant = def.system.tenant
  // the acting user as the audit column's type (uuid, varchar(n) or bigint: the model's actorIdType)
  const actorType = raw(ctx.dialect.types.columnType(def.actorIdType.type))
  const asActor = (value: unknown): Fragment => q`CAST(${value} AS ${actorType})`

  /** The audit trail's JSON of a column: exact numbers as text, everything else as to_jsonb gives it. */
  const auditValue = (alias: string, f: FieldDef): Fragment => {
    const t = valueType(f.type)
    const exactAsText =
      (t?.kind === 'decimal' && !t.asNumber) || t?.kind === 'bigint' || (t?.kind === 'integer' && t.size === 'bigint')
    return exactAsText ? q`to_jsonb(${id(alias)}.${id(f.column)}::text)` : q`to_jsonb(${id(alias)}.${id(f.column)})`
  }

  const auditInsert = (a: AuditSource): Fragment => {
    const rows = join(
      a.fields.map((f) => {
        const [o, n] = a.values(f)
        return q`(${f.name}::text, ${o}, ${n})`
      }),
    )
    const src = id(a.source)
    return q`INSERT INTO ${ctx.audit} (${ctx.auditColumnList})
      SELECT ${src}.${id(def.roles.id.column)}, ${tenant ? q`${src}.${id(tenant.column)}, ` : q``}v.f, v.o, v.n, ${raw(`'${a.operation}'`)}, ${a.changedAt}, ${a.actor}, CAST(${a.transactionId} AS uuid)
      FROM ${a.from} CROSS JOIN LATERAL (VALUES ${rows}) AS v(f, o, n)${a.onlyChanges ? q` WHERE v.o IS DISTINCT FROM v.n` : q``}`
  }
  /** The entries of a change: the changed fields of `upd` against `old`, at `ts.v`. */
  const changedAudit = (
    fields: readonly FieldDef[],
    operation: AuditOperation,
    actor: unknown,
    transactionId: unknown,
    from: Fragment,
  ): Fragment =>
    q`aud AS (${auditInsert({
      source: 'upd',
      fields,
      values: (f) => [auditValue('old', f), auditValue('upd', f)],
      operation,
      changedAt: q`ts.v`,
      actor: asActor(actor),
      transactionId,
      from,
      onlyChanges: true,
    })})`

  /** The entries of a hard delete: every field of the rows of `del`, at `ts.v`. */
  const deletedAudit = (actor: unknown, transactionId: unknown): Fragment =>
    q`aud AS (${auditInsert({
      source: 'del',
      fields: def.userFields,
      values: (f) => [auditValue('del', f), q`NULL::jsonb`],
      operation: 'DELETE',
      changedAt: q`ts.v`,
      actor: asActor(actor),
      transactionId,
      from: q`del CROSS JOIN ts`,
      onlyChanges: false,
    })})`
  return { auditValue, auditInsert, asActor, changedAudit, deletedAudit }
}
