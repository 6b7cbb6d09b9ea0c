import type { Model } from '../model/define-model.js'
import type { ModelActorId, ModelKey, ModelPatch, ModelRecord, ModelTenantId } from '../model/types.js'
import type { Id } from '../scope/scope.js'
import type { AuditOperation } from '../temporal/requests.js'
import type { CacheOptions } from './cache.js'
import type { Repository } from './repository.js'
import type { OrderDirection } from './where.js'

/** The public types of repositories: options, entries, and (RepositoryFor) the methods of each strategy. */

/** A filter on one field: a value (equality), null (IS NULL), an array (IN) or operators. */
export type FieldFilter<V> =
  | V
  | null
  | readonly V[]
  | {
      eq?: V | null
      ne?: V | null
      gt?: V
      gte?: V
      lt?: V
      lte?: V
      in?: readonly V[]
      notIn?: readonly V[]
      like?: string
      ilike?: string
      isNull?: boolean
    }

export type Where<M extends Model> = { [K in ModelKey<M>]?: FieldFilter<NonNullable<ModelRecord<M>[K]>> | undefined }
export type OrderBy<M extends Model> =
  | { [K in ModelKey<M>]?: OrderDirection }
  | readonly { [K in ModelKey<M>]?: OrderDirection }[]

export interface ReadOptions {
  readonly includeDeleted?: boolean
  /** scd2 only: read the records as they were at this instant. */
  readonly asOf?: Date
}

export interface ListOptions<M extends Model> extends ReadOptions {
  readonly where?: Where<M>
  readonly orderBy?: OrderBy<M>
  readonly limit?: number
  readonly offset?: number
}

export interface PageOptions<M extends Model> extends ReadOptions {
  readonly where?: Where<M>
  readonly orderBy?: OrderBy<M>
  /** Records per page (default 100). */
  readonly limit?: number
  /** The `next` cursor of the previous page (null or absent: the first page). */
  readonly after?: string | null
}

/** One keyset page: `next` is an opaque cursor for the following page, or null after the last. */
export interface Page<M extends Model> {
  readonly records: ModelRecord<M>[]
  readonly next: string | null
}

export interface StreamOptions<M extends Model> extends ReadOptions {
  readonly where?: Where<M>
  readonly orderBy?: OrderBy<M>
  /** Records fetched per statement (default 1,000). */
  readonly batchSize?: number
}

/**
 * What `db.repository(Model, options)` takes: the tenant scope, the actor, and an optional cache.
 * Typed by the model: tenant ids of its `tenantIdType`, the user id of its `actorIdType` (checked
 * at run time as well).
 */
export interface RepositoryOptions<M extends Model = Model> {
  /** Strict scope: one tenant; every read filters on it and every write uses it. */
  readonly tenantId?: ModelTenantId<M>
  /** Permissive scope: reads use IN (…); single-record operations work within the list. */
  readonly tenantIds?: readonly ModelTenantId<M>[]
  /** The acting user, recorded as createdBy/updatedBy/changedBy (overridable per call). */
  readonly userId?: ModelActorId<M>
  /** Cache get/getMany/list/count results (never inside a transaction). */
  readonly cache?: CacheOptions
}

export interface WriteOptions {
  /** The acting user for this call (overrides the scope's). */
  readonly userId?: Id
}

/** Options of updateMany / deleteMany / restoreMany. */
export interface SetWriteOptions extends WriteOptions {
  /** Required (true) to change every record in scope with an empty `where`. */
  readonly all?: boolean
}

/** Options of upsert: the unique fields that identify the record within the tenant. */
export interface UpsertOptions<M extends Model> extends WriteOptions {
  readonly on: readonly ModelKey<M>[]
}

export interface UpdateOptions extends WriteOptions {
  /** scd2 only: fail with VersionConflictError unless the current version is this one. */
  readonly expectedVersion?: number
}

export interface CreateManyOptions extends WriteOptions {
  /** Rows per statement and transaction (default 1,000; lowered to stay within parameter limits). */
  readonly batchSize?: number
  /** `false`: do not send the stored records back; createMany then returns how many it created. */
  readonly returning?: boolean
}

