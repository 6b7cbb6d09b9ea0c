import { execute } from '../db/executor.js'
import { NotFoundError, TemporalStrategyError, ValidationError, VersionConflictError } from '../errors.js'
import { uuidv7 } from '../ids.js'
import type { FieldDef, Model, ModelDef } from '../model/define-model.js'
import type { ModelInput, ModelPatch, ModelRecord, ModelTenantId } from '../model/types.js'
import type { Id } from '../scope/scope.js'
import { q, id as sqlId } from '../sql/fragment.js'
import { writePlans } from '../temporal/plans.js'
import { type ChangeRequest, NOW } from '../temporal/requests.js'
import {
  CREATE_MANY_OPTIONS,
  readOptions,
  requireId,
  requireUuid,
  UPDATE_OPTIONS,
  validateCreate,
  validatePatch,
  WRITE_OPTIONS,
} from './io.js'
import { checkCreateReferences, checkPatchReferences, checksReferences, checkTransferReferences } from './references.js'
import type { CreateManyOptions, UpdateOptions, WriteOptions } from './repository.js'
import { type RepositoryCore, written } from './writes-core.js'

type Values = Map<FieldDef, unknown>

/** A TemporalStrategyError unless the model uses `strategy`. */
export function requireStrategy(def: ModelDef, strategy: ModelDef['temporal'], what: string): void {
  if (def.temporal !== strategy) {
    throw new TemporalStrategyError(`${what} needs temporal: '${strategy}'; ${def.table} uses '${def.temporal}'`)
  }
}

/**
 * The single-record writes of a repository: validate, build the request, run the model's write plan
 * (`execute`), map the result to records and errors, invalidate the cache after a write.
 */
export class RecordWrites<M extends Model> {
  readonly #core: RepositoryCore<M>
  constructor(core: RepositoryCore<M>) {
    this.#core = core
  }

  get #plans() {
    return writePlans(this.#core.ctx)
  }

