import type { Database } from '../db/database.js'
import {
  NotFoundError,
  TemporalStrategyError,
  UniqueViolationError,
  ValidationError,
  VersionConflictError,
} from '../errors.js'
import { uuidv7 } from '../ids.js'
import { ModelContext } from '../mapping/model-context.js'
import { decodeValue, fromAuditJson, sameValue } from '../model/codec.js'
import type { FieldDef, Model, ModelDef } from '../model/define-model.js'
import type { ModelActorId, ModelInput, ModelKey, ModelPatch, ModelRecord, ModelTenantId } from '../model/types.js'
import { AUDIT_COLUMNS as A } from '../schema/from-models.js'
import { and, type Id, Scope, type ScopeOptions } from '../scope/scope.js'
import { compile, type Fragment, id as ident, join, Prepared, q, Slot } from '../sql/fragment.js'
import { asOfCandidates, correlatedVersions, versionsAt } from '../temporal/as-of.js'
import { cteWriter } from '../temporal/cte-writer.js'
import { cteSetWriter, type SetChangeRequest, type SetWriter, txSetWriter } from '../temporal/set-writer.js'
import { txWriter } from '../temporal/tx-writer.js'
import { type AuditOperation, type ChangeRequest, NOW, type Writer } from '../temporal/writer.js'
import { type CacheOptions, type CacheStore, memoryCache, stableKey } from './cache.js'
import {
  CHANGES_OPTIONS,
  COUNT_OPTIONS,
  CREATE_MANY_OPTIONS,
  LIST_OPTIONS,
  PAGE_OPTIONS,
  READ_OPTIONS,
  readIds,
  readOptions,
  SET_WRITE_OPTIONS,
  STATE_OPTIONS,
  STREAM_OPTIONS,
  UPDATE_OPTIONS,
  UPSERT_OPTIONS,
  WRITE_OPTIONS,
} from './input.js'
import { Keyset } from './keyset.js'
import { decodeRow, requireDate, requireId, requireUuid, validateCreate, validatePatch } from './records.js'
import {
  checkPaging,
  compileOrderBy,
  compileWhere,
  inList,
  MAX_IN_LIST,
  type OrderDirection,
  orderByFragment,
} from './where.js'

type Row = Record<string, unknown>

/** Most records looked up one by one on constants in one `asOf` statement (engines without correlatedTopN). */
const MAX_LOOKUPS = 1_000

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

/** What `db.repository(Model, options)` takes: the tenant scope, the actor, and an optional cache. */
export interface RepositoryOptions extends ScopeOptions {
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

const setWriters = new WeakMap<ModelContext, SetWriter>()

const contexts = new WeakMap<ModelDef, Map<string, { ctx: ModelContext; writer: Writer }>>()

function contextFor(def: ModelDef, db: Database): { ctx: ModelContext; writer: Writer } {
  let byEngine = contexts.get(def)
  if (!byEngine) {
    byEngine = new Map()
    contexts.set(def, byEngine)
  }
  let entry = byEngine.get(db.dialect.name)
  if (!entry) {
    const ctx = new ModelContext(def, db.dialect)
    entry = { ctx, writer: db.dialect.capabilities.returning ? cteWriter(ctx) : txWriter(ctx) }
    byEngine.set(db.dialect.name, entry)
  }
  return entry
}

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
  readonly #db: Database
  readonly #scope: Scope
  readonly #scopeOptions: ScopeOptions
  readonly #ctx: ModelContext
  readonly #writer: Writer
  readonly #cache: { store: CacheStore; ttlMs: number; scopeKey: string } | undefined

  /** @internal use `db.repository(Model, scope)` */
  constructor(db: Database, model: M, options: RepositoryOptions = {}) {
    this.model = model
    this.#db = db
    const { cache, ...scope } = options
    this.#scopeOptions = scope
    this.#scope = new Scope(model.def, scope)
    const { ctx, writer } = contextFor(model.def, db)
    this.#ctx = ctx
    this.#writer = writer
    if (cache) {
      const runtime = db.runtime
      runtime.defaultCache ??= memoryCache()
      const store = cache.store ?? runtime.defaultCache
      runtime.cacheStores.add(store)
      const tenants = this.#scope.tenants
      // strict and permissive scopes never share entries, nor do different tenant lists
      // each tenant quoted: text ids may contain ',' (['a,b', 'c'] and ['a', 'b,c'] are different scopes)
      const scopeKey = tenants ? `${this.#scope.strict ? 's' : 'p'}:${stableKey([...tenants].map(String).sort())}` : '-'
      this.#cache = { store, ttlMs: cache.ttlMs ?? 30_000, scopeKey }
    }
  }

  /**
   * Cached reads, keyed by the table (database, schema, table) and its generation, the model's shape,
   * the scope, the method and its arguments; copies in, copies out.
   */
  async #cached<T>(method: string, args: unknown, load: () => Promise<T>): Promise<T> {
    const cache = this.#cache
    if (!cache || this.#db.inTransaction) return load()
    const table = this.#cacheTable
    const generation = await cache.store.generation(table)
    const key = `${table}:${generation}:${this.#ctx.shape}:${cache.scopeKey}:${method}:${stableKey(args)}`
    const hit = await cache.store.get(key)
    if (hit !== undefined) return (hit as { v: T }).v
    const value = await load()
    await cache.store.set(key, { v: value }, cache.ttlMs)
    return value
  }

