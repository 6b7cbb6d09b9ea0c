import type { z } from 'zod'
import type { Model, ModelConfig } from './define-model.js'
import type { FieldOptions, FieldSpec } from './field.js'

type Simplify<T> = { [K in keyof T]: T[K] } & {}

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

type SoftDeleteFields<C extends ModelConfig> = C['temporal'] extends 'scd2'
  ? { deletedAt: Date | null; deletedBy: string | null }
  : C['softDelete'] extends false
    ? {}
    : { deletedAt: Date | null; deletedBy: string | null }

type Scd2Fields<C extends ModelConfig> = C['temporal'] extends 'scd2'
  ? { version: number; validFrom: Date; validTo: Date | null }
  : {}

type SystemRecord<C extends ModelConfig> = {
  id: string
  createdAt: Date
  updatedAt: Date
  createdBy: string | null
  updatedBy: string | null
} & { [K in TenantKey<C>]: string } & SoftDeleteFields<C> &
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

/** What reads return for a model: its fields plus the system fields its options inject. */
export type ModelRecord<M extends Model> = Simplify<UserRecord<ConfigOf<M>> & SystemRecord<ConfigOf<M>>>

/** What `create` accepts: the model's fields (optional ones optional) and, when multi-tenant, the tenant. */
export type ModelInput<M extends Model> = Simplify<
  UserInput<ConfigOf<M>> & { [K in TenantKey<ConfigOf<M>>]?: string | undefined }
>

/** What `update` accepts: any subset of the model's own fields. */
export type ModelPatch<M extends Model> = Simplify<{
  [K in keyof Fields<ConfigOf<M>>]?: z.input<SchemaOf<Fields<ConfigOf<M>>[K]>>
}>

/** Property names usable in `where` and `orderBy`. */
export type ModelKey<M extends Model> = keyof ModelRecord<M> & string
