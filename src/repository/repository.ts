import type { Database } from '../db/database.js'
import type { Model } from '../model/define-model.js'
import type { ModelActorId, ModelInput, ModelKey, ModelPatch, ModelRecord, ModelTenantId } from '../model/types.js'
import type { ScopeOptions } from '../scope/scope.js'
import type { CacheOptions } from './cache.js'
import * as history from './history.js'
import type { ReadContext } from './reads.js'
import * as reads from './reads.js'
import type {
  CreateManyOptions,
  FieldAuditEntry,
  ListOptions,
  ModelAuditEntry,
  Page,
  PageOptions,
  ReadOptions,
  RepositoryOptions,
  SetWriteOptions,
  StreamOptions,
  UpdateOptions,
  UpsertOptions,
  VersionComparison,
  VersionTimelineEntry,
  Where,
  WriteOptions,
} from './types.js'
import { RecordWrites } from './writes.js'
import { type RepositoryCore, repositoryCore } from './writes-core.js'
import { SetWrites } from './writes-many.js'
import { upsert } from './writes-upsert.js'

/** The option, entry and per-strategy repository types (moved to types.ts, re-exported here). */
export type * from './types.js'

/**
 * Typed access to one model's records within a tenant scope. Every read filters on the scope and
 * (unless `includeDeleted`) on live rows; every write uses the scope's tenant and records history
 * per the model's temporal strategy, atomically.
 *
 * @example
 * const users = db.repository(User, { tenantId: orgId, userId: adminId })
 * const u = await users.create({ email: 'a@example.com', name: 'Ada', age: 36 })
 * await users.update(u.id, { age: 37 })
 * const trail = await users.getAuditHistory(u.id)
 */
export class Repository<M extends Model> {
  readonly model: M
  readonly #core: RepositoryCore<M>
  readonly #writes: RecordWrites<M>
  readonly #setWrites: SetWrites<M>
  readonly #reads: ReadContext

  /** @internal use `db.repository(Model, scope)` */
  constructor(db: Database, model: M, options: RepositoryOptions<M> = {}) {
    this.model = model
    // the ids are checked against the model's id types at run time (Scope), whatever their static type
    const core = repositoryCore(db, model, options as ScopeOptions & { readonly cache?: CacheOptions })
    this.#core = core
    this.#writes = new RecordWrites(core)
    this.#setWrites = new SetWrites(core)
    this.#reads = reads.readContext(core)
  }

  /** Create a record; returns it as stored (defaults applied, decimals in column scale). */
  create(input: ModelInput<M>, options: WriteOptions = {}): Promise<ModelRecord<M>> {
    return this.#writes.create(input, options)
  }

  /**
   * Create many records: one multi-row statement and one transaction per batch. Every input is
   * validated before anything is written. With `{ returning: false }` it returns the number created
   * instead of the records (bulk loads: nothing is sent back or decoded).
   */
  createMany(inputs: readonly ModelInput<M>[], options: CreateManyOptions & { returning: false }): Promise<number>
  createMany(
    inputs: readonly ModelInput<M>[],
    options?: CreateManyOptions & { returning?: true },
  ): Promise<ModelRecord<M>[]>
  createMany(inputs: readonly ModelInput<M>[], options: CreateManyOptions = {}): Promise<ModelRecord<M>[] | number> {
    return this.#writes.createMany(inputs, options)
  }

  /** Apply a patch; writes nothing when nothing changes. NotFoundError when absent or deleted. */
  update(id: string, patch: ModelPatch<M>, options: UpdateOptions = {}): Promise<ModelRecord<M>> {
    return this.#writes.update(id, patch, options)
  }

  /** Soft-delete (or hard-delete on models without soft delete). False when absent or already deleted. */
  delete(id: string, options: WriteOptions = {}): Promise<boolean> {
    return this.#writes.delete(id, options)
  }

  /** Undo a soft delete; returns the record (unchanged if it was not deleted) or null when absent. */
  restore(id: string, options: WriteOptions = {}): Promise<ModelRecord<M> | null> {
    return this.#writes.restore(id, options)
  }

  /** Hard-delete a record with its audit trail or versions. Explicit and irreversible. */
  purge(id: string): Promise<boolean> {
    return this.#writes.purge(id)
  }

  /** Move a record to another tenant (recorded as TRANSFER / a new version). */
  transferOwnership(id: string, newTenantId: ModelTenantId<M>, options: WriteOptions = {}): Promise<ModelRecord<M>> {
    return this.#writes.transferOwnership(id, newTenantId, options)
  }

  /**
   * Apply `patch` to every record matching `where` (live records in scope), atomically, audited like
   * `update` (one audit entry per changed field, one new version per changed scd2 record). Records
   * already equal to the patch are not written. Returns how many records changed. An empty `where`
   * needs `{ all: true }`.
   *
   * @example
   * await users.updateMany({ role: 'trial' }, { role: 'free' }, { userId })
   */
  updateMany(where: Where<M>, patch: ModelPatch<M>, options: SetWriteOptions = {}): Promise<number> {
    return this.#setWrites.updateMany(where, patch, options)
  }

