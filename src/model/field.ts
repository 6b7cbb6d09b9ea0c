import type { z } from 'zod'

export type ReferentialAction = 'CASCADE' | 'RESTRICT' | 'SET NULL' | 'SET DEFAULT' | 'NO ACTION'
export type IndexMethod = 'btree' | 'hash' | 'gin' | 'gist' | 'brin' | 'spgist'

export interface IndexOptions {
  /** Index name; default `{table}_{columns}_idx` (shortened with a hash past 63 bytes). */
  readonly name?: string
  /** Partial-index predicate, raw SQL over column names. */
  readonly where?: string
  readonly method?: IndexMethod
}

/** A model-level reference: `{ model: () => Category, column: 'id' }`. */
export interface ModelReference {
  /** Returns the referenced model; anything else is reported by validateModel and refused by schema sync. */
  readonly model: () => unknown
  readonly column?: string
}

/** Database metadata of a field (the seed library's `db_*` options). */
export interface FieldOptions {
  /** Column name; default: the property name in snake_case. */
  readonly column?: string
  /** Create an index on this column (true, or name / where / method). */
  readonly index?: boolean | IndexOptions
  /**
   * Unique among live rows on soft-delete models; on multi-tenant models unique within the tenant
   * (`true`), or across all tenants (`'global'`: a violation then tells one tenant that another holds
   * the value).
   */
  readonly unique?: boolean | 'global'
  /** Predicate of the field's index (makes it partial). */
  readonly indexWhere?: string
  /** Foreign key: `'categories.id'`, `'public.categories(id)'` or `{ model: () => Category }`. */
  readonly references?: string | ModelReference
  readonly onDelete?: ReferentialAction
  readonly onUpdate?: ReferentialAction
  /** CHECK constraint, raw SQL over column names. */
  readonly check?: string
  /** Native SQL type, used verbatim (e.g. `'smallint'`, `'char(2)'`). */
  readonly type?: string
  /** SQL expression default, used verbatim (e.g. `'now()'`). */
  readonly sqlDefault?: string
  /** Decimal precision (total digits); with `scale`, a string field becomes an exact decimal. */
  readonly precision?: number
  readonly scale?: number
}

export const FIELD = Symbol.for('ff-storage.field')

/** A Zod schema with database options, as returned by {@link field}. */
export interface FieldSpec<S extends z.ZodType = z.ZodType, O extends FieldOptions = FieldOptions> {
  readonly [FIELD]: true
  readonly schema: S
  readonly options: O
}

/** Either a bare Zod schema or `field(schema, options)`. */
export type FieldInput = z.ZodType | FieldSpec

/**
 * A field with database options.
 *
 * @example
 * email: field(z.email().max(255), { unique: true, index: true })
 * price: field(z.string(), { precision: 10, scale: 2 })
 */
export function field<S extends z.ZodType, const O extends FieldOptions = {}>(
  schema: S,
  // unknown keys (`{ uniqe: true }`) do not compile; defineModel refuses them at run time too
  options: O & { readonly [K in Exclude<keyof O, keyof FieldOptions>]: never } = {} as never,
): FieldSpec<S, O> {
  return Object.freeze({ [FIELD]: true as const, schema, options: Object.freeze({ ...options }) })
}

export function isFieldSpec(value: unknown): value is FieldSpec {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FIELD] === true
}
