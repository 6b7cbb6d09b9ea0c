import type { Database } from '../db/database.js'
import type { FieldDef } from '../model/define-model.js'
import type { ModelContext } from '../repository/context.js'
import type { Scope } from '../scope/scope.js'

export type AuditOperation = 'INSERT' | 'UPDATE' | 'DELETE' | 'RESTORE' | 'TRANSFER'

/** Marks a value that is the operation's own timestamp (from the database clock). */
export const NOW = Symbol('operation timestamp')

/** A change to one existing row: the kind of write every update, delete, restore and transfer is. */
export interface ChangeRequest {
  readonly id: string
  /** Which rows qualify: live ones (update, delete, transfer) or deleted ones (restore). */
  readonly filter: 'live' | 'deleted'
  /** Column values to set (encoded for binding), or NOW. */
  readonly set: ReadonlyMap<FieldDef, unknown>
  readonly operation: Exclude<AuditOperation, 'INSERT'>
  /** The fields whose changes the audit trail records. */
  readonly audited: readonly FieldDef[]
  readonly actor: string | null
  readonly expectedVersion?: number
  readonly transactionId: string
}

export type ChangeResult =
  | { readonly state: 'missing' }
  | { readonly state: 'unchanged'; readonly row: Record<string, unknown> }
  | { readonly state: 'changed'; readonly row: Record<string, unknown> }

export interface InsertRequest {
  /** Per row: values by field (encoded), system fields id/tenant included. */
  readonly rows: readonly ReadonlyMap<FieldDef, unknown>[]
  readonly actor: string | null
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
  insert(
    db: Database,
    scope: Scope,
    request: InsertRequest,
  ): Promise<{ rows: Record<string, unknown>[]; count: number }>
  change(db: Database, scope: Scope, request: ChangeRequest): Promise<ChangeResult>
  hardDelete(db: Database, scope: Scope, id: string, actor: string | null, transactionId: string): Promise<boolean>
  purge(db: Database, scope: Scope, id: string): Promise<boolean>
}

export type WriterFactory = (ctx: ModelContext) => Writer
