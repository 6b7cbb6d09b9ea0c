import type { z } from 'zod'
import type { FieldOptions } from './field.js'
import type { LogicalType, ScalarType } from './logical-type.js'

export class ModelDefinitionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelDefinitionError'
  }
}

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
  readonly hasDefault: boolean
}

interface ZodDef {
  readonly type: string
  readonly innerType?: z.ZodType
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[]
  readonly format?: string
  readonly entries?: Record<string, string | number>
  readonly values?: readonly unknown[]
  readonly element?: z.ZodType
  readonly options?: readonly z.ZodType[]
  readonly in?: z.ZodType
  readonly out?: z.ZodType
  readonly defaultValue?: unknown
}

interface CheckDef {
  readonly check: string
  readonly maximum?: number
  readonly minimum?: number
  readonly length?: number
  readonly value?: number | bigint
  readonly inclusive?: boolean
  readonly format?: string
}

const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def

const INT32 = 2 ** 31

/**
 * Read a Zod schema (its `_zod.def`, never patched) into a column description. A table of processors
 * keyed by Zod type; an unknown type fails loudly and names the `type` option.
 */
export function analyzeZod(fieldName: string, schema: z.ZodType, options: FieldOptions): ZodColumn {
  let nullable = false
  let acceptsNull = false
  let optional = false
  let hasDefault = false
  let constantDefault: { value: unknown } | undefined
  let current = schema
  for (;;) {
    const def = defOf(current)
    if (def.type === 'optional') {
      nullable = optional = true
    } else if (def.type === 'nullable') {
      nullable = acceptsNull = true
    } else if (def.type === 'default' || def.type === 'prefault') {
      optional = hasDefault = true
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
  return { type, nullable, acceptsNull, optional, hasDefault, ...(constantDefault && { constantDefault }) }
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
  switch (def.type) {
    case 'string': {
      if (decimal) return decimalType(fieldName, options, false)
      if (def.format === 'uuid' || def.format === 'guid') return { kind: 'uuid' }
      if (def.format === 'date') return { kind: 'date' }
      const max = checks(def).reduce<number | undefined>((m, c) => {
        const limit = c.check === 'max_length' ? c.maximum : c.check === 'length_equals' ? c.length : undefined
        return limit === undefined ? m : Math.min(m ?? limit, limit)
      }, undefined)
      return max === undefined ? { kind: 'string' } : { kind: 'string', maxLength: max }
    }
    case 'number': {
      if (decimal) return decimalType(fieldName, options, true)
      const formats = [def.format, ...checks(def).map((c) => (c.check === 'number_format' ? c.format : undefined))]
      const isInt = formats.some((f) => f === 'safeint' || f === 'int32' || f === 'uint32')
      if (!isInt) return { kind: 'float' }
      if (formats.includes('int32')) return { kind: 'integer', size: 'int' }
      let lo = Number.NEGATIVE_INFINITY
      let hi = Number.POSITIVE_INFINITY
      for (const c of checks(def)) {
        if (c.check === 'greater_than' && typeof c.value === 'number') lo = Math.max(lo, c.value)
        if (c.check === 'less_than' && typeof c.value === 'number') hi = Math.min(hi, c.value)
      }
      return lo >= -INT32 && hi < INT32 ? { kind: 'integer', size: 'int' } : { kind: 'integer', size: 'bigint' }
    }
    case 'bigint':
      return { kind: 'bigint' }
    case 'boolean':
      return { kind: 'boolean' }
    case 'date':
      return { kind: 'timestamp' }
    case 'enum': {
      const values = Object.values(def.entries ?? {})
      if (!values.every((v) => typeof v === 'string')) cannotMap(fieldName, 'an enum with non-string values')
      return { kind: 'enum', values: values as string[] }
    }
    case 'literal': {
      const values = def.values ?? []
      if (values.every((v) => typeof v === 'string')) return { kind: 'enum', values: values as string[] }
      if (values.every((v) => typeof v === 'boolean')) return { kind: 'boolean' }
      if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return { kind: 'integer', size: 'bigint' }
      return cannotMap(fieldName, 'a literal of mixed types')
    }
    case 'object':
    case 'record':
    case 'tuple':
    case 'map':
    case 'any':
    case 'unknown':
    case 'intersection':
      return { kind: 'json' }
    case 'union': {
      const options_ = def.options ?? []
      const kinds = options_.map((o) => defOf(o).type)
      if (kinds.every((k) => k === 'object' || k === 'record' || k === 'array' || k === 'tuple'))
        return { kind: 'json' }
      if (kinds.every((k) => k === 'literal' || k === 'enum')) {
        const values = options_.flatMap((o) => {
          const d = defOf(o)
          return d.type === 'enum' ? Object.values(d.entries ?? {}) : [...(d.values ?? [])]
        })
        if (values.every((v) => typeof v === 'string')) return { kind: 'enum', values: values as string[] }
      }
      return cannotMap(fieldName, `a union of ${kinds.join(' | ')}`)
    }
    case 'array': {
      const element = analyzeElement(def.element!)
      return element ? { kind: 'array', element } : { kind: 'json' }
    }
    case 'pipe':
      return cannotMap(fieldName, 'a transformed schema (pipe/transform)')
    default:
      return cannotMap(fieldName, `Zod type "${def.type}"`)
  }
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

function checks(def: ZodDef): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def)
}
