import type { z } from 'zod'
import type { FieldInput, FieldOptions, IndexMethod } from './field.js'
import type { IdType } from './id-type.js'
import type { LogicalType } from './logical-type.js'
import type { SystemFields } from './system-fields.js'

export type TemporalStrategy = 'none' | 'copy_on_change' | 'scd2'

/** A model-level index. `columns` are property names (or column names). */
export interface ModelIndex {
  readonly columns: readonly string[]
  readonly name?: string
  readonly where?: string
  /** As a field's `unique`: within the tenant among live rows (`true`), or across tenants (`'global'`). */
  readonly unique?: boolean | 'global'
  readonly method?: IndexMethod
}

export interface ModelConfig {
  readonly table: string
  readonly schema?: string
  readonly temporal?: TemporalStrategy
  readonly softDelete?: boolean
  readonly multiTenant?: boolean
  readonly tenantField?: string
  /** The tenant id's type: `z.uuid()` (default), text such as `z.string().max(64)`, or `z.bigint()`. */
  readonly tenantIdType?: z.ZodType
  /** The type of user ids in createdBy/updatedBy/deletedBy/changedBy: `z.uuid()` (default), text or `z.bigint()`. */
  readonly actorIdType?: z.ZodType
  readonly fields: Readonly<Record<string, FieldInput>>
  readonly indexes?: readonly ModelIndex[]
  readonly checks?: readonly string[]
  /** Name of the audit table (copy_on_change); default `{table}_audit`, shortened with a hash past 63 bytes. */
  readonly auditTable?: string
  /** Name of the history table (scd2); default `{table}_history`, shortened with a hash past 63 bytes. */
  readonly historyTable?: string
}

/** Keys of C that are not keys of T, as `never`: `defineModel({ temporl: 'scd2' })` does not compile. */
export type NoUnknownKeys<C, T> = { readonly [K in Exclude<keyof C, keyof T>]: never }

export type SqlDefault =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'expression'; readonly sql: string }
  | { readonly kind: 'now' }

export type SystemRole =
  | 'id'
  | 'tenant'
  | 'createdAt'
  | 'updatedAt'
  | 'createdBy'
  | 'updatedBy'
  | 'deletedAt'
  | 'deletedBy'
  | 'version'
  | 'validFrom'
  | 'validTo'

/** One column of a model, resolved. */
export interface FieldDef {
  /** Property name in records. */
  readonly name: string
  readonly column: string
  readonly type: LogicalType
  readonly nullable: boolean
  /** NULL reads back as `null` (nullable in Zod, or a nullable system field); else as `undefined`. */
  readonly acceptsNull: boolean
  /** May be left out on create. */
  readonly optional: boolean
  readonly default: SqlDefault | undefined
  /** Set for injected system fields. */
  readonly system: SystemRole | undefined
  readonly options: FieldOptions
}

/** A model after `defineModel`: frozen, with every name resolved. */
export interface ModelDef {
  readonly table: string
  readonly schema: string | undefined
  readonly temporal: TemporalStrategy
  readonly softDelete: boolean
  readonly multiTenant: boolean
  /** Property name of the tenant field when multi-tenant. */
  readonly tenantField: string | undefined
  /** What tenant ids are (UUID unless `tenantIdType` says otherwise). */
  readonly tenantIdType: IdType
  /** What actor (user) ids are (UUID unless `actorIdType` says otherwise). */
  readonly actorIdType: IdType
  /** Every column in table order: system and user fields. */
  readonly fields: readonly FieldDef[]
  readonly userFields: readonly FieldDef[]
  readonly byName: ReadonlyMap<string, FieldDef>
  readonly byColumn: ReadonlyMap<string, FieldDef>
  readonly indexes: readonly ModelIndex[]
  readonly checks: readonly string[]
  /** `auditTable` as configured (read the name through `auditTableName(def)`). */
  readonly auditTable: string | undefined
  /** `historyTable` as configured (read the name through `historyTableName(def)`). */
  readonly historyTable: string | undefined
  /** Validates create input (user fields, plus the tenant field when multi-tenant). Strict. */
  readonly createSchema: z.ZodObject
  /** Validates update patches: user fields only, all optional. Strict. */
  readonly patchSchema: z.ZodObject
  /**
   * System role → field. Prefer `roles`, typed so that no lookup needs a non-null assertion; `system`
   * stays until the callers that read it have switched.
   */
  readonly system: Readonly<Partial<Record<SystemRole, FieldDef>>>
  /** The system fields by role: the ones every model has, and soft delete's and scd2's as groups. */
  readonly roles: SystemFields
}

export declare const CONFIG: unique symbol

/** What `defineModel` returns: the resolved definition, typed by its configuration. */
export interface Model<C extends ModelConfig = ModelConfig> {
  readonly def: ModelDef
  readonly [CONFIG]?: C
}

export interface ModelProblem {
  readonly level: 'error' | 'warning'
  readonly message: string
}
