import type { z } from 'zod'
import { ModelDefinitionError } from '../errors.js'
import type { FieldOptions } from './field.js'
import type { LogicalType, ScalarType } from './logical-type.js'
import { defOf } from './zod-def.js'
import { notJson } from './zod-json.js'
import { PROCESSORS } from './zod-processors.js'

export { ModelDefinitionError }

export interface ZodColumn {
  readonly type: LogicalType
  /** `.optional()` or `.nullable()` somewhere in the wrapper chain. */
  readonly nullable: boolean
  /** `.nullable()` somewhere in the wrapper chain: records carry `null` (else `undefined`) for NULL. */
  readonly acceptsNull: boolean
  /** The value may be left out on create (optional or defaulted). */
  readonly optional: boolean
  /** A `.default()` whose value is a constant (becomes the SQL default). */
  readonly constantDefault?: { readonly value: unknown }
}

/**
 * Read a Zod schema (its `_zod.def`, never patched) into a column description. A table of processors
 * keyed by Zod type; an unknown type fails loudly and names the `type` option.
 */
export function analyzeZod(fieldName: string, schema: z.ZodType, options: FieldOptions): ZodColumn {
  let nullable = false
  let acceptsNull = false
  let optional = false
  let constantDefault: { value: unknown } | undefined
  let current = schema
  for (;;) {
    const def = defOf(current)
    if (def.type === 'optional') {
      nullable = optional = true
    } else if (def.type === 'nullable') {
      nullable = acceptsNull = true
    } else if (def.type === 'default' || def.type === 'prefault') {
      optional = true
      if (def.type === 'default') constantDefault = readConstantDefault(current)
    } else if (def.type === 'readonly' || def.type === 'catch' || def.type === 'nonoptional') {
      // wrappers that do not change the stored type
    } else {
      break
    }
    current = def.innerType!
  }
  const mapped = safeMap(fieldName, current, options)
  const type: LogicalType =
    options.type !== undefined
      ? { kind: 'native', sql: options.type, value: mapped.ok ? mapped.type : undefined }
      : mapped.ok
        ? mapped.type
        : fail(mapped.error)
  return { type, nullable, acceptsNull, optional, ...(constantDefault && { constantDefault }) }
}

function fail(message: string): never {
  throw new ModelDefinitionError(message)
}

function safeMap(
  fieldName: string,
  schema: z.ZodType,
  options: FieldOptions,
): { ok: true; type: LogicalType } | { ok: false; error: string } {
  try {
    return { ok: true, type: mapType(fieldName, schema, options) }
  } catch (error) {
    if (error instanceof ModelDefinitionError) return { ok: false, error: error.message }
    throw error
  }
}

/** `.default(x)` is a SQL default when reading it twice gives the same plain value. */
function readConstantDefault(schema: z.ZodType): { value: unknown } | undefined {
  const def = defOf(schema)
  const a = def.defaultValue
  const b = defOf(schema).defaultValue
  if (a === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof a)) {
    return a === b ? { value: a } : undefined
  }
  if (typeof a === 'object' && !(a instanceof Date) && JSON.stringify(a) === JSON.stringify(b)) return { value: a }
  return undefined
}

function cannotMap(fieldName: string, what: string): never {
  throw new ModelDefinitionError(
    `Field "${fieldName}": cannot map ${what} to a column type; give it a native type with field(schema, { type: '…' })`,
  )
}

function mapType(fieldName: string, schema: z.ZodType, options: FieldOptions): LogicalType {
  const def = defOf(schema)
  const decimal = options.precision !== undefined || options.scale !== undefined
  if (decimal && def.type !== 'string' && def.type !== 'number') {
    throw new ModelDefinitionError(
      `Field "${fieldName}": precision/scale apply to string (exact) or number fields only`,
    )
  }
  const process = PROCESSORS.get(def.type)
  const cannot = (what: string) => cannotMap(fieldName, what)
  if (!process) return cannot(`Zod type "${def.type}"`)
  return process({
    schema,
    def,
    decimal,
    map: (other) => withLazy(() => mapType(fieldName, other, options)),
    json: () => jsonType(fieldName, schema),
    decimalType: (asNumber) => decimalType(fieldName, options, asNumber),
    element: analyzeElement,
    cannotMap: cannot,
    lazyDepth,
  })
}

let lazyDepth = 0
function withLazy<T>(f: () => T): T {
  lazyDepth++
  try {
    return f()
  } finally {
    lazyDepth--
  }
}

/** JSON, after checking that every type nested in the schema is one JSON holds faithfully. */
function jsonType(fieldName: string, schema: z.ZodType): LogicalType {
  const bad = notJson(schema, new Set())
  if (bad) {
    throw new ModelDefinitionError(
      `Field "${fieldName}": stored as JSON, which cannot hold ${bad.what}${bad.at ? ` at ${bad.at}` : ''}; give it a native type with field(schema, { type: '…' }) or change the schema`,
    )
  }
  return { kind: 'json' }
}

/** Scalar array elements become native arrays (PostgreSQL); anything else is JSON. */
function analyzeElement(schema: z.ZodType): ScalarType | undefined {
  const def = defOf(schema)
  if (
    ['object', 'record', 'array', 'tuple', 'union', 'any', 'unknown', 'optional', 'nullable', 'default'].includes(
      def.type,
    )
  ) {
    return undefined
  }
  try {
    const t = mapType('(array element)', schema, {})
    return t.kind === 'json' || t.kind === 'array' || t.kind === 'native' ? undefined : t
  } catch {
    return undefined
  }
}

function decimalType(fieldName: string, options: FieldOptions, asNumber: boolean): LogicalType {
  const precision = options.precision ?? 38
  const scale = options.scale ?? 0
  if (!Number.isInteger(precision) || precision < 1 || precision > 65) {
    throw new ModelDefinitionError(`Field "${fieldName}": precision must be an integer from 1 to 65`)
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new ModelDefinitionError(`Field "${fieldName}": scale must be an integer from 0 to precision (${precision})`)
  }
  return { kind: 'decimal', precision, scale, asNumber }
}
