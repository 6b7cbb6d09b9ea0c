import { normalizeUuid } from '../ids.js'
import type { FieldDef } from '../model/define-model.js'
import type { LogicalType } from '../model/logical-type.js'
import { storableProblem } from '../model/storable.js'
import { normalizeDecimal, Unstorable, valueType } from '../model/values.js'

export type Decoder = (raw: unknown) => unknown

/** Model values to bound parameters and driver values back to model values, for one engine family. */
export interface ValueCodec {
  /** Bind a model value for its column (JSON as text; dates as Date; everything else as is). */
  encode(f: FieldDef, value: unknown): unknown
  /**
   * `encode` after the checks Zod cannot know (a decimal's scale and precision of the column, what
   * the engines can store: see storable.ts): the bound value, or Unstorable. UUIDs are bound in lower
   * case (see normalizeUuid).
   */
  encodeChecked(f: FieldDef, value: unknown): unknown
  /** Turn what the driver returned into the model's type. */
  decode(f: FieldDef, raw: unknown): unknown
  /** `decode` for one field, with the type looked at once (cached per field). */
  decoderFor(f: FieldDef): Decoder
  /**
   * Whether a value of this field reads back exactly as it was bound, so a stored row can be written
   * out from the inserted values instead of being sent back.
   */
  readsBackAsBound(f: FieldDef): boolean
}

/** Where a family's driver hands values over differently from the shared rules below. */
export interface WireForm {
  /** An array value as bound (native arrays, or JSON text). */
  bindArray(value: unknown[]): unknown
  /** Why an array value cannot be stored, beyond the checks every engine makes. */
  arrayProblem(value: unknown): string | undefined
  /** Parses JSON as the driver returns it; undefined when the driver parses it already. */
  readonly json: Decoder | undefined
  /** Turns an array column's driver value into a list; undefined when the driver returns one. */
  readonly list: Decoder | undefined
  /** Converts an exact text id's driver value (bytes, where the column is binary); undefined: as is. */
  readonly exactText: Decoder | undefined
  /** Doubles read back exactly as bound. */
  readonly floatsExact: boolean
  /** JSON reads back exactly as bound (its text is kept). */
  readonly jsonExact: boolean
}

/** The codec of a family: shared rules, with the family's wire form where it differs. */
export function createCodec(wire: WireForm): ValueCodec {
  const decoders = new WeakMap<FieldDef, Decoder>()
  const encode = (f: FieldDef, value: unknown): unknown => {
    if (value === undefined || value === null) return null
    const t = valueType(f.type)
    if (!t) return value
    switch (t.kind) {
      case 'json':
        return JSON.stringify(value)
      case 'array':
        return wire.bindArray(value as unknown[])
      case 'decimal': {
        const normalized = normalizeDecimal(String(value), t.precision, t.scale)
        return typeof normalized === 'string' ? normalized : String(value)
      }
      default:
        return value
    }
  }
  const decoderFor = (f: FieldDef): Decoder => {
    let decoder = decoders.get(f)
    if (!decoder) {
      const convert = converter(valueType(f.type), wire)
      const absent = f.acceptsNull ? null : undefined
      decoder = convert
        ? (raw) => (raw === null || raw === undefined ? absent : convert(raw))
        : (raw) => (raw === null || raw === undefined ? absent : raw)
      decoders.set(f, decoder)
    }
    return decoder
  }
  return Object.freeze({
    encode,
    encodeChecked(f: FieldDef, value: unknown): unknown {
      if (value === undefined || value === null) return null
      const t = valueType(f.type)
      if (t?.kind === 'decimal' && !t.asNumber) {
        const n = normalizeDecimal(String(value), t.precision, t.scale)
        return typeof n === 'string' ? n : new Unstorable(n.error)
      }
      const problem = storableProblem(f.type, value) ?? (t?.kind === 'array' ? wire.arrayProblem(value) : undefined)
      if (problem !== undefined) return new Unstorable(problem)
      if (t?.kind === 'uuid') return normalizeUuid(value) ?? value
      return encode(f, value)
    },
    decode: (f: FieldDef, raw: unknown) => decoderFor(f)(raw),
    decoderFor,
    readsBackAsBound(f: FieldDef): boolean {
      const t = f.type
      switch (t.kind) {
        case 'string':
        case 'uuid':
        case 'integer':
        case 'bigint':
        case 'boolean':
        case 'timestamp':
        case 'enum':
          return true
        case 'decimal':
          return !t.asNumber
        case 'float':
          return wire.floatsExact
        case 'json':
          return wire.jsonExact
        default:
          return false
      }
    },
  })
}

/** The conversion of a present (non-null) value, or undefined when the driver's value is the model's. */
function converter(t: LogicalType | undefined, wire: WireForm): Decoder | undefined {
  if (!t) return undefined
  switch (t.kind) {
    case 'json':
      return wire.json
    case 'array': {
      const list = wire.list ?? ((raw: unknown) => raw)
      if (t.element.kind !== 'timestamp') return wire.list
      return (raw) => (list(raw) as unknown[]).map((v) => (v === null ? null : new Date(v as string)))
    }
    case 'integer':
    case 'float':
      return (raw) => (typeof raw === 'number' ? raw : Number(raw))
    case 'bigint':
      return (raw) => (typeof raw === 'bigint' ? raw : BigInt(raw as string))
    case 'decimal':
      return t.asNumber ? (raw) => Number(raw) : (raw) => (typeof raw === 'string' ? raw : String(raw))
    case 'boolean':
      return (raw) => (typeof raw === 'boolean' ? raw : raw === 1 || raw === '1')
    case 'timestamp':
      return (raw) => (raw instanceof Date ? raw : new Date(raw as string))
    case 'date':
      return (raw) => (raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw))
    case 'string':
      return t.exact ? wire.exactText : undefined
    default:
      return undefined
  }
}
