import type { IdType } from './id-type.js'
import type { LogicalType } from './logical-type.js'
import type { FieldDef, ModelDef, SqlDefault, SystemRole, TemporalStrategy } from './model-def.js'
import { snakeCase } from './naming.js'
import { ModelDefinitionError } from './zod-types.js'

/** Soft delete's fields: every model with `softDelete` (the default) and every scd2 model. */
export interface SoftDeleteFields {
  readonly at: FieldDef
  readonly by: FieldDef
}

/** scd2's fields: the version number and the interval each version is valid in. */
export interface ValidityFields {
  readonly version: FieldDef
  readonly from: FieldDef
  readonly to: FieldDef
}

/**
 * A model's system fields, typed by what every model has (id, timestamps, actors) and what its
 * options add (the tenant, soft delete, scd2's validity), so no caller needs a non-null assertion.
 *
 * @example
 * const { id, validity } = User.def.roles
 * if (validity) console.log(validity.from.column)
 */
export interface SystemFields {
  readonly id: FieldDef
  /** Set when multi-tenant. */
  readonly tenant: FieldDef | undefined
  readonly createdAt: FieldDef
  readonly updatedAt: FieldDef
  readonly createdBy: FieldDef
  readonly updatedBy: FieldDef
  readonly softDelete: SoftDeleteFields | undefined
  readonly validity: ValidityFields | undefined
}

/** The fields by role, from the injected system fields (`defineModel` injects every role it needs). */
export function systemFields(fields: readonly FieldDef[]): SystemFields {
  const byRole = new Map<SystemRole, FieldDef>()
  for (const f of fields) if (f.system) byRole.set(f.system, f)
  const need = (role: SystemRole): FieldDef => {
    const f = byRole.get(role)
    if (!f) throw new ModelDefinitionError(`internal: the model has no ${role} field`)
    return f
  }
  const at = byRole.get('deletedAt')
  const from = byRole.get('validFrom')
  return Object.freeze({
    id: need('id'),
    tenant: byRole.get('tenant'),
    createdAt: need('createdAt'),
    updatedAt: need('updatedAt'),
    createdBy: need('createdBy'),
    updatedBy: need('updatedBy'),
    softDelete: at ? Object.freeze({ at, by: need('deletedBy') }) : undefined,
    validity: from ? Object.freeze({ version: need('version'), from, to: need('validTo') }) : undefined,
  })
}

/** scd2's fields of a model that must be scd2 (a ModelDefinitionError otherwise). */
export function validityOf(def: ModelDef): ValidityFields {
  const v = def.roles.validity
  if (!v) throw new ModelDefinitionError(`Model "${def.table}" is not an scd2 model`)
  return v
}

const UUID: LogicalType = { kind: 'uuid' }
const TIMESTAMP: LogicalType = { kind: 'timestamp' }

/** What decides a model's system fields. */
export interface SystemOptions {
  readonly tenantField: string | undefined
  readonly tenantIdType: IdType
  readonly actorIdType: IdType
  readonly temporal: TemporalStrategy
  readonly softDelete: boolean
}

/**
 * The system fields a model gets, in table order: `head` before the user fields (id, tenant), `tail`
 * after them (scd2's validity, timestamps, actors, soft delete).
 */
export function injectedFields(o: SystemOptions): { head: FieldDef[]; tail: FieldDef[] } {
  const ACTOR = o.actorIdType.type
  const sys = (name: string, role: SystemRole, type: LogicalType, nullable: boolean, dflt?: SqlDefault): FieldDef => ({
    name,
    column: snakeCase(name),
    type,
    nullable,
    acceptsNull: nullable,
    optional: true,
    default: dflt,
    system: role,
    options: {},
  })
  const head: FieldDef[] = [sys('id', 'id', UUID, false)]
  if (o.tenantField) head.push(sys(o.tenantField, 'tenant', o.tenantIdType.type, false))
  const tail: FieldDef[] = []
  if (o.temporal === 'scd2') {
    tail.push(
      sys('version', 'version', { kind: 'integer', size: 'int' }, false),
      sys('validFrom', 'validFrom', TIMESTAMP, false),
      sys('validTo', 'validTo', TIMESTAMP, true),
    )
  }
  tail.push(
    sys('createdAt', 'createdAt', TIMESTAMP, false, { kind: 'now' }),
    sys('updatedAt', 'updatedAt', TIMESTAMP, false, { kind: 'now' }),
    sys('createdBy', 'createdBy', ACTOR, true),
    sys('updatedBy', 'updatedBy', ACTOR, true),
  )
  if (o.softDelete) {
    tail.push(sys('deletedAt', 'deletedAt', TIMESTAMP, true), sys('deletedBy', 'deletedBy', ACTOR, true))
  }
  return { head, tail }
}
