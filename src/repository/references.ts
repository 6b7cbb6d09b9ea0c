import type { Database } from '../db/database.js'
import { execute } from '../db/executor.js'
import { ValidationError, type ValidationIssue } from '../errors.js'
import { type FieldDef, isModel, type ModelDef } from '../model/define-model.js'
import type { Id } from '../scope/scope.js'
import { and } from '../scope/scope.js'
import { compile, type Fragment, id, join, q } from '../sql/fragment.js'
import { type PlanSteps, plan } from '../sql/plan.js'
import type { Statement } from '../sql/statement.js'
import { contextFor, type RepositoryCore } from './writes-core.js'

/**
 * References never reach another tenant's record. The foreign key of `references: { model }` is on
 * the id alone, so it accepts any tenant's record; between two multi-tenant models every value a
 * write sets is checked here, before the write's SQL, against the target's main table in the
 * written record's tenant (soft-deleted rows count, as they do for the key). A value that does not
 * exist and a value of another tenant get the same error: the check answers nothing about other
 * tenants. String references (`'table.col'`) name no model: the foreign key alone decides.
 */

/** A reference between two multi-tenant models. */
interface TenantReference {
  readonly field: FieldDef
  readonly target: ModelDef
  /** The referenced column of the target (`column`, default `id`). */
  readonly column: string
  readonly tenantColumn: string
}

const resolved = new WeakMap<ModelDef, readonly TenantReference[]>()

/**
 * True when writes of `def` have references to check. Callers test it before awaiting a check, so a
 * write without references keeps its exact timing (no extra turn of the event loop before its SQL).
 */
export const checksReferences = (def: ModelDef): boolean => tenantReferences(def).length > 0

/** The model references of `def` to multi-tenant models (none when `def` is not multi-tenant). */
function tenantReferences(def: ModelDef): readonly TenantReference[] {
  let refs = resolved.get(def)
  if (refs) return refs
  const out: TenantReference[] = []
  if (def.multiTenant) {
    for (const f of def.userFields) {
      const ref = f.options.references
      if (typeof ref !== 'object' || ref === null || typeof ref.model !== 'function') continue
      const target = ref.model()
      if (!isModel(target) || !target.def.multiTenant || !target.def.system.tenant) continue
      out.push({
        field: f,
        target: target.def,
        column: ref.column ?? 'id',
        tenantColumn: target.def.system.tenant.column,
      })
    }
  }
  refs = Object.freeze(out)
  resolved.set(def, refs)
  return refs
}

/** The same issue whether the value is absent or another tenant's: no existence oracle. */
function missing(ref: TenantReference, path: (string | number)[], transfer = false): ValidationIssue {
  const name = ref.field.name
  const where = transfer
    ? 'in the new tenant; transfer the referenced record first, or clear the field'
    : 'in this tenant; reference a record of the same tenant'
  return {
    code: 'custom',
    message: `field "${name}": no ${ref.target.table} record with this ${ref.column} ${where}`,
    path: [...path, name],
  }
}

/** `t.column = value AND t.tenant = tenant` on the target's main table `t`, as an EXISTS subject. */
function targetRow(db: Database, ref: TenantReference, value: unknown, tenant: unknown): Fragment {
  const main = contextFor(ref.target, db).main
  return q`SELECT 1 FROM ${main} AS t WHERE t.${id(ref.column)} = ${value} AND t.${id(ref.tenantColumn)} = ${tenant}`
}

function* rowsOf(statement: Statement): PlanSteps<Record<string, unknown>[]> {
  return (yield statement).rows
}

/** Run one SELECT of the check as a read (on the transaction, inside one). */
async function read(core: RepositoryCore, fragment: Fragment): Promise<Record<string, unknown>[]> {
  const statement = compile(fragment, core.ctx.dialect)
  return execute(
    core.db,
    plan('read', () => rowsOf(statement)),
  )
}

/** Pairs per statement: one scalar subquery (two parameters) each. */
const CHUNK = 500

/**
 * Creates: every non-null reference of every row must exist in that row's tenant. One query per
 * referencing field for all distinct (tenant, value) pairs (chunked past {@link CHUNK}); every
 * problem is an issue of one ValidationError, thrown before the insert.
 */
