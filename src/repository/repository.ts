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
import type { FieldDef, Model, ModelDef } from '../model/define-model.js'
import type { ModelActorId, ModelInput, ModelKey, ModelPatch, ModelRecord, ModelTenantId } from '../model/types.js'
import { and, type Id, Scope, type ScopeOptions } from '../scope/scope.js'
import { compile, type Fragment, id as ident, q } from '../sql/fragment.js'
import { cteWriter } from '../temporal/cte-writer.js'
import { cteSetWriter, type SetChangeRequest, type SetWriter, txSetWriter } from '../temporal/set-writer.js'
import { txWriter } from '../temporal/tx-writer.js'
import { type ChangeRequest, NOW, type Writer } from '../temporal/writer.js'
import { type CacheStore, memoryCache, stableKey } from './cache.js'
import * as history from './history.js'
import {
  CREATE_MANY_OPTIONS,
  readOptions,
  SET_WRITE_OPTIONS,
  UPDATE_OPTIONS,
  UPSERT_OPTIONS,
  WRITE_OPTIONS,
} from './input.js'
import * as reads from './reads.js'
import { type ReadContext, requireStrategy } from './reads.js'
import { decodeRow, requireId, requireUuid, validateCreate, validatePatch } from './records.js'
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
import { compileWhere } from './where.js'

type Row = Record<string, unknown>

/** The option, entry and per-strategy repository types (moved to types.ts, re-exported here). */
export type * from './types.js'

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

  /** What the read and history modules need of this repository (built once). */
  get #reads(): ReadContext {
    this.#readContext ??= {
      db: this.#db,
      ctx: this.#ctx,
      scope: this.#scope,
      byId: new Map(),
      cached: (method, args, load) => this.#cached(method, args, load),
    }
    return this.#readContext
  }

  #readContext: ReadContext | undefined

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

  // ─── copy_on_change ───────────────────────────────────────────────────────────────────────────

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

  // ─── scd2 ─────────────────────────────────────────────────────────────────────────────────────

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

  // ─── helpers ──────────────────────────────────────────────────────────────────────────────────

  #require(strategy: ModelDef['temporal'], what: string): void {
    requireStrategy(this.#def, strategy, what)
  }
}

/** The id column of a model (the name `id` is taken by parameters in this file). */
const idColumn = (def: ModelDef) => ident(def.system.id!.column)
