import type { FieldDef } from '../model/define-model.js'
import type { Id } from '../scope/scope.js'
import type { Fragment } from '../sql/fragment.js'

/** What the write plans of every strategy take and return (the repository builds the requests). */

export type AuditOperation = 'INSERT' | 'UPDATE' | 'DELETE' | 'RESTORE' | 'TRANSFER'

/** Marks a value that is the operation's own timestamp (from the database clock). */
export const NOW = Symbol('operation timestamp')

export type Row = Record<string, unknown>

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
  | { readonly state: 'unchanged'; readonly row: Row }
  | { readonly state: 'changed'; readonly row: Row }

/**
 * What an insert gives back: the stored rows as the driver returned them, or (many rows that read
 * back exactly as bound) the records, decoded and in the order of the request, written out instead.
 */
export interface InsertResult {
  readonly rows: Row[]
  readonly records?: Row[]
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
 * A change to every row a filter matches: what updateMany, deleteMany and restoreMany send. Each
 * matched record is changed exactly as its single-record form would change it (same columns, same
 * audit entries, one new version per changed scd2 record); rows that would not change are left alone.
 */
export interface SetChangeRequest {
  /** The caller's filter, compiled on alias `r` (scope and state are added by the plan). */
  readonly where: readonly Fragment[]
  readonly filter: 'live' | 'deleted'
  readonly set: ReadonlyMap<FieldDef, unknown>
  readonly operation: Exclude<AuditOperation, 'INSERT' | 'TRANSFER'>
  readonly audited: readonly FieldDef[]
  readonly actor: Id | null
  readonly transactionId: string
}

/** Hard delete of one record (models without soft delete) or of every matched one. */
export interface RemoveRequest {
  readonly actor: Id | null
  readonly transactionId: string
}