export async function checkCreateReferences(
  core: RepositoryCore,
  rows: readonly ReadonlyMap<FieldDef, unknown>[],
  pathOf: (index: number) => (string | number)[],
): Promise<void> {
  const refs = tenantReferences(core.def)
  if (refs.length === 0) return
  const tenantField = core.def.system.tenant!
  const issues: ValidationIssue[] = []
  for (const ref of refs) {
    const pairs = new Map<string, { value: unknown; tenant: unknown; rows: number[] }>()
    rows.forEach((row, index) => {
      const value = row.get(ref.field)
      if (value === null || value === undefined) return
      const tenant = row.get(tenantField)
      const key = `${typeof tenant}:${String(tenant)}\u0000${typeof value}:${String(value)}`
      const pair = pairs.get(key)
      if (pair) pair.rows.push(index)
      else pairs.set(key, { value, tenant, rows: [index] })
    })
    const list = [...pairs.values()]
    for (let i = 0; i < list.length; i += CHUNK) {
      const part = list.slice(i, i + CHUNK)
      const columns = part.map((p, j) => q`(${targetRow(core.db, ref, p.value, p.tenant)} LIMIT 1) AS ${id(`c${j}`)}`)
      const [found] = await read(core, q`SELECT ${join(columns)}`)
      part.forEach((p, j) => {
        const hit = found?.[`c${j}`]
        if (hit === null || hit === undefined) for (const index of p.rows) issues.push(missing(ref, pathOf(index)))
      })
    }
  }
  if (issues.length) throw new ValidationError('Invalid input', issues)
}

/**
 * Patches (update, updateMany): every non-null reference the patch sets must exist in the tenant of
 * each record it changes, `rows` being the changed records' predicates on alias `r`. A strict scope
 * has one tenant: the value must exist in it. A permissive scope may change records of several of
 * its tenants: the query looks for a changed record whose tenant lacks the value. One query per field.
 */
export async function checkPatchReferences(
  core: RepositoryCore,
  set: ReadonlyMap<FieldDef, unknown>,
  rows: readonly Fragment[],
): Promise<void> {
  const refs = tenantReferences(core.def)
  if (refs.length === 0) return
  const { scope, ctx, db } = core
  const issues: ValidationIssue[] = []
  for (const ref of refs) {
    const value = set.get(ref.field)
    if (value === null || value === undefined) continue
    let ok: boolean
    if (scope.strict) {
      ok = (await read(core, q`${targetRow(db, ref, value, scope.tenants![0])} LIMIT 1`)).length > 0
    } else {
      const tenant = q`r.${id(scope.tenantColumn!)}`
      const lacking = q`NOT EXISTS (${targetRow(db, ref, value, tenant)})`
      ok =
        (await read(core, q`SELECT 1 AS x FROM ${ctx.main} AS r WHERE ${and([...rows, lacking])} LIMIT 1`)).length === 0
    }
    if (!ok) issues.push(missing(ref, []))
  }
  if (issues.length) throw new ValidationError('Invalid patch', issues)
}

/**
 * transferOwnership: the record's references must exist in the new tenant (the record, `rows` on
 * alias `r`, keeps its values). One query per referencing field; null values need nothing.
 */
export async function checkTransferReferences(
  core: RepositoryCore,
  rows: readonly Fragment[],
  newTenant: Id,
): Promise<void> {
  const refs = tenantReferences(core.def)
  if (refs.length === 0) return
  const { ctx, db } = core
  const issues: ValidationIssue[] = []
  for (const ref of refs) {
    const value = q`r.${id(ref.field.column)}`
    const lacking = q`${value} IS NOT NULL AND NOT EXISTS (${targetRow(db, ref, value, newTenant)})`
    const found = await read(core, q`SELECT 1 AS x FROM ${ctx.main} AS r WHERE ${and([...rows, lacking])} LIMIT 1`)
    if (found.length > 0) issues.push(missing(ref, [], true))
  }
  if (issues.length) throw new ValidationError('Invalid transfer', issues)
}
