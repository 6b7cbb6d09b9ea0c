import type { z } from 'zod'
import { ModelDefinitionError } from '../errors.js'
import type { FieldOptions } from './field.js'
import type { LogicalType, ScalarType } from './logical-type.js'

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
  readonly getter?: () => z.ZodType
  readonly shape?: Record<string, z.ZodType>
  readonly catchall?: z.ZodType
  readonly valueType?: z.ZodType
  readonly items?: readonly z.ZodType[]
  readonly rest?: z.ZodType | null
  readonly left?: z.ZodType
  readonly right?: z.ZodType
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
    case 'any':
    case 'unknown':
    case 'intersection':
      return jsonType(fieldName, schema)
    case 'lazy':
      // z.json() and recursive schemas: what the getter returns, once (a union of JSON values)
      return lazyDepth > 8
        ? cannotMap(fieldName, 'a lazy schema')
        : withLazy(() => mapType(fieldName, def.getter!(), options))
    case 'union': {
      const options_ = def.options ?? []
      const kinds = options_.map((o) => defOf(o).type)
      if (kinds.every((k) => k === 'object' || k === 'record' || k === 'array' || k === 'tuple'))
        return jsonType(fieldName, schema)
      // a union of JSON values with a structured member (z.json()): JSON
      if (kinds.some((k) => STRUCTURED.has(k)) && kinds.every((k) => JSON_MEMBERS.has(k)))
        return jsonType(fieldName, schema)
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
      return element ? { kind: 'array', element } : jsonType(fieldName, schema)
    }
    case 'pipe':
      return cannotMap(fieldName, 'a transformed schema (pipe/transform)')
    default:
      return cannotMap(fieldName, `Zod type "${def.type}"`)
  }
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

const STRUCTURED = new Set(['object', 'record', 'array', 'tuple', 'lazy', 'intersection'])
const JSON_MEMBERS = new Set([
  ...STRUCTURED,
  'string',
  'number',
  'boolean',
  'null',
  'literal',
  'enum',
  'any',
  'unknown',
])

/**
 * Zod types whose values JSON cannot hold faithfully: they would be stored as something else (`{}`
 * for a Map or Set, a string for a Date, nothing for a function) or fail (BigInt).
 */
const NOT_JSON: Record<string, string> = {
  map: 'a Map (stored as {})',
  set: 'a Set (stored as {})',
  date: 'a Date (stored as a string, read back as one)',
  bigint: 'a BigInt (JSON has no BigInt)',
  promise: 'a Promise',
  function: 'a function',
  symbol: 'a symbol',
  nan: 'NaN (stored as null)',
  file: 'a File',
  custom: 'a z.custom() value (unknown shape)',
  pipe: 'a transformed value (pipe/transform: the stored output does not parse again as input)',
  transform: 'a transformed value',
  void: 'undefined',
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

function notJson(schema: z.ZodType, seen: Set<z.ZodType>, at = ''): { what: string; at: string } | undefined {
  if (seen.has(schema)) return undefined
  seen.add(schema)
  const def = defOf(schema)
  const what = NOT_JSON[def.type]
  if (what) return { what, at }
  const children: [z.ZodType | null | undefined, string][] = []
  switch (def.type) {
    case 'object':
      for (const [k, v] of Object.entries(def.shape ?? {})) children.push([v, `${at}.${k}`])
      children.push([def.catchall, `${at}.*`])
      break
    case 'record':
      children.push([def.valueType, `${at}.*`])
      break
    case 'array':
      children.push([def.element, `${at}[]`])
      break
    case 'tuple':
      for (const [i, item] of (def.items ?? []).entries()) children.push([item, `${at}[${i}]`])
      children.push([def.rest, `${at}[]`])
      break
    case 'union':
      for (const o of def.options ?? []) children.push([o, at])
      break
    case 'intersection':
      children.push([def.left, at], [def.right, at])
      break
    case 'lazy':
      children.push([def.getter?.(), at])
      break
    default:
      children.push([def.innerType, at])
  }
  for (const [child, path] of children) {
    if (!child) continue
    const bad = notJson(child, seen, path)
    if (bad) return bad
  }
  return undefined
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
