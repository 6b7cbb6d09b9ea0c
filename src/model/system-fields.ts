import type { FieldDef, ModelDef, SystemRole } from './define-model.js'
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
