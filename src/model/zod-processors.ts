import type { z } from 'zod'
import type { LogicalType, ScalarType } from './logical-type.js'
import { checks, defOf, type ZodDef } from './zod-def.js'
import { JSON_MEMBERS, STRUCTURED } from './zod-json.js'

const INT32 = 2 ** 31

/** What a processor reads, and the ways back into the mapping (the same field, the same options). */
export interface MapContext {
  readonly schema: z.ZodType
  readonly def: ZodDef
  /** `precision` or `scale` is set: the field is an exact decimal (string) or a float with a precision. */
  readonly decimal: boolean
  /** The type of another schema of the same field (a lazy schema's target). */
  map(schema: z.ZodType): LogicalType
  /** JSON, once every nested type is one JSON holds faithfully. */
  json(): LogicalType
  /** The decimal type of the field's precision/scale. */
  decimalType(asNumber: boolean): LogicalType
  /** An array element's scalar type, or undefined when the array is stored as JSON. */
  element(schema: z.ZodType): ScalarType | undefined
  /** Fails naming the field and the `type` option. */
  cannotMap(what: string): never
  /** How many lazy schemas deep the mapping is (recursive schemas stop). */
  readonly lazyDepth: number
}

type Processor = (c: MapContext) => LogicalType

const json: Processor = (c) => c.json()

/** One processor per Zod type: a type without one cannot be mapped (the error names the `type` option). */
export const PROCESSORS: ReadonlyMap<string, Processor> = new Map<string, Processor>([
  [
    'string',
    (c) => {
      if (c.decimal) return c.decimalType(false)
      if (c.def.format === 'uuid' || c.def.format === 'guid') return { kind: 'uuid' }
      if (c.def.format === 'date') return { kind: 'date' }
      const max = checks(c.def).reduce<number | undefined>((m, k) => {
        const limit = k.check === 'max_length' ? k.maximum : k.check === 'length_equals' ? k.length : undefined
        return limit === undefined ? m : Math.min(m ?? limit, limit)
      }, undefined)
      return max === undefined ? { kind: 'string' } : { kind: 'string', maxLength: max }
    },
  ],
  [
    'number',
    (c) => {
      if (c.decimal) return c.decimalType(true)
      const all = checks(c.def)
      const formats = [c.def.format, ...all.map((k) => (k.check === 'number_format' ? k.format : undefined))]
      const isInt = formats.some((f) => f === 'safeint' || f === 'int32' || f === 'uint32')
      if (!isInt) return { kind: 'float' }
      if (formats.includes('int32')) return { kind: 'integer', size: 'int' }
      let lo = Number.NEGATIVE_INFINITY
      let hi = Number.POSITIVE_INFINITY
      for (const k of all) {
        if (k.check === 'greater_than' && typeof k.value === 'number') lo = Math.max(lo, k.value)
        if (k.check === 'less_than' && typeof k.value === 'number') hi = Math.min(hi, k.value)
      }
      return lo >= -INT32 && hi < INT32 ? { kind: 'integer', size: 'int' } : { kind: 'integer', size: 'bigint' }
    },
  ],
  ['bigint', () => ({ kind: 'bigint' })],
  ['boolean', () => ({ kind: 'boolean' })],
  ['date', () => ({ kind: 'timestamp' })],
  [
    'enum',
    (c) => {
      const values = Object.values(c.def.entries ?? {})
      if (!values.every((v) => typeof v === 'string')) c.cannotMap('an enum with non-string values')
      return { kind: 'enum', values: values as string[] }
    },
  ],
  [
    'literal',
    (c) => {
      const values = c.def.values ?? []
      if (values.every((v) => typeof v === 'string')) return { kind: 'enum', values: values as string[] }
      if (values.every((v) => typeof v === 'boolean')) return { kind: 'boolean' }
      if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return { kind: 'integer', size: 'bigint' }
      return c.cannotMap('a literal of mixed types')
    },
  ],
  ['object', json],
  ['record', json],
  ['tuple', json],
  ['any', json],
  ['unknown', json],
  ['intersection', json],
  // z.json() and recursive schemas: what the getter returns, once (a union of JSON values)
  ['lazy', (c) => (c.lazyDepth > 8 ? c.cannotMap('a lazy schema') : c.map(c.def.getter!()))],
  [
    'union',
    (c) => {
      const members = c.def.options ?? []
      const kinds = members.map((o) => defOf(o).type)
      if (kinds.every((k) => k === 'object' || k === 'record' || k === 'array' || k === 'tuple')) return c.json()
      // a union of JSON values with a structured member (z.json()): JSON
      if (kinds.some((k) => STRUCTURED.has(k)) && kinds.every((k) => JSON_MEMBERS.has(k))) return c.json()
      if (kinds.every((k) => k === 'literal' || k === 'enum')) {
        const values = members.flatMap((o) => {
          const d = defOf(o)
          return d.type === 'enum' ? Object.values(d.entries ?? {}) : [...(d.values ?? [])]
        })
        if (values.every((v) => typeof v === 'string')) return { kind: 'enum', values: values as string[] }
      }
      return c.cannotMap(`a union of ${kinds.join(' | ')}`)
    },
  ],
  [
    'array',
    (c) => {
      const element = c.element(c.def.element!)
      return element ? { kind: 'array', element } : c.json()
    },
  ],
  ['pipe', (c) => c.cannotMap('a transformed schema (pipe/transform)')],
])