  /**
   * The table as cache stores know it: a store may serve several databases (Redis across processes,
   * one memory store given to two connections), and a table name may exist in several schemas.
   * Generations are per table, so a write through any model of the table invalidates every shape.
   */
  get #cacheTable(): string {
    return `${this.#db.runtime.identity}|${this.#def.schema ?? ''}.${this.#def.table}`
  }

  /** After a write commits: every cache store of this database forgets the table's entries. */
  async #written(): Promise<void> {
    const { cacheStores, options } = this.#db.runtime
    if (cacheStores.size === 0) return
    const table = this.#cacheTable
    await this.#db.afterCommit(async () => {
      for (const store of cacheStores) {
        await store.bump(table).catch((error: unknown) =>
          // the write has committed: report, do not fail it (entries expire with their TTL)
          options.logger?.error({ err: error, table }, 'ff-storage: cache invalidation failed'),
        )
      }
    })
  }

  get #def(): ModelDef {
    return this.model.def
  }

  // ─── writes ───────────────────────────────────────────────────────────────────────────────────

  /** Create a record; returns it as stored (defaults applied, decimals in column scale). */
  async create(input: ModelInput<M>, options: WriteOptions = {}): Promise<ModelRecord<M>> {
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const [record] = await this.#insertPrepared(this.#prepare([input]), options.userId)
    return record!
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
  async createMany(
    inputs: readonly ModelInput<M>[],
    options: CreateManyOptions = {},
  ): Promise<ModelRecord<M>[] | number> {
    if (!Array.isArray(inputs)) {
      throw new ValidationError('createMany takes an array', [
        { code: 'custom', message: 'expected an array', path: [] },
      ])
    }
    options = readOptions(options, CREATE_MANY_OPTIONS) as CreateManyOptions
    const returning = options.returning !== false
    if (inputs.length === 0) return returning ? [] : 0
    const columns = this.#ctx.columns.length
    const requested = options.batchSize ?? 1_000
    const batch = Math.max(1, Math.min(requested, Math.floor(30_000 / columns)))
    const prepared = this.#prepare(inputs)
    const out: ModelRecord<M>[] = []
    let count = 0
    for (let i = 0; i < prepared.length; i += batch) {
      const chunk = prepared.slice(i, i + batch)
      if (returning) out.push(...(await this.#insertPrepared(chunk, options.userId)))
      else count += await this.#insertCount(chunk, options.userId)
    }
    return returning ? out : count
  }

  /** Validate every input first, so nothing is written when any of them is invalid. */
  #prepare(inputs: readonly unknown[]): Map<FieldDef, unknown>[] {
    const rows: Map<FieldDef, unknown>[] = []
    const issues: ValidationError['issues'][number][] = []
    const { id: idField, tenant: tenantField } = this.#def.system
    for (let index = 0; index < inputs.length; index++) {
      try {
        const { values, tenant } = validateCreate(this.#ctx, inputs[index], inputs.length > 1 ? [index] : [])
        values.set(idField!, uuidv7())
        const tenantId = this.#scope.tenantForCreate(tenant)
        if (tenantId !== undefined) values.set(tenantField!, tenantId)
        rows.push(values)
      } catch (error) {
        if (error instanceof ValidationError) issues.push(...error.issues)
        else throw error
      }
    }
    if (issues.length) throw new ValidationError('Invalid input', issues)
    return rows
  }

  async #insertCount(rows: Map<FieldDef, unknown>[], userId: Id | undefined): Promise<number> {
    const actor = this.#scope.actor(userId)
    const { count } = await this.#writer.insert(this.#db, this.#scope, {
      rows,
      actor,
      transactionId: uuidv7(),
      returning: false,
    })
    await this.#written()
    return count
  }

  async #insertPrepared(rows: Map<FieldDef, unknown>[], userId: Id | undefined): Promise<ModelRecord<M>[]> {
    const actor = this.#scope.actor(userId)
    const { rows: stored, records } = await this.#writer.insert(this.#db, this.#scope, {
      rows,
      actor,
      transactionId: uuidv7(),
    })
    await this.#written()
    if (records) return records as ModelRecord<M>[]
    // RETURNING order is not guaranteed: answer in the order of the inputs
    const idField = this.#def.system.id!
    const inOrder = stored.length === rows.length && stored.every((r, i) => r[idField.column] === rows[i]!.get(idField))
    const byId = inOrder ? undefined : new Map(stored.map((r) => [r[idField.column] as string, r]))
    return rows.map(
      (row, i) => decodeRow(this.#ctx, byId ? byId.get(row.get(idField) as string)! : stored[i]!) as ModelRecord<M>,
    )
  }

  /** Apply a patch; writes nothing when nothing changes. NotFoundError when absent or deleted. */
  async update(id: string, patch: ModelPatch<M>, options: UpdateOptions = {}): Promise<ModelRecord<M>> {
    id = requireUuid(id, 'id')
    options = readOptions(options, UPDATE_OPTIONS) as UpdateOptions
    if (options.expectedVersion !== undefined) this.#require('scd2', 'expectedVersion')
    const set = validatePatch(this.#ctx, patch)
    const result = await this.#change({
      ...this.#request(id, 'live', 'UPDATE', set, [...set.keys()], this.#scope.actor(options.userId)),
      ...(options.expectedVersion !== undefined && { expectedVersion: options.expectedVersion }),
    })
    if (result.state === 'missing') throw new NotFoundError(`${this.#def.table} ${id} not found`)
    const record = decodeRow(this.#ctx, result.row) as ModelRecord<M>
    if (options.expectedVersion !== undefined) {
      const actual = (record as unknown as { version: number }).version
      const expectedAfter = result.state === 'changed' ? options.expectedVersion + 1 : options.expectedVersion
      if (actual !== expectedAfter) {
        throw new VersionConflictError(
          `${this.#def.table} ${id} is at version ${actual}, not ${options.expectedVersion}`,
          options.expectedVersion,
          actual,
        )
      }
    }
    return record
  }

  /** A change of one row: what every update, delete, restore and transfer sends to the writer. */
  #request(
    id: string,
    filter: ChangeRequest['filter'],
    operation: ChangeRequest['operation'],
    set: ReadonlyMap<FieldDef, unknown>,
    audited: readonly FieldDef[],
    actor: Id | null,
  ): ChangeRequest {
    return { id, filter, set, operation, audited, actor, transactionId: uuidv7() }
  }

  async #change(request: ChangeRequest) {
    // an empty patch too: whether the record exists comes from the writer's lock, like every answer
    const result = await this.#writer.change(this.#db, this.#scope, request)
    if (result.state === 'changed') await this.#written()
    return result
  }

  /** Soft-delete (or hard-delete on models without soft delete). False when absent or already deleted. */
  async delete(id: string, options: WriteOptions = {}): Promise<boolean> {
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const actor = this.#scope.actor(options.userId)
    const s = this.#def.system
    if (!s.deletedAt) {
      const deleted = await this.#writer.hardDelete(this.#db, this.#scope, id, actor, uuidv7())
      if (deleted) await this.#written()
      return deleted
    }
    const set = new Map<FieldDef, unknown>([
      [s.deletedAt, NOW],
      [s.deletedBy!, actor],
    ])
    const result = await this.#change(this.#request(id, 'live', 'DELETE', set, [s.deletedAt], actor))
    return result.state === 'changed'
  }

  /** Undo a soft delete; returns the record (unchanged if it was not deleted) or null when absent. */
  async restore(id: string, options: WriteOptions = {}): Promise<ModelRecord<M> | null> {
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const s = this.#def.system
    if (!s.deletedAt)
      throw new TemporalStrategyError(`restore() needs a soft-delete model; ${this.#def.table} has softDelete: false`)
    const set = new Map<FieldDef, unknown>([
      [s.deletedAt, null],
      [s.deletedBy!, null],
    ])
    const actor = this.#scope.actor(options.userId)
    const result = await this.#change(this.#request(id, 'deleted', 'RESTORE', set, [s.deletedAt], actor))
    // the writer locked the row whatever its state: missing means absent from the scope
    return result.state === 'missing' ? null : (decodeRow(this.#ctx, result.row) as ModelRecord<M>)
  }

  /** Hard-delete a record with its audit trail or versions. Explicit and irreversible. */
  async purge(id: string): Promise<boolean> {
    id = requireUuid(id, 'id')
    const purged = await this.#writer.purge(this.#db, this.#scope, id)
    if (purged) await this.#written()
    return purged
  }

  /** Move a record to another tenant (recorded as TRANSFER / a new version). */
  async transferOwnership(
    id: string,
    newTenantId: ModelTenantId<M>,
    options: WriteOptions = {},
  ): Promise<ModelRecord<M>> {
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const tenant = this.#def.system.tenant
    if (!tenant) throw new TemporalStrategyError(`${this.#def.table} is not multi-tenant: nothing to transfer`)
    newTenantId = requireId(this.#def.tenantIdType, newTenantId, 'newTenantId') as ModelTenantId<M>
    const set = new Map<FieldDef, unknown>([[tenant, newTenantId]])
    const actor = this.#scope.actor(options.userId)
    const result = await this.#change(this.#request(id, 'live', 'TRANSFER', set, [tenant], actor))
    if (result.state === 'missing') throw new NotFoundError(`${this.#def.table} ${id} not found`)
    return decodeRow(this.#ctx, result.row) as ModelRecord<M>
  }

  // ─── set operations ──────────────────────────────────────────────────────────────────────────

  /**
   * Apply `patch` to every record matching `where` (live records in scope), atomically, audited like
   * `update` (one audit entry per changed field, one new version per changed scd2 record). Records
   * already equal to the patch are not written. Returns how many records changed. An empty `where`
   * needs `{ all: true }`.
   *
   * @example
   * await users.updateMany({ role: 'trial' }, { role: 'free' }, { userId })
   */
  async updateMany(where: Where<M>, patch: ModelPatch<M>, options: SetWriteOptions = {}): Promise<number> {
    options = readOptions(options, SET_WRITE_OPTIONS, 'updateMany options') as SetWriteOptions
    const predicates = this.#setWhere(where, options, 'updateMany')
    const set = validatePatch(this.#ctx, patch)
    const actor = this.#scope.actor(options.userId)
    if (set.size === 0) return 0
    return this.#changeMany({
      where: predicates,
      filter: 'live',
      set,
      operation: 'UPDATE',
      audited: [...set.keys()],
      actor,
    })
  }

  /**
   * Delete every record matching `where` (soft on soft-delete models), atomically, audited like
   * `delete`. Returns how many records were deleted. An empty `where` needs `{ all: true }`.
   */
  async deleteMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    options = readOptions(options, SET_WRITE_OPTIONS, 'deleteMany options') as SetWriteOptions
    const predicates = this.#setWhere(where, options, 'deleteMany')
    const actor = this.#scope.actor(options.userId)
    const s = this.#def.system
    if (!s.deletedAt) {
      const n = await this.#setWriter.deleteMany(this.#db, this.#scope, predicates, actor, uuidv7())
      if (n > 0) await this.#written()
      return n
    }
    const set = new Map<FieldDef, unknown>([
      [s.deletedAt, NOW],
      [s.deletedBy!, actor],
    ])
    return this.#changeMany({
      where: predicates,
      filter: 'live',
      set,
      operation: 'DELETE',
      audited: [s.deletedAt],
      actor,
    })
  }

  /** Restore every soft-deleted record matching `where`; returns how many. An empty `where` needs `{ all: true }`. */
  async restoreMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    options = readOptions(options, SET_WRITE_OPTIONS, 'restoreMany options') as SetWriteOptions
    const s = this.#def.system
    if (!s.deletedAt) {
      throw new TemporalStrategyError(
        `restoreMany() needs a soft-delete model; ${this.#def.table} has softDelete: false`,
      )
    }
    const predicates = this.#setWhere(where, options, 'restoreMany')
    const actor = this.#scope.actor(options.userId)
    const set = new Map<FieldDef, unknown>([
      [s.deletedAt, null],
      [s.deletedBy!, null],
    ])
    return this.#changeMany({
      where: predicates,
      filter: 'deleted',
      set,
      operation: 'RESTORE',
      audited: [s.deletedAt],
      actor,
    })
  }

  /**
   * Create the record, or update the live record of the same tenant whose `on` fields (unique fields
   * of the model) equal the input's: audited as INSERT or UPDATE. Returns the record.
   *
   * @example
   * await users.upsert({ email, name, age }, { on: ['email'], userId })
   */
  async upsert(input: ModelInput<M>, options: UpsertOptions<M>): Promise<ModelRecord<M>> {
    options = readOptions(options, UPSERT_OPTIONS, 'upsert options') as UpsertOptions<M>
    const on = this.#upsertKey(options?.on)
    const { values, tenant } = validateCreate(this.#ctx, input)
    const tenantId = this.#scope.tenantForCreate(tenant)
    const actor = this.#scope.actor(options.userId)
    const issues: ValidationError['issues'][number][] = []
    const key = on.map((f) => {
      const v = values.get(f)
      if (v === null || v === undefined)
        issues.push({ code: 'custom', message: `upsert needs a value for "${f.name}"`, path: [f.name] })
      return q`r.${ident(f.column)} = ${v}`
    })
    if (issues.length) throw new ValidationError('Invalid upsert', issues)
    const s = this.#def.system
    const tenantCol = s.tenant
    const predicates = [...key, ...(tenantCol ? [q`r.${ident(tenantCol.column)} = ${tenantId}`] : [])]
    if (s.deletedAt) predicates.push(q`r.${ident(s.deletedAt.column)} IS NULL`)
    const patch: Record<string, unknown> = { ...(input as Record<string, unknown>) }
    if (this.#def.tenantField) delete patch[this.#def.tenantField]
    const attempt = () =>
      this.#db.transaction(async (tx) => {
        const repo = new Repository(tx, this.model, this.#scopeOptions)
        const { rows } = await tx.run<Row>(
          compile(
            q`SELECT r.${idColumn(this.#def)} AS id FROM ${this.#ctx.main} AS r WHERE ${and(predicates)} FOR UPDATE`,
            this.#ctx.dialect,
          ),
        )
        const found = rows[0]?.id as string | undefined
        const userId = actor ?? undefined
        const withUser = userId === undefined ? {} : { userId }
        return found === undefined ? repo.create(input, withUser) : repo.update(found, patch as ModelPatch<M>, withUser)
      })
    try {
      return await attempt()
    } catch (error) {
      // a concurrent upsert created the record first: it exists now, so this one updates it
      if (error instanceof UniqueViolationError) return attempt()
      throw error
    }
  }

  /** The fields of `on`: user fields that are unique (alone, or together as a unique model index). */
  #upsertKey(on: unknown): FieldDef[] {
    const bad = (message: string): never => {
      throw new ValidationError('Invalid upsert', [{ code: 'custom', message, path: ['on'] }])
    }
    if (!Array.isArray(on) || on.length === 0) bad('upsert needs { on: [unique fields] }')
    const fields = (on as unknown[]).map((name) => {
      const f = typeof name === 'string' ? this.#def.byName.get(name) : undefined
      if (!f || f.system) return bad(`"${String(name)}" is not a field of ${this.#def.table}`)
      return f
    })
    const names = new Set(fields.map((f) => f.name))
    const single = fields.length === 1 && fields[0]!.options.unique
    const composite = this.#def.indexes.some(
      (i) =>
        i.unique &&
        i.columns.length === names.size &&
        i.columns.every((c) => names.has(c) || names.has(this.#def.byColumn.get(c)?.name ?? '')),
    )
    if (!single && !composite) bad(`on: [${[...names].join(', ')}] is not a unique key of ${this.#def.table}`)
    return fields
  }

  #setWhere(where: unknown, options: SetWriteOptions, method: string): Fragment[] {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Invalid ${method} options`, [
        { code: 'custom', message: 'expected an object', path: [] },
      ])
    }
    if (options.all !== undefined && typeof options.all !== 'boolean') {
      throw new ValidationError(`Invalid ${method} options`, [
        { code: 'custom', message: 'all must be true or false', path: ['all'] },
      ])
    }
    const predicates = compileWhere(this.#ctx, where, 'r')
    if (predicates.length === 0 && options.all !== true) {
      throw new ValidationError(`${method} with an empty where needs { all: true }`, [
        {
          code: 'custom',
          message: `an empty where changes every record in scope: pass { all: true }`,
          path: ['where'],
        },
      ])
    }
    return predicates
  }

  async #changeMany(request: Omit<SetChangeRequest, 'transactionId'>): Promise<number> {
    const n = await this.#setWriter.changeMany(this.#db, this.#scope, { ...request, transactionId: uuidv7() })
    if (n > 0) await this.#written()
    return n
  }

  get #setWriter(): SetWriter {
    let writer = setWriters.get(this.#ctx)
    if (!writer) {
      writer = this.#ctx.dialect.capabilities.returning ? cteSetWriter(this.#ctx) : txSetWriter(this.#ctx)
      setWriters.set(this.#ctx, writer)
    }
    return writer
  }

  // ─── reads ────────────────────────────────────────────────────────────────────────────────────

  /** One record, or null. `asOf` (scd2) reads it as it was then. */
  async get(id: string, options: ReadOptions = {}): Promise<ModelRecord<M> | null> {
    id = requireUuid(id, 'id')
    options = this.#readOptions(options, READ_OPTIONS)
    return this.#cached('get', [id, options], async () => {
      const row = await this.#readOne(id, options)
      return row ? (decodeRow(this.#ctx, row) as ModelRecord<M>) : null
    })
  }

  async #readOne(id: string, options: ReadOptions): Promise<Row | undefined> {
    const includeDeleted = options.includeDeleted === true
    let at: Date | undefined
    if (options.asOf !== undefined) {
      this.#require('scd2', 'asOf')
      at = requireDate(options.asOf, 'asOf')
    }
    // the statement depends only on this repository's scope and the options used: compiled once
    const shape = (at ? 2 : 0) + (includeDeleted ? 1 : 0)
    let prepared = this.#byId.get(shape)
    if (!prepared) {
      const where = and([q`r.${idColumn(this.#def)} = ${READ_ID}`, ...this.#scope.read('r', includeDeleted)])
      const source = at ? this.#versionAt(READ_ID, READ_AT) : q`${this.#ctx.main} AS r`
      prepared = new Prepared(q`SELECT ${this.#ctx.select('r')} FROM ${source} WHERE ${where}`, this.#ctx.dialect)
      this.#byId.set(shape, prepared)
    }
    return (await this.#db.runRead<Row>(prepared.bind((slot) => (slot === READ_ID ? id : at)))).rows[0]
  }

  readonly #byId = new Map<number, Prepared>()

  /** Several records by id: a Map in the order of `ids`, null for each one not found. */
  async getMany(ids: readonly string[], options: ReadOptions = {}): Promise<Map<string, ModelRecord<M> | null>> {
    ids = readIds(ids)
    options = this.#readOptions(options, READ_OPTIONS)
    return this.#cached('getMany', [ids, options], () => this.#getMany(ids, options))
  }

  async #getMany(ids: readonly string[], options: ReadOptions): Promise<Map<string, ModelRecord<M> | null>> {
    const result = new Map<string, ModelRecord<M> | null>(ids.map((i) => [i, null]))
    if (ids.length === 0) return result
    const unique = [...new Set(ids)]
    // one array parameter on PostgreSQL; chunks within the placeholder limit on MySQL/MariaDB
    const chunk = this.#ctx.pg ? unique.length : MAX_IN_LIST / 2
    for (let i = 0; i < unique.length; i += chunk) {
      const part = unique.slice(i, i + chunk)
      const source = await this.#source(options.asOf, part)
      const where = and([this.#idIn('r', part), ...this.#scope.read('r', options.includeDeleted)])
      const { rows } = await this.#run(q`SELECT ${this.#ctx.select('r')} FROM ${source} WHERE ${where}`)
      for (const row of rows) {
        const record = decodeRow(this.#ctx, row) as ModelRecord<M>
        result.set((record as { id: string }).id, record)
      }
    }
    return result
  }

  /** Records matching `where`, ordered (default `createdAt desc, id`), paged (default 100 from 0). */
  async list(options: ListOptions<M> = {}): Promise<ModelRecord<M>[]> {
    options = this.#readOptions(options, LIST_OPTIONS)
    const { limit, offset } = checkPaging(options.limit, options.offset)
    const predicates = [
      ...this.#scope.read('r', options.includeDeleted),
      ...compileWhere(this.#ctx, options.where, 'r'),
    ]
    const order = compileOrderBy(this.#def, options.orderBy, 'r')
    return this.#cached('list', options, async () => {
      const source = await this.#source(options.asOf)
      const { rows } = await this.#run(
        q`SELECT ${this.#ctx.select('r')} FROM ${source} WHERE ${and(predicates)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
      )
      return rows.map((r) => decodeRow(this.#ctx, r) as ModelRecord<M>)
    })
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
  async page(options: PageOptions<M> = {}): Promise<Page<M>> {
    options = this.#readOptions(options, PAGE_OPTIONS)
    const limit = options.limit ?? 100
    const includeDeleted = options.includeDeleted === true
    const asOf = options.asOf
    const predicates = [...this.#scope.read('r', includeDeleted), ...compileWhere(this.#ctx, options.where, 'r')]
    const keyset = new Keyset(this.#ctx, {
      where: options.where,
      orderBy: options.orderBy,
      tenants: this.#scope.tenants,
      strict: this.#scope.strict,
      asOf,
      includeDeleted,
    })
    if (options.after !== undefined && options.after !== null) predicates.push(keyset.after(options.after, 'r'))
    const source = asOf === undefined ? keyset.table('r') : await this.#source(asOf)
    const { rows } = await this.#run(
      q`SELECT ${this.#ctx.select('r')} FROM ${source} WHERE ${and(predicates)} ORDER BY ${orderByFragment(keyset.items, 'r')} LIMIT ${limit + 1}`,
    )
    const records = rows.slice(0, limit).map((r) => decodeRow(this.#ctx, r) as ModelRecord<M>)
    const next = rows.length > limit ? keyset.cursor(records[limit - 1] as Record<string, unknown>) : null
    return { records, next }
  }

  /**
   * Every matching record in keyset order, fetched `batchSize` at a time (memory stays flat). Each
   * batch is its own statement: without `asOf` a long stream sees later commits; with it, one instant.
   *
   * @example
   * for await (const user of users.stream({ where: { role: 'admin' }, batchSize: 1_000 })) send(user)
   */
  stream(options: StreamOptions<M> = {}): AsyncIterableIterator<ModelRecord<M>> {
    // read here, before the first batch: a bad option throws at the call, not at the first next()
    const { batchSize, ...query } = readOptions(options, STREAM_OPTIONS) as StreamOptions<M>
    const limit = batchSize ?? 1_000
    const pages = async function* (repo: Repository<M>) {
      let after: string | null = null
      do {
        const page: Page<M> = await repo.page({ ...query, limit, after })
        yield* page.records
        after = page.next
      } while (after !== null)
    }
    return pages(this)
  }

  /** How many records match (records, not versions). */
  async count(options: Omit<ListOptions<M>, 'orderBy' | 'limit' | 'offset'> = {}): Promise<number> {
    options = this.#readOptions(options, COUNT_OPTIONS)
    const predicates = [
      ...this.#scope.read('r', options.includeDeleted),
      ...compileWhere(this.#ctx, options.where, 'r'),
    ]
    const { rows } = await this.#run(
      q`SELECT count(*) AS n FROM ${await this.#source(options.asOf)} WHERE ${and(predicates)}`,
    )
    return Number(rows[0]?.n ?? 0)
  }

  /**
   * One record's version at an instant, as `r`: the current row if it was already valid then, else
   * the newest closed version that started by then (a backward index scan on (id, valid_from): the
   * cost does not grow with the number of versions), if it was still valid then.
   */
  #versionAt(recordId: unknown, at: unknown): Fragment {
    const s = this.#def.system
    const idCol = ident(s.id!.column)
    const from = ident(s.validFrom!.column)
    const to = ident(s.validTo!.column)
    const ctx = this.#ctx
    return q`(SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE c.${idCol} = ${recordId} AND c.${from} <= ${at}
      UNION ALL SELECT ${ctx.select('v')} FROM (SELECT ${ctx.select('h')} FROM ${ctx.history} AS h
        WHERE h.${idCol} = ${recordId} AND h.${from} <= ${at} ORDER BY h.${from} DESC LIMIT 1) AS v WHERE v.${to} > ${at}) AS r`
  }

  /**
   * The main table, or (scd2 with asOf) each record's version at that instant, as `r`. Candidates are
   * the records in scope now plus those that left the scope by a transfer after the instant; for
   * each, its version is found with one index lookup (the newest `valid_from` not after the instant,
   * `ORDER BY … DESC LIMIT 1` on `(id, valid_from)`), so the cost grows with the records listed, not
   * with their history.
   */
  async #source(asOf: Date | undefined, ids?: readonly string[]): Promise<Fragment> {
    if (asOf === undefined) return q`${this.#ctx.main} AS r`
    this.#require('scd2', 'asOf')
    const at = requireDate(asOf, 'asOf')
    if (!this.#ctx.dialect.capabilities.correlatedTopN) return this.#sourceByLookups(at, ids)
    const ctx = this.#ctx
    const { idCol } = this.#validity()
    const candidates = ids
      ? q`SELECT k.${idCol} AS id FROM ${ctx.main} AS k WHERE ${this.#idIn('k', ids)}`
      : this.#candidates(at)
    return q`${versionsAt(ctx, candidates, at)} AS r`
  }

  /** `alias.id IN (ids)`: one array parameter on PostgreSQL (see inList). */
  #idIn(alias: string, ids: readonly string[]): Fragment {
    const idField = this.#def.system.id!
    return inList(this.#ctx, idField, q`${ident(alias)}.${ident(idField.column)}`, false, ids)!
  }

  #validity() {
    const s = this.#def.system
    return { idCol: ident(s.id!.column), from: ident(s.validFrom!.column), to: ident(s.validTo!.column) }
  }

  /** See `asOfCandidates` (src/temporal/as-of.ts). */
  #candidates(at: Date, where?: Fragment, except: readonly string[] = []): Fragment {
    return asOfCandidates(this.#ctx, this.#scope, at, where, except)
  }

  #correlatedVersions(candidates: Fragment, at: Date): Fragment {
    return correlatedVersions(this.#ctx, candidates, at)
  }

  /**
   * `#source` on engines whose correlated `ORDER BY … LIMIT 1` reads every index entry under the id
   * (MariaDB): the records changed since the instant are fetched first (one indexed query), then each
   * one's version is found by a lookup on constants, which seeks straight to (id, instant). Records
   * changed between the two statements are caught by a correlated lookup restricted to them.
   */
  async #sourceByLookups(at: Date, ids?: readonly string[]): Promise<Fragment> {
    const ctx = this.#ctx
    const { idCol, from, to } = this.#validity()
    const lookup = (recordId: string) =>
      q`(SELECT ${ctx.select('h')} FROM ${ctx.history} AS h WHERE h.${idCol} = ${recordId} AND h.${from} <= ${at} ORDER BY h.${from} DESC LIMIT 1)`
    const looked = (list: readonly string[]) =>
      list.length === 0
        ? q``
        : q` UNION ALL SELECT * FROM (${join(list.map(lookup), ' UNION ALL ')}) AS v WHERE v.${to} > ${at}`
    if (ids) {
      // the given ids (distinct): each looked up, or beyond MAX_LOOKUPS every version valid then
      const inIds = (alias: string) => this.#idIn(alias, ids)
      const current = q`SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE ${inIds('c')} AND c.${from} <= ${at}`
      return ids.length <= MAX_LOOKUPS
        ? q`(${current}${looked(ids)}) AS r`
        : q`(${current} UNION ALL SELECT ${ctx.select('h')} FROM ${ctx.history} AS h WHERE ${inIds('h')} AND h.${from} <= ${at} AND h.${to} > ${at}) AS r`
    }
    const changed = q`k.${from} > ${at}`
    const { rows } = await this.#run(q`${this.#candidates(at, changed)} LIMIT ${MAX_LOOKUPS + 1}`)
    const known = rows.length <= MAX_LOOKUPS ? rows.map((r) => r.id as string) : []
    const inScope = this.#scope.tenants ? q` AND ${this.#scope.tenantPredicate('c')}` : q``
    return q`(SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE c.${from} <= ${at}${inScope}${looked(known)}
      UNION ALL ${this.#correlatedVersions(this.#candidates(at, changed, known), at)}) AS r`
  }

  // ─── copy_on_change ───────────────────────────────────────────────────────────────────────────

  /** Every audit entry of a record, in the order the changes were applied. */
  async getAuditHistory(id: string): Promise<ModelAuditEntry<M>[]> {
    this.#require('copy_on_change', 'getAuditHistory')
    id = requireUuid(id, 'id')
    return this.#audit([q`a.${ident(A.recordId)} = ${id}`])
  }

  /** The audit entries of one field of a record. */
  async getFieldHistory<K extends ModelKey<M>>(id: string, field: K): Promise<FieldAuditEntry<M, K>[]> {
    this.#require('copy_on_change', 'getFieldHistory')
    id = requireUuid(id, 'id')
    const f = this.#def.byName.get(field)
    if (!f || (f.system && f.system !== 'tenant' && f.system !== 'deletedAt')) {
      throw new ValidationError('Invalid field', [
        { code: 'custom', message: `"${String(field)}" is not an audited field`, path: ['field'] },
      ])
    }
    return (await this.#audit([
      q`a.${ident(A.recordId)} = ${id}`,
      q`a.${ident(A.fieldName)} = ${f.name}`,
    ])) as FieldAuditEntry<M, K>[]
  }

  /** What one user changed, oldest first, optionally within [from, to]. */
  async getChangesByUser(
    userId: ModelActorId<M>,
    options: { from?: Date; to?: Date; limit?: number } = {},
  ): Promise<ModelAuditEntry<M>[]> {
    this.#require('copy_on_change', 'getChangesByUser')
    userId = requireId(this.#def.actorIdType, userId, 'userId') as ModelActorId<M>
    options = readOptions(options, CHANGES_OPTIONS) as typeof options
    const predicates = [q`a.${ident(A.changedBy)} = ${userId}`]
    if (options.from !== undefined) predicates.push(q`a.${ident(A.changedAt)} >= ${options.from}`)
    if (options.to !== undefined) predicates.push(q`a.${ident(A.changedAt)} <= ${options.to}`)
    const limit = options.limit ?? 1_000
    return this.#audit(predicates, limit)
  }

  /** Audit entries matching `predicates`, within the scope's tenants unless `scoped` is false. */
  async #audit(predicates: Fragment[], limit?: number, scoped = true): Promise<ModelAuditEntry<M>[]> {
    const tenant = this.#def.system.tenant
    const actor = this.#def.system.createdBy!
    const family = this.#ctx.pg ? 'postgres' : 'mysql'
    const where = and(
      [...predicates, ...(scoped ? [this.#scope.tenantPredicate('a')] : [])].filter((p) => p.parts.length > 0),
    )
    const json = new Set<string>([A.oldValue, A.newValue])
    // JSON values as text on every engine, parsed here: one decoding path
    const column = (c: string) =>
      !json.has(c)
        ? q`a.${ident(c)}`
        : this.#ctx.pg
          ? q`a.${ident(c)}::text AS ${ident(c)}`
          : q`CAST(a.${ident(c)} AS CHAR) AS ${ident(c)}`
    const { rows } = await this.#run(
      q`SELECT a.${ident(A.auditId)}, ${join(this.#ctx.auditColumns.map(column))} FROM ${this.#ctx.audit} AS a WHERE ${where} ORDER BY a.${ident(A.auditId)}${limit !== undefined ? q` LIMIT ${limit}` : q``}`,
    )
    return rows.map((r) => {
      const field = typeof r[A.fieldName] === 'string' ? this.#def.byName.get(r[A.fieldName] as string) : undefined
      const decode = (v: unknown) => fromAuditJson(field, typeof v === 'string' ? JSON.parse(v) : null)
      return {
        auditId: Number(r[A.auditId]),
        recordId: r[A.recordId] as string,
        tenantId: tenant ? (decodeValue(tenant, r[tenant.column], family) as ModelTenantId<M>) : null,
        fieldName: (r[A.fieldName] as string | null) ?? null,
        oldValue: decode(r[A.oldValue]),
        newValue: decode(r[A.newValue]),
        operation: r[A.operation] as AuditOperation,
        changedAt: r[A.changedAt] as Date,
        changedBy: (decodeValue(actor, r[A.changedBy], family) as ModelActorId<M> | null) ?? null,
        transactionId: r[A.transactionId] as string,
      }
    })
  }

  /**
   * The record as it was at `at`, rebuilt from its audit trail; null before creation or after removal,
   * and null unless the record belonged to one of the scope's tenants at `at` — the same rule as
   * `get`, and as `asOf` reads of scd2 models: a record transferred away is the new owner's from the
   * transfer on (its whole state then, as `get` shows it), and the old owner's before.
   */
  async getStateAt(id: string, at: Date, options: { includeDeleted?: boolean } = {}): Promise<ModelRecord<M> | null> {
    this.#require('copy_on_change', 'getStateAt')
    id = requireUuid(id, 'id')
    const when = requireDate(at, 'at')
    options = readOptions(options, STATE_OPTIONS) as typeof options
    // the whole trail (a transfer moves a record's history with it); the owner at `at` decides below
    const entries = await this.#audit(
      [q`a.${ident(A.recordId)} = ${id}`, q`a.${ident(A.changedAt)} <= ${when}`],
      undefined,
      false,
    )
    const s = this.#def.system
    let state: Record<string, unknown> | null = null
    for (const e of entries) {
      if (e.operation === 'INSERT') {
        if (!state) {
          state = { id: e.recordId }
          if (s.tenant) state[s.tenant.name] = e.tenantId
          for (const f of this.#def.userFields) state[f.name] = f.acceptsNull ? null : undefined
          state[s.createdAt!.name] = e.changedAt
          state[s.createdBy!.name] = e.changedBy
          if (s.deletedAt) {
            state[s.deletedAt.name] = null
            state[s.deletedBy!.name] = null
          }
        }
      } else if (!state) {
        continue
      }
      if (e.operation === 'DELETE' && !s.deletedAt) {
        state = null
        continue
      }
      if (e.fieldName !== null) {
        const f = this.#def.byName.get(e.fieldName)
        if (f) state[f.name] = e.newValue === null && !f.acceptsNull ? undefined : e.newValue
      }
      if (e.operation === 'DELETE' && s.deletedBy) state[s.deletedBy.name] = e.changedBy
      if (e.operation === 'RESTORE' && s.deletedBy) state[s.deletedBy.name] = null
      state[s.updatedAt!.name] = e.changedAt
      state[s.updatedBy!.name] = e.changedBy
    }
    if (!state) return null
    if (s.tenant && !this.#scope.includes(state[s.tenant.name])) return null
    if (s.deletedAt && state[s.deletedAt.name] && !options.includeDeleted) return null
    const ordered: Record<string, unknown> = {}
    for (const f of this.#def.fields) ordered[f.name] = state[f.name]
    return ordered as ModelRecord<M>
  }

  // ─── scd2 ─────────────────────────────────────────────────────────────────────────────────────

  async #versions(recordId: string, version?: number): Promise<ModelRecord<M>[]> {
    this.#require('scd2', 'version history')
    recordId = requireUuid(recordId, 'id')
    const s = this.#def.system
    const ctx = this.#ctx
    const v = ident(s.version!.column)
    const predicates = [q`r.${idColumn(this.#def)} = ${recordId}`, this.#scope.tenantPredicate('r')]
    if (version !== undefined) predicates.push(q`r.${v} = ${version}`)
    const { rows } = await this.#run(
      q`SELECT ${ctx.select('r')} FROM (SELECT ${ctx.select('c')} FROM ${ctx.main} AS c UNION ALL SELECT ${ctx.select('h')} FROM ${ctx.history} AS h) AS r
        WHERE ${and(predicates.filter((p) => p.parts.length > 0))} ORDER BY r.${v}`,
    )
    return rows.map((r) => decodeRow(ctx, r) as ModelRecord<M>)
  }

  /** Every version of a record, version ascending (deleted versions included). */
  async getVersionHistory(id: string): Promise<ModelRecord<M>[]> {
    return this.#versions(id)
  }

  /** One version, or null. */
  async getVersion(id: string, version: number): Promise<ModelRecord<M> | null> {
    if (!Number.isSafeInteger(version)) {
      throw new ValidationError('Invalid version', [
        { code: 'custom', message: 'version must be an integer', path: ['version'] },
      ])
    }
    return (await this.#versions(id, version))[0] ?? null
  }

  /** The current version (also when it is a deleted one), or null. */
  async getCurrentVersion(id: string): Promise<ModelRecord<M> | null> {
    this.#require('scd2', 'getCurrentVersion')
    return this.get(id, { includeDeleted: true })
  }

  async getVersionCount(id: string): Promise<number> {
    return (await this.#versions(id)).length
  }

  async getVersionTimeline(id: string): Promise<VersionTimelineEntry[]> {
    const versions = (await this.#versions(id)) as unknown as {
      version: number
      validFrom: Date
      validTo: Date | null
      deletedAt: Date | null
    }[]
    return versions.map((v) => ({
      version: v.version,
      validFrom: v.validFrom,
      validTo: v.validTo,
      isCurrent: v.validTo === null,
      isDeleted: v.deletedAt !== null,
    }))
  }

  /** Field by field: the values in two versions and whether they differ. NotFoundError if either is missing. */
  async compareVersions(id: string, from: number, to: number): Promise<VersionComparison<M>> {
    const [a, b] = await Promise.all([this.getVersion(id, from), this.getVersion(id, to)])
    if (!a || !b) throw new NotFoundError(`${this.#def.table} ${id} has no version ${!a ? from : to}`)
    const out: Record<string, { old: unknown; new: unknown; changed: boolean }> = {}
    for (const f of this.#def.userFields) {
      const o = (a as Record<string, unknown>)[f.name]
      const n = (b as Record<string, unknown>)[f.name]
      out[f.name] = { old: o, new: n, changed: !sameValue(f, o, n) }
    }
    return out as VersionComparison<M>
  }

  /** A new version whose data equals `version`'s. */
  async revertTo(id: string, version: number, options: UpdateOptions = {}): Promise<ModelRecord<M>> {
    const old = await this.getVersion(id, version)
    if (!old) throw new NotFoundError(`${this.#def.table} ${id} has no version ${version}`)
    const patch: Record<string, unknown> = {}
    for (const f of this.#def.userFields) patch[f.name] = (old as Record<string, unknown>)[f.name]
    return this.update(id, patch as ModelPatch<M>, options)
  }

  // ─── helpers ──────────────────────────────────────────────────────────────────────────────────

  /**
   * A read's options, type-checked (own data properties, unknown keys refused) before anything uses
   * them: the cache key included. `asOf` is also checked against the model's strategy here.
   */
  #readOptions<O extends ReadOptions>(options: O, readers: Parameters<typeof readOptions>[1]): O {
    const read = readOptions(options, readers) as unknown as O
    if (read.asOf !== undefined) this.#require('scd2', 'asOf')
    return read
  }

  #require(strategy: ModelDef['temporal'], what: string): void {
    if (this.#def.temporal !== strategy) {
      throw new TemporalStrategyError(
        `${what} needs temporal: '${strategy}'; ${this.#def.table} uses '${this.#def.temporal}'`,
      )
    }
  }

  /** A read (the only statements run here; writes go through the writer): retried like one. */
  #run(fragment: Fragment) {
    return this.#db.runRead<Row>(compile(fragment, this.#ctx.dialect))
  }
}

/** The id column of a model (the name `id` is taken by parameters in this file). */
const idColumn = (def: ModelDef) => ident(def.system.id!.column)
/** Stands for the id in a statement compiled once. */
const READ_ID = new Slot('id')
const READ_AT = new Slot('asOf')
