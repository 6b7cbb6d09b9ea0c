import { execute } from '../db/executor.js'
import { TemporalStrategyError, ValidationError } from '../errors.js'
import { uuidv7 } from '../ids.js'
import type { FieldDef, Model } from '../model/define-model.js'
import type { ModelPatch } from '../model/types.js'
import type { Fragment } from '../sql/fragment.js'
import { writePlans } from '../temporal/plans.js'
import { NOW, type SetChangeRequest } from '../temporal/requests.js'
import { readOptions, SET_WRITE_OPTIONS, validatePatch } from './io.js'
import { checkPatchReferences, checksReferences } from './references.js'
import type { SetWriteOptions, Where } from './repository.js'
import { compileWhere } from './where.js'
import { type RepositoryCore, written } from './writes-core.js'

/**
 * The set writes of a repository (updateMany, deleteMany, restoreMany): validate the filter and
 * the patch, run the model's set plan, invalidate the cache when something changed.
 */
export class SetWrites<M extends Model> {
  readonly #core: RepositoryCore<M>
  constructor(core: RepositoryCore<M>) {
    this.#core = core
  }

  async updateMany(where: Where<M>, patch: ModelPatch<M>, options: SetWriteOptions = {}): Promise<number> {
    const { ctx, scope } = this.#core
    options = readOptions(options, SET_WRITE_OPTIONS, 'updateMany options') as SetWriteOptions
    const predicates = this.#setWhere(where, options, 'updateMany')
    const set = validatePatch(ctx, patch)
    const actor = scope.actor(options.userId)
    if (set.size === 0) return 0
    if (checksReferences(this.#core.def))
      await checkPatchReferences(this.#core, set, [...predicates, ...scope.writeTarget('r', 'live')])
    return this.#changeMany({
      where: predicates,
      filter: 'live',
      set,
      operation: 'UPDATE',
      audited: [...set.keys()],
      actor,
    })
  }

  async deleteMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    const { def, scope, ctx, db } = this.#core
    options = readOptions(options, SET_WRITE_OPTIONS, 'deleteMany options') as SetWriteOptions
    const predicates = this.#setWhere(where, options, 'deleteMany')
    const actor = scope.actor(options.userId)
    const s = def.roles.softDelete
    if (!s) {
      const n = await execute(db, writePlans(ctx).deleteMany(scope, predicates, { actor, transactionId: uuidv7() }))
      if (n > 0) await written(this.#core)
      return n
    }
    const set = new Map<FieldDef, unknown>([
      [s.at, NOW],
      [s.by, actor],
    ])
    return this.#changeMany({
      where: predicates,
      filter: 'live',
      set,
      operation: 'DELETE',
      audited: [s.at],
      actor,
    })
  }

  async restoreMany(where: Where<M>, options: SetWriteOptions = {}): Promise<number> {
    const { def, scope } = this.#core
    options = readOptions(options, SET_WRITE_OPTIONS, 'restoreMany options') as SetWriteOptions
    const s = def.roles.softDelete
    if (!s) {
      throw new TemporalStrategyError(`restoreMany() needs a soft-delete model; ${def.table} has softDelete: false`)
    }
    const predicates = this.#setWhere(where, options, 'restoreMany')
    const actor = scope.actor(options.userId)
    const set = new Map<FieldDef, unknown>([
      [s.at, null],
      [s.by, null],
    ])
    return this.#changeMany({
      where: predicates,
      filter: 'deleted',
      set,
      operation: 'RESTORE',
      audited: [s.at],
      actor,
    })
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
    const predicates = compileWhere(this.#core.ctx, where, 'r')
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
    const { ctx, scope, db } = this.#core
    const n = await execute(db, writePlans(ctx).changeMany(scope, { ...request, transactionId: uuidv7() }))
    if (n > 0) await written(this.#core)
    return n
  }
}