  async create(input: ModelInput<M>, options: WriteOptions = {}): Promise<ModelRecord<M>> {
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const rows = this.#prepare([input])
    if (checksReferences(this.#core.def)) await checkCreateReferences(this.#core, rows, () => [])
    const [record] = await this.#insertPrepared(rows, options.userId)
    return record!
  }

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
    const columns = this.#core.ctx.columns.length
    const requested = options.batchSize ?? 1_000
    const batch = Math.max(1, Math.min(requested, Math.floor(30_000 / columns)))
    const prepared = this.#prepare(inputs)
    // every reference of every batch, before the first batch is written
    if (checksReferences(this.#core.def))
      await checkCreateReferences(this.#core, prepared, (index) => (inputs.length > 1 ? [index] : []))
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
  #prepare(inputs: readonly unknown[]): Values[] {
    const { ctx, def, scope } = this.#core
    const rows: Values[] = []
    const issues: ValidationError['issues'][number][] = []
    const { id: idField, tenant: tenantField } = def.system
    for (let index = 0; index < inputs.length; index++) {
      try {
        const { values, tenant } = validateCreate(ctx, inputs[index], inputs.length > 1 ? [index] : [])
        values.set(idField!, uuidv7())
        const tenantId = scope.tenantForCreate(tenant)
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

  async #insertCount(rows: Values[], userId: Id | undefined): Promise<number> {
    const actor = this.#core.scope.actor(userId)
    const request = { rows, actor, transactionId: uuidv7(), returning: false }
    const { count } = await execute(this.#core.db, this.#plans.insert(request))
    await written(this.#core)
    return count
  }

  async #insertPrepared(rows: Values[], userId: Id | undefined): Promise<ModelRecord<M>[]> {
    const { ctx, def } = this.#core
    const actor = this.#core.scope.actor(userId)
    const plan = this.#plans.insert({ rows, actor, transactionId: uuidv7() })
    const { rows: stored, records } = await execute(this.#core.db, plan)
    await written(this.#core)
    if (records) return records as ModelRecord<M>[]
    // RETURNING order is not guaranteed: answer in the order of the inputs
    const idField = def.roles.id
    const inOrder = stored.length === rows.length && stored.every((r, i) => r[idField.column] === rows[i]!.get(idField))
    const byId = inOrder ? undefined : new Map(stored.map((r) => [r[idField.column] as string, r]))
    return rows.map((row, i) => ctx.decode(byId ? byId.get(row.get(idField) as string)! : stored[i]!) as ModelRecord<M>)
  }

  async update(id: string, patch: ModelPatch<M>, options: UpdateOptions = {}): Promise<ModelRecord<M>> {
    const { ctx, def, scope } = this.#core
    id = requireUuid(id, 'id')
    options = readOptions(options, UPDATE_OPTIONS) as UpdateOptions
    if (options.expectedVersion !== undefined) requireStrategy(def, 'scd2', 'expectedVersion')
    const set = validatePatch(ctx, patch)
    if (checksReferences(def)) await checkPatchReferences(this.#core, set, this.#target(id))
    const result = await this.#change({
      ...this.#request(id, 'live', 'UPDATE', set, [...set.keys()], scope.actor(options.userId)),
      ...(options.expectedVersion !== undefined && { expectedVersion: options.expectedVersion }),
    })
    if (result.state === 'missing') throw new NotFoundError(`${def.table} ${id} not found`)
    const record = ctx.decode(result.row) as ModelRecord<M>
    if (options.expectedVersion !== undefined) {
      const actual = (record as unknown as { version: number }).version
      const expectedAfter = result.state === 'changed' ? options.expectedVersion + 1 : options.expectedVersion
      if (actual !== expectedAfter) {
        throw new VersionConflictError(
          `${def.table} ${id} is at version ${actual}, not ${options.expectedVersion}`,
          options.expectedVersion,
          actual,
        )
      }
    }
    return record
  }

  /** The live record `id` within the scope, on alias `r` (what a reference check reads). */
  #target(id: string) {
    return [q`r.${sqlId(this.#core.def.roles.id.column)} = ${id}`, ...this.#core.scope.writeTarget('r', 'live')]
  }

  /** A change of one row: what every update, delete, restore and transfer sends. */
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
    // an empty patch too: whether the record exists comes from the plan's lock, like every answer
    const result = await execute(this.#core.db, this.#plans.change(this.#core.scope, request))
    if (result.state === 'changed') await written(this.#core)
    return result
  }

  async delete(id: string, options: WriteOptions = {}): Promise<boolean> {
    const { def, scope } = this.#core
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const actor = scope.actor(options.userId)
    const s = def.roles.softDelete
    if (!s) {
      const plan = this.#plans.hardDelete(scope, id, { actor, transactionId: uuidv7() })
      const deleted = await execute(this.#core.db, plan)
      if (deleted) await written(this.#core)
      return deleted
    }
    const set = new Map<FieldDef, unknown>([
      [s.at, NOW],
      [s.by, actor],
    ])
    const result = await this.#change(this.#request(id, 'live', 'DELETE', set, [s.at], actor))
    return result.state === 'changed'
  }

  async restore(id: string, options: WriteOptions = {}): Promise<ModelRecord<M> | null> {
    const { ctx, def, scope } = this.#core
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const s = def.roles.softDelete
    if (!s) throw new TemporalStrategyError(`restore() needs a soft-delete model; ${def.table} has softDelete: false`)
    const set = new Map<FieldDef, unknown>([
      [s.at, null],
      [s.by, null],
    ])
    const actor = scope.actor(options.userId)
    const result = await this.#change(this.#request(id, 'deleted', 'RESTORE', set, [s.at], actor))
    // the plan locked the row whatever its state: missing means absent from the scope
    return result.state === 'missing' ? null : (ctx.decode(result.row) as ModelRecord<M>)
  }

  async purge(id: string): Promise<boolean> {
    id = requireUuid(id, 'id')
    const purged = await execute(this.#core.db, this.#plans.purge(this.#core.scope, id))
    if (purged) await written(this.#core)
    return purged
  }

  async transferOwnership(
    id: string,
    newTenantId: ModelTenantId<M>,
    options: WriteOptions = {},
  ): Promise<ModelRecord<M>> {
    const { ctx, def, scope } = this.#core
    id = requireUuid(id, 'id')
    options = readOptions(options, WRITE_OPTIONS) as WriteOptions
    const tenant = def.system.tenant
    if (!tenant) throw new TemporalStrategyError(`${def.table} is not multi-tenant: nothing to transfer`)
    const tenantId = requireId(def.tenantIdType, newTenantId, 'newTenantId')
    newTenantId = tenantId as ModelTenantId<M>
    if (checksReferences(this.#core.def)) await checkTransferReferences(this.#core, this.#target(id), tenantId)
    const set = new Map<FieldDef, unknown>([[tenant, newTenantId]])
    const actor = scope.actor(options.userId)
    const result = await this.#change(this.#request(id, 'live', 'TRANSFER', set, [tenant], actor))
    if (result.state === 'missing') throw new NotFoundError(`${def.table} ${id} not found`)
    return ctx.decode(result.row) as ModelRecord<M>
  }
}
