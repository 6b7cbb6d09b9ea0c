import type { z } from 'zod'
import type { Model, ModelConfig } from './define-model.js'
import type { FieldOptions, FieldSpec } from './field.js'

type SchemaOf<F> = F extends FieldSpec<infer S, FieldOptions> ? S : F extends z.ZodType ? F : never

type Fields<C extends ModelConfig> = C['fields']

type UserRecord<C extends ModelConfig> = {
  [K in keyof Fields<C>]: z.output<SchemaOf<Fields<C>[K]>>
}

type TenantKey<C extends ModelConfig> = C['multiTenant'] extends false
  ? never
  : C['tenantField'] extends string
    ? C['tenantField']
    : 'tenantId'

/** The type of an id option: what its Zod schema outputs, a string (UUID) when not given. */
type IdOf<S> = S extends z.ZodType ? z.output<S> : string
type IdInputOf<S> = S extends z.ZodType ? z.input<S> : string
type TenantIdOf<C extends ModelConfig> = IdOf<C['tenantIdType']>
type ActorIdOf<C extends ModelConfig> = IdOf<C['actorIdType']>

type SoftDeleteFields<C extends ModelConfig> = C['temporal'] extends 'scd2'
  ? { deletedAt: Date | null; deletedBy: ActorIdOf<C> | null }
  : C['softDelete'] extends false
    ? {}
    : { deletedAt: Date | null; deletedBy: ActorIdOf<C> | null }

type Scd2Fields<C extends ModelConfig> = C['temporal'] extends 'scd2'
  ? { version: number; validFrom: Date; validTo: Date | null }
  : {}

type SystemRecord<C extends ModelConfig> = {
  id: string
  createdAt: Date
  updatedAt: Date
  createdBy: ActorIdOf<C> | null
  updatedBy: ActorIdOf<C> | null
} & { [K in TenantKey<C>]: TenantIdOf<C> } & SoftDeleteFields<C> &
  Scd2Fields<C>

/** Keys whose input may be omitted (optional or defaulted). */
type OptionalInputKeys<C extends ModelConfig> = {
  [K in keyof Fields<C>]: undefined extends z.input<SchemaOf<Fields<C>[K]>>
    ? K
    : Fields<C>[K] extends FieldSpec<z.ZodType, { sqlDefault: string }>
      ? K
      : never
}[keyof Fields<C>]

type UserInput<C extends ModelConfig> = {
  [K in Exclude<keyof Fields<C>, OptionalInputKeys<C>>]: z.input<SchemaOf<Fields<C>[K]>>
} & {
  [K in OptionalInputKeys<C>]?: z.input<SchemaOf<Fields<C>[K]>>
}

type ConfigOf<M> = M extends Model<infer C> ? C : never

type RecordOf<C extends ModelConfig> = UserRecord<C> & SystemRecord<C>
type InputOf<C extends ModelConfig> = UserInput<C> & {
  [K in TenantKey<C>]?: IdInputOf<C['tenantIdType']> | undefined
}

// Each public type is one mapped type (not an alias of a helper): editors and the API docs then
// show `ModelRecord<typeof User>` instead of the expansion.

/** What reads return for a model: its fields plus the system fields its options inject. */
export type ModelRecord<M extends Model> = {
  [K in keyof RecordOf<ConfigOf<M>>]: RecordOf<ConfigOf<M>>[K]
}

/** What `create` accepts: the model's fields (optional ones optional) and, when multi-tenant, the tenant. */
export type ModelInput<M extends Model> = {
  [K in keyof InputOf<ConfigOf<M>>]: InputOf<ConfigOf<M>>[K]
}

/** What `update` accepts: any subset of the model's own fields. */
export type ModelPatch<M extends Model> = {
  // null clears an optional field (its column holds NULL); undefined leaves it as it is
  [K in keyof Fields<ConfigOf<M>>]?:
    | z.input<SchemaOf<Fields<ConfigOf<M>>[K]>>
    | (undefined extends z.input<SchemaOf<Fields<ConfigOf<M>>[K]>> ? null : never)
}

/** Property names usable in `where` and `orderBy`. */
export type ModelKey<M extends Model> = keyof ModelRecord<M> & string

/** A tenant id of the model: `string` (UUID or text id) unless `tenantIdType` says otherwise (e.g. `bigint`). */
export type ModelTenantId<M extends Model> = TenantIdOf<ConfigOf<M>>

/** A user id of the model (createdBy, updatedBy, changedBy): `string` unless `actorIdType` says otherwise. */
export type ModelActorId<M extends Model> = ActorIdOf<ConfigOf<M>>
