import { execute } from '../db/executor.js'
import { UniqueViolationError, ValidationError } from '../errors.js'
import type { FieldDef, Model, ModelDef } from '../model/define-model.js'
import type { ModelInput, ModelPatch, ModelRecord } from '../model/types.js'
import { and } from '../scope/scope.js'
import { compile, id as ident, q } from '../sql/fragment.js'
import { type PlanSteps, plan } from '../sql/plan.js'
import { readOptions, UPSERT_OPTIONS, validateCreate } from './io.js'
import type { UpsertOptions } from './repository.js'
import { RecordWrites } from './writes.js'
import { type RepositoryCore, repositoryCore } from './writes-core.js'

/**
 * Create the record, or update the live record of the same tenant whose `on` fields equal the
 * input's, in one transaction: the key's live record is locked first; a concurrent upsert that
 * created it meanwhile (unique violation) makes this one an update.
 */
export async function upsert<M extends Model>(
  core: RepositoryCore<M>,
  input: ModelInput<M>,
  options: UpsertOptions<M>,
): Promise<ModelRecord<M>> {
  const { ctx, def, scope, model, scopeOptions } = core
  options = readOptions(options, UPSERT_OPTIONS, 'upsert options') as UpsertOptions<M>
  const on = upsertKey(def, options?.on)
  const { values, tenant } = validateCreate(ctx, input)
  const tenantId = scope.tenantForCreate(tenant)
  const actor = scope.actor(options.userId)
  const issues: ValidationError['issues'][number][] = []
  const key = on.map((f) => {
    const v = values.get(f)
    if (v === null || v === undefined)
      issues.push({ code: 'custom', message: `upsert needs a value for "${f.name}"`, path: [f.name] })
    return q`r.${ident(f.column)} = ${v}`
  })
  if (issues.length) throw new ValidationError('Invalid upsert', issues)
  const s = def.system
  const role = def.roles
  const tenantCol = s.tenant
  const predicates = [...key, ...(tenantCol ? [q`r.${ident(tenantCol.column)} = ${tenantId}`] : [])]
  if (s.deletedAt) predicates.push(q`r.${ident(s.deletedAt.column)} IS NULL`)
  const patch: Record<string, unknown> = { ...(input as Record<string, unknown>) }
  if (def.tenantField) delete patch[def.tenantField]
  // the live record of the key, locked (a plan of one statement, inside the upsert's transaction)
  const lock = compile(
    q`SELECT r.${ident(role.id.column)} AS id FROM ${ctx.main} AS r WHERE ${and(predicates)} FOR UPDATE`,
    ctx.dialect,
  )
  const find = plan('read', function* (): PlanSteps<string | undefined> {
    const { rows } = yield lock
    // a unique key finds one live record at most; anything else would overwrite an arbitrary one
    if (rows.length > 1) invalidOn(`on: [${on.map((f) => f.name).join(', ')}] matched ${rows.length} records`)
    return rows[0]?.id as string | undefined
  })
  const attempt = () =>
    core.db.transaction(async (tx) => {
      const writes = new RecordWrites(repositoryCore(tx, model, scopeOptions))
      const found = await execute(tx, find)
      const userId = actor ?? undefined
      const withUser = userId === undefined ? {} : { userId }
      return found === undefined
        ? writes.create(input, withUser)
        : writes.update(found, patch as ModelPatch<M>, withUser)
    })
  try {
    return await attempt()
  } catch (error) {
    // a concurrent upsert created the record first: it exists now, so this one updates it
    if (error instanceof UniqueViolationError) return attempt()
    throw error
  }
}

const invalidOn = (message: string): never => {
  throw new ValidationError('Invalid upsert', [{ code: 'custom', message, path: ['on'] }])
}

/**
 * The fields of `on`: user fields that are unique (alone, or together as a unique model index) over
 * every live row of the tenant. A unique index with a `where` (indexWhere) is unique only among the
 * rows it covers: the same values may be held by several records outside it, so it is no upsert key.
 */
function upsertKey(def: ModelDef, on: unknown): FieldDef[] {
  const bad = invalidOn
  if (!Array.isArray(on) || on.length === 0) bad('upsert needs { on: [unique fields] }')
  const fields = (on as unknown[]).map((name) => {
    const f = typeof name === 'string' ? def.byName.get(name) : undefined
    if (!f || f.system) return bad(`"${String(name)}" is not a field of ${def.table}`)
    return f
  })
  const names = new Set(fields.map((f) => f.name))
  const covers = (columns: readonly string[]) =>
    columns.length === names.size && columns.every((c) => names.has(c) || names.has(def.byColumn.get(c)?.name ?? ''))
  const field = fields.length === 1 && fields[0]!.options.unique ? fields[0]! : undefined
  const indexes = def.indexes.filter((i) => i.unique && covers(i.columns))
  const whole = (field && field.options.indexWhere === undefined) || indexes.some((i) => i.where === undefined)
  if (!whole) {
    const partial = field !== undefined || indexes.length > 0
    bad(
      `on: [${[...names].join(', ')}] is not a unique key of ${def.table}${partial ? ' (its unique index has a where: it is unique only among the rows the predicate covers)' : ''}`,
    )
  }
  return fields
}