/**
 * One entry of a copy_on_change audit trail; values decoded to their model types. `Value` is the
 * field's type where the field is known (`getFieldHistory(id, 'age')` → `number`); ids are typed by
 * the model's `tenantIdType` / `actorIdType`.
 */
export interface AuditEntry<Value = unknown, TenantId = string, ActorId = string> {
  readonly auditId: number
  readonly recordId: string
  readonly tenantId: TenantId | null
  readonly fieldName: string | null
  readonly oldValue: Value | null
  readonly newValue: Value | null
  readonly operation: AuditOperation
  readonly changedAt: Date
  readonly changedBy: ActorId | null
  readonly transactionId: string
}

/** An audit entry of model `M`, any field (`getAuditHistory`, `getChangesByUser`). */
export type ModelAuditEntry<M extends Model> = AuditEntry<unknown, ModelTenantId<M>, ModelActorId<M>>

/** An audit entry of field `K` of model `M` (`getFieldHistory`): values typed as the field. */
export type FieldAuditEntry<M extends Model, K extends ModelKey<M>> = AuditEntry<
  Exclude<ModelRecord<M>[K], undefined>,
  ModelTenantId<M>,
  ModelActorId<M>
>

export interface VersionTimelineEntry {
  readonly version: number
  readonly validFrom: Date
  readonly validTo: Date | null
  readonly isCurrent: boolean
  readonly isDeleted: boolean
}

export type VersionComparison<M extends Model> = {
  [K in keyof ModelPatch<M>]-?: { old: unknown; new: unknown; changed: boolean }
}

// ─── repositories by strategy (issue #15) ───────────────────────────────────────────────────────

/**
 * The temporal strategy of a model's type: its `temporal` option, `'none'` when not given; a union
 * when the type does not fix it (`Model`, a union of models).
 */
export type StrategyOf<M extends Model> =
  M extends Model<infer C>
    ? 'temporal' extends keyof C
      ? Exclude<C['temporal'], undefined> | (undefined extends C['temporal'] ? 'none' : never)
      : 'none'
    : never

/** The methods only copy_on_change repositories offer: the audit trail and replay. */
export type AuditMethod = 'getAuditHistory' | 'getFieldHistory' | 'getChangesByUser' | 'getStateAt'

/** The methods only scd2 repositories offer: versions. */
export type VersionMethod =
  | 'getVersionHistory'
  | 'getVersion'
  | 'getCurrentVersion'
  | 'getVersionCount'
  | 'getVersionTimeline'
  | 'compareVersions'
  | 'revertTo'

/** What every repository offers, whatever its model's strategy: reads, writes, set operations. */
export type CoreRepository<M extends Model> = Omit<Repository<M>, AuditMethod | VersionMethod>

/** The audit trail of a copy_on_change model (getAuditHistory, getFieldHistory, getChangesByUser, getStateAt). */
export type AuditHistory<M extends Model> = Pick<Repository<M>, AuditMethod>

/** The versions of an scd2 model (getVersionHistory … revertTo). */
export type VersionHistory<M extends Model> = Pick<Repository<M>, VersionMethod>

/**
 * A repository typed by its model's strategy: only the methods the strategy supports (a
 * copy_on_change repository has no `getVersionHistory`, a `none` one neither audit nor versions).
 * A model whose strategy is not known statically (a union of models, `Model`) gets every method;
 * the others then fail with TemporalStrategyError at run time, as always.
 *
 * @example
 * const users: RepositoryFor<typeof User> = db.repository(User, { tenantId })
 */
export type RepositoryFor<M extends Model> = [StrategyOf<M>] extends ['none']
  ? CoreRepository<M>
  : [StrategyOf<M>] extends ['copy_on_change']
    ? CoreRepository<M> & AuditHistory<M>
    : [StrategyOf<M>] extends ['scd2']
      ? CoreRepository<M> & VersionHistory<M>
      : Repository<M>
