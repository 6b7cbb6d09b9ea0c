import type { Database } from '../db/database.js'
import type { SqlFamily } from '../dialect/dialect.js'
import type { ModelContext } from '../mapping/model-context.js'
import { decodeValue, readsBackAsBound as readsBack } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import type { Id, Scope } from '../scope/scope.js'

export type AuditOperation = 'INSERT' | 'UPDATE' | 'DELETE' | 'RESTORE' | 'TRANSFER'

/** Marks a value that is the operation's own timestamp (from the database clock). */
export const NOW = Symbol('operation timestamp')

/** A change to one existing row: the kind of write every update, delete, restore and transfer is. */
export interface ChangeRequest {
  readonly id: string
  /**
   * Which rows the change writes: live ones (update, delete, transfer) or deleted ones (restore).
   * The row is locked whatever its state and the state is read from the lock: a row in the other
   * state is 'missing' for a live change and 'unchanged' for a restore.
   */
  readonly filter: 'live' | 'deleted'
  /** Column values to set (encoded for binding), or NOW. */
  readonly set: ReadonlyMap<FieldDef, unknown>
  readonly operation: Exclude<AuditOperation, 'INSERT'>
  /** The fields whose changes the audit trail records. */
  readonly audited: readonly FieldDef[]
  readonly actor: Id | null
  readonly expectedVersion?: number
  readonly transactionId: string
}

export type ChangeResult =
  | { readonly state: 'missing' }
  | { readonly state: 'unchanged'; readonly row: Record<string, unknown> }
  | { readonly state: 'changed'; readonly row: Record<string, unknown> }

/**
 * What an insert gives back: the stored rows as the driver returned them, or (many rows that read
 * back exactly as bound) the records, decoded and in the order of the request, written out instead.
 */
export interface InsertResult {
  readonly rows: Record<string, unknown>[]
  readonly records?: Record<string, unknown>[]
  readonly count: number
}

export interface InsertRequest {
  /** Per row: values by field (encoded), system fields id/tenant included. */
  readonly rows: readonly ReadonlyMap<FieldDef, unknown>[]
  readonly actor: Id | null
  readonly transactionId: string
  /** Return the stored rows (default) or only how many were inserted. */
  readonly returning?: boolean
}

/**
 * Turns repository operations into statements for one engine family and runs them atomically:
 * one data-modifying CTE where the engine has RETURNING, one short locking transaction elsewhere.
 * Strategy-specific rows (audit entries for copy_on_change, closed versions for scd2) are written
 * in the same unit.
 */
export interface Writer {
  /** The stored rows, or (with `returning: false`) an empty list; `count` is always set. */
  insert(db: Database, scope: Scope, request: InsertRequest): Promise<InsertResult>
  change(db: Database, scope: Scope, request: ChangeRequest): Promise<ChangeResult>
  hardDelete(db: Database, scope: Scope, id: string, actor: Id | null, transactionId: string): Promise<boolean>
  purge(db: Database, scope: Scope, id: string): Promise<boolean>
}

export type WriterFactory = (ctx: ModelContext) => Writer

/**
 * Whether a value of this field reads back exactly as it was bound, so a stored row can be written
 * out from the inserted values instead of being sent back: strings, UUIDs (lower case on
 * PostgreSQL), integers, exact decimals (normalized to the column's scale before binding), booleans,
 * timestamps and enums on both families; doubles on PostgreSQL; JSON on MySQL, which keeps its text
 * (PostgreSQL's jsonb reorders keys). Native column types and everything else are read back.
 */
export function readsBackAsBound(f: FieldDef, family: SqlFamily): boolean {
  return readsBack(f, family)
}

/**
 * The records an INSERT of `rows` stored, written out here instead of read back (for many rows, the
 * returned rows cost more than the insert), or undefined when some column's stored value cannot be
 * known without reading it: a database default, a native type, jsonb. `ts` is the operation's
 * timestamp from the database; the records are decoded as if read back.
 */
export function storedRecords(
  ctx: ModelContext,
  rows: readonly ReadonlyMap<FieldDef, unknown>[],
  actor: Id | null,
): ((ts: Date) => Record<string, unknown>[]) | undefined {
  const family = ctx.dialect.family
  for (const f of ctx.columns) {
    if (f.system && f.system !== 'id' && f.system !== 'tenant') continue
    if (!readsBackAsBound(f, family) || !rows.every((r) => r.has(f))) return undefined
  }
  const pg = family === 'postgres'
  // per column, where its value comes from: resolved once, not per row
  const FROM_ROW = 0
  const TS = 1
  const ACTOR = 2
  const ONE = 3
  const NULL = 4
  const UUID = 5
  const fields = ctx.columns
  const sources = fields.map((f) => {
    switch (f.system) {
      case 'createdAt':
      case 'updatedAt':
      case 'validFrom':
        return TS
      case 'createdBy':
      case 'updatedBy':
        return ACTOR
      case 'version':
        return ONE
      case 'deletedAt':
      case 'deletedBy':
      case 'validTo':
        return NULL
      default:
        return pg && f.type.kind === 'uuid' ? UUID : FROM_ROW
    }
  })
  const actorValue = pg && typeof actor === 'string' ? actor.toLowerCase() : actor
  // every record gets Date objects of its own, as records read back do
  return (ts) => {
    const time = ts.getTime()
    const out = new Array<Record<string, unknown>>(rows.length)
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!
      const record = { ...ctx.recordTemplate }
      for (let c = 0; c < fields.length; c++) {
        const f = fields[c]!
        let value: unknown
        switch (sources[c]) {
          case TS:
            value = new Date(time)
            break
          case ACTOR:
            value = actorValue
            break
          case ONE:
            value = 1
            break
          case NULL:
            value = null
            break
          case UUID:
            value = row.get(f)
            if (typeof value === 'string') value = value.toLowerCase()
            break
          default:
            value = row.get(f)
            if (value instanceof Date) value = new Date(value.getTime())
        }
        record[f.name] = decodeValue(f, value, family)
      }
      out[r] = record
    }
    return out
  }
}