  /**
   * Delete every record matching `where` (soft on soft-delete models), atomically, audited like
   * `delete`. Returns how many records were deleted. An empty `where` needs `{ all: true }`.
   */
  deleteMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    return this.#setWrites.deleteMany(where, options)
  }

  /** Restore every soft-deleted record matching `where`; returns how many. An empty `where` needs `{ all: true }`. */
  restoreMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    return this.#setWrites.restoreMany(where, options)
  }

  /**
   * Create the record, or update the live record of the same tenant whose `on` fields (unique fields
   * of the model) equal the input's: audited as INSERT or UPDATE. Returns the record.
   *
   * @example
   * await users.upsert({ email, name, age }, { on: ['email'], userId })
   */
  upsert(input: ModelInput<M>, options: UpsertOptions<M>): Promise<ModelRecord<M>> {
    return upsert(this.#core, input, options)
  }

  /** One record, or null. `asOf` (scd2) reads it as it was then. */
  get(id: string, options: ReadOptions = {}): Promise<ModelRecord<M> | null> {
    return reads.get<M>(this.#reads, id, options)
  }

  /** Several records by id: a Map in the order of `ids`, null for each one not found. */
  getMany(ids: readonly string[], options: ReadOptions = {}): Promise<Map<string, ModelRecord<M> | null>> {
    return reads.getMany<M>(this.#reads, ids, options)
  }

  /** Records matching `where`, ordered (default `createdAt desc, id`), paged (default 100 from 0). */
  list(options: ListOptions<M> = {}): Promise<ModelRecord<M>[]> {
    return reads.list<M>(this.#reads, options)
  }

  /**
   * One page of records in keyset order (never OFFSET): `next` continues after the last record, or
   * is null on the last page. The cursor is bound to this where/orderBy/scope/asOf/includeDeleted;
   * reusing it with others is a ValidationError.
   *
   * @example
   * let page = await users.page({ where: { role: 'admin' }, orderBy: { name: 'asc' }, limit: 50 })
   * while (page.next) page = await users.page({ where: { role: 'admin' }, orderBy: { name: 'asc' }, limit: 50, after: page.next })
   */
  page(options: PageOptions<M> = {}): Promise<Page<M>> {
    return reads.page<M>(this.#reads, options)
  }

  /**
   * Every matching record in keyset order, fetched `batchSize` at a time (memory stays flat). Each
   * batch is its own statement: without `asOf` a long stream sees later commits; with it, one instant.
   *
   * @example
   * for await (const user of users.stream({ where: { role: 'admin' }, batchSize: 1_000 })) send(user)
   */
  stream(options: StreamOptions<M> = {}): AsyncIterableIterator<ModelRecord<M>> {
    return reads.stream<M>(this.#reads, options)
  }

  /** How many records match (records, not versions). */
  count(options: Omit<ListOptions<M>, 'orderBy' | 'limit' | 'offset'> = {}): Promise<number> {
    return reads.count<M>(this.#reads, options)
  }

  /** Every audit entry of a record, in the order the changes were applied. */
  getAuditHistory(id: string): Promise<ModelAuditEntry<M>[]> {
    return history.auditHistory<M>(this.#reads, id)
  }

  /** The audit entries of one field of a record. */
  getFieldHistory<K extends ModelKey<M>>(id: string, field: K): Promise<FieldAuditEntry<M, K>[]> {
    return history.fieldHistory<M, K>(this.#reads, id, field)
  }

  /** What one user changed, oldest first, optionally within [from, to]. */
  getChangesByUser(
    userId: ModelActorId<M>,
    options: { from?: Date; to?: Date; limit?: number } = {},
  ): Promise<ModelAuditEntry<M>[]> {
    return history.changesByUser<M>(this.#reads, userId, options)
  }

  /**
   * The record as it was at `at`, rebuilt from its audit trail; null before creation or after removal,
   * and null unless the record belonged to one of the scope's tenants at `at` — the same rule as
   * `get`, and as `asOf` reads of scd2 models: a record transferred away is the new owner's from the
   * transfer on (its whole state then, as `get` shows it), and the old owner's before.
   */
  getStateAt(id: string, at: Date, options: { includeDeleted?: boolean } = {}): Promise<ModelRecord<M> | null> {
    return history.stateAt<M>(this.#reads, id, at, options)
  }

  /** Every version of a record, version ascending (deleted versions included). */
  getVersionHistory(id: string): Promise<ModelRecord<M>[]> {
    return history.versionHistory<M>(this.#reads, id)
  }

  /** One version, or null. */
  getVersion(id: string, version: number): Promise<ModelRecord<M> | null> {
    return history.version<M>(this.#reads, id, version)
  }

  /** The current version (also when it is a deleted one), or null. */
  getCurrentVersion(id: string): Promise<ModelRecord<M> | null> {
    return history.currentVersion<M>(this.#reads, id)
  }

  getVersionCount(id: string): Promise<number> {
    return history.versionCount(this.#reads, id)
  }

  getVersionTimeline(id: string): Promise<VersionTimelineEntry[]> {
    return history.versionTimeline(this.#reads, id)
  }

  /** Field by field: the values in two versions and whether they differ. NotFoundError if either is missing. */
  compareVersions(id: string, from: number, to: number): Promise<VersionComparison<M>> {
    return history.compareVersions<M>(this.#reads, id, from, to)
  }

  /** A new version whose data equals `version`'s. */
  revertTo(id: string, version: number, options: UpdateOptions = {}): Promise<ModelRecord<M>> {
    return history.revertTo<M>(this.#reads, id, version, options, (i, p, o) => this.update(i, p, o))
  }
}
