import { ValidationError, type ValidationIssue } from '../errors.js'
import { normalizeUuid } from '../ids.js'
import type { ModelContext } from '../mapping/model-context.js'
import { Unstorable } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { type IdType, normalizeId } from '../model/id-type.js'
import { timestampProblem } from '../model/storable.js'
import type { Id } from '../scope/scope.js'
import { protoKeyIssues } from './json-keys.js'

/**
 * The repository's input and output: what callers pass is read here (own data properties, options
 * type-checked, create input and patches Zod-validated and encoded for binding), every problem an
 * issue of one ValidationError thrown before any SQL; and rows coming back are decoded into records.
 */

/**
 * Reading what callers pass: own data properties only (never inherited ones, so an object whose
 * prototype carries fields, or a `__proto__` key parsed from JSON, sets nothing; never getters, which
 * could answer differently on each read), and options type-checked like data. Every problem is an
 * issue of one ValidationError, thrown before any SQL.
 */

type Path = (string | number)[]

/**
 * The own enumerable data properties of an object, in a null-prototype record (so that a key named
 * `__proto__` stays a key). Accessor properties are issues: their getters are never run.
 */
export function ownData(value: object, path: Path, issues: ValidationIssue[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key)!
    if (!('value' in d)) {
      issues.push({ code: 'custom', message: `"${key}" is a getter, not a data property`, path: [...path, key] })
      continue
    }
    out[key] = d.value
  }
  return out
}

export const isObjectLike = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Marks a value an option reader refused, with the reason. */
class Bad {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

type Reader = (value: unknown, name: string) => unknown

export const boolean: Reader = (v, name) => (typeof v === 'boolean' ? v : new Bad(`${name} must be true or false`))

export const nonNegativeInt: Reader = (v, name) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? v : new Bad(`${name} must be a non-negative integer`)

export const positiveInt: Reader = (v, name) =>
  Number.isSafeInteger(v) && (v as number) >= 1 ? v : new Bad(`${name} must be a positive integer`)

export const uuid: Reader = (v, name) => normalizeUuid(v) ?? new Bad(`${name} must be a UUID`)

/** Checked later, by the code that compiles it (where, orderBy). */
export const any: Reader = (v) => v

// ISO 8601 only: `new Date('1')` is a valid date (2001), which no caller means
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** A Date, or the Date an ISO 8601 string stands for; undefined for anything else. */
export const toInstant = (v: unknown): Date | undefined =>
  v instanceof Date ? v : typeof v === 'string' && ISO.test(v) ? new Date(v) : undefined

/** A Date in the storable range, or an ISO 8601 string of one. */
export const instant: Reader = (v, name) => {
  const d = toInstant(v)
  if (!d) return new Bad(`${name} must be a Date`)
  const problem = timestampProblem(d)
  return problem ? new Bad(`${name} ${problem}`) : d
}

/** Check one value with a reader; the value, or a ValidationError. */
export function requireValue<T>(reader: Reader, value: unknown, name: string): T {
  const v = reader(value, name)
  if (v instanceof Bad)
    throw new ValidationError(`Invalid ${name}`, [{ code: 'custom', message: v.message, path: [name] }])
  return v as T
}

/**
 * An options object read through `readers`: own data properties only, unknown keys refused (a
 * misspelled `includeDeleted` must not silently read live rows only), every value checked; values
 * left undefined are left out. Returns a fresh object with the checked (normalized) values.
 */
export function readOptions<K extends string>(
  options: unknown,
  readers: Readonly<Record<K, Reader>>,
  what = 'options',
): { [P in K]?: unknown } {
  if (options === undefined) return {}
  const issues: ValidationIssue[] = []
  if (!isObjectLike(options)) {
    throw new ValidationError(`Invalid ${what}`, [{ code: 'custom', message: `${what} must be an object`, path: [] }])
  }
  const own = ownData(options, [], issues)
  const out: { [P in K]?: unknown } = {}
  for (const [key, value] of Object.entries(own)) {
    if (value === undefined) continue
    if (!Object.hasOwn(readers, key)) {
      issues.push({ code: 'custom', message: `unknown option "${key}"`, path: [key] })
      continue
    }
    const v = readers[key as K](value, key)
    if (v instanceof Bad) issues.push({ code: 'custom', message: v.message, path: [key] })
    else out[key as K] = v
  }
  if (issues.length) throw new ValidationError(`Invalid ${what}`, issues)
  return out
}

/** A list of ids from a caller: an array of UUIDs, normalized (lower case). */
export function readIds(ids: unknown, name = 'ids'): string[] {
  if (!Array.isArray(ids)) {
    throw new ValidationError(`Invalid ${name}`, [
      { code: 'custom', message: `${name} must be an array of ids`, path: [] },
    ])
  }
  const issues: ValidationIssue[] = []
  const out: string[] = []
  for (let i = 0; i < ids.length; i++) {
    const id = normalizeUuid(ids[i])
    if (id === undefined) issues.push({ code: 'custom', message: 'id must be a UUID', path: [i] })
    else out.push(id)
  }
  if (issues.length) throw new ValidationError(`Invalid ${name}`, issues)
  return out
}

// The options each repository method takes (SPEC §2), read through readOptions.
// userId: the model's actorIdType decides what an id is (UUID, text or bigint); Scope.actor checks it
export const WRITE_OPTIONS = { userId: any }
export const SET_WRITE_OPTIONS = { ...WRITE_OPTIONS, all: boolean }
export const UPSERT_OPTIONS = { ...WRITE_OPTIONS, on: any }
export const UPDATE_OPTIONS = { ...WRITE_OPTIONS, expectedVersion: positiveInt }
export const CREATE_MANY_OPTIONS = { ...WRITE_OPTIONS, batchSize: positiveInt, returning: boolean }
export const READ_OPTIONS = { includeDeleted: boolean, asOf: instant }
export const COUNT_OPTIONS = { ...READ_OPTIONS, where: any }
export const LIST_OPTIONS = { ...COUNT_OPTIONS, orderBy: any, limit: nonNegativeInt, offset: nonNegativeInt }
export const PAGE_OPTIONS = { ...COUNT_OPTIONS, orderBy: any, limit: positiveInt, after: any }
export const STREAM_OPTIONS = { ...COUNT_OPTIONS, orderBy: any, batchSize: positiveInt }
export const CHANGES_OPTIONS = { from: instant, to: instant, limit: nonNegativeInt }
export const STATE_OPTIONS = { includeDeleted: boolean }

// ─── records: create input, patches, ids, rows ───────────────────────────────────────────────────

type Row = Record<string, unknown>

/** A row as the driver returned it → a record with the model's property names and types. */
export function decodeRow(ctx: ModelContext, row: Row): Record<string, unknown> {
  return ctx.decode(row)
}

const SYSTEM_MESSAGE = (name: string) =>
  name === 'id'
    ? 'id is generated by the library and cannot be set or changed'
    : `${name} is a system field managed by the library`

/** Zod-validate create input; returns encoded column values by field (user fields only). */
export function validateCreate(
  ctx: ModelContext,
  input: unknown,
  path: (string | number)[] = [],
): { values: Map<FieldDef, unknown>; tenant: unknown } {
  const { def } = ctx
  const issues: ValidationIssue[] = []
  if (!isObjectLike(input)) {
    throw new ValidationError('Invalid input', [{ code: 'custom', message: 'expected an object', path }])
  }
  // own data properties only: inherited fields and a `__proto__` key set nothing
  const own = ownData(input, path, issues)
  const userInput: Record<string, unknown> = Object.create(null)
  for (const [key, value] of Object.entries(own)) {
    const f = def.byName.get(key)
    if (f?.system && f.system !== 'tenant')
      issues.push({ code: 'custom', message: SYSTEM_MESSAGE(key), path: [...path, key] })
    else userInput[key] = value
  }
  issues.push(...protoKeyIssues(def.byName, userInput, path))
  const parsed = def.createSchema.safeParse(userInput)
  if (!parsed.success)
    issues.push(...parsed.error.issues.map((i) => ({ ...i, path: [...path, ...i.path] as (string | number)[] })))
  const values = new Map<FieldDef, unknown>()
  if (parsed.success) {
    const data = parsed.data as Record<string, unknown>
    for (const f of def.userFields) {
      const value = Object.hasOwn(data, f.name) ? data[f.name] : undefined
      if (value === undefined) {
        if (f.options.sqlDefault === undefined) values.set(f, null)
        continue
      }
      const encoded = ctx.dialect.codec.encodeChecked(f, value)
      if (encoded instanceof Unstorable)
        issues.push({ code: 'custom', message: encoded.message, path: [...path, f.name] })
      else values.set(f, encoded)
    }
  }
  if (issues.length) throw new ValidationError('Invalid input', issues)
  const tenantField = def.tenantField
  return { values, tenant: tenantField ? own[tenantField] : undefined }
}

/** Zod-validate a patch; system fields and unknown keys are errors. Returns encoded values. */
export function validatePatch(ctx: ModelContext, patch: unknown): Map<FieldDef, unknown> {
  const { def } = ctx
  const issues: ValidationIssue[] = []
  if (!isObjectLike(patch)) {
    throw new ValidationError('Invalid patch', [{ code: 'custom', message: 'expected an object', path: [] }])
  }
  // null prototype: a `__proto__` key stays a key (refused as unknown), never the prototype
  const userKeys: Record<string, unknown> = Object.create(null)
  for (const [key, value] of Object.entries(ownData(patch, [], issues))) {
    const f = def.byName.get(key)
    if (f?.system) {
      issues.push({
        code: 'custom',
        message: f.system === 'tenant' ? `${key} cannot be patched; use transferOwnership` : SYSTEM_MESSAGE(key),
        path: [key],
      })
    } else userKeys[key] = value
  }
  const values = new Map<FieldDef, unknown>()
  // null clears a field whose column holds NULL: an `.optional()` field too, whose schema knows only
  // undefined (which a patch reads as "not given"), so that a set value can be taken back
  for (const key of Object.keys(userKeys)) {
    const f = def.byName.get(key)
    if (userKeys[key] === null && f && f.nullable && !f.system) {
      values.set(f, null)
      delete userKeys[key]
    }
  }
  issues.push(...protoKeyIssues(def.byName, userKeys, []))
  const parsed = def.patchSchema.safeParse(userKeys)
  if (!parsed.success) issues.push(...parsed.error.issues)
  if (parsed.success) {
    for (const [key, value] of Object.entries(parsed.data as Record<string, unknown>)) {
      if (!Object.hasOwn(userKeys, key)) continue
      const f = def.byName.get(key)!
      if (value === undefined && userKeys[key] === undefined) continue
      const encoded = ctx.dialect.codec.encodeChecked(f, value)
      if (encoded instanceof Unstorable) issues.push({ code: 'custom', message: encoded.message, path: [key] })
      else values.set(f, encoded)
    }
  }
  if (issues.length) throw new ValidationError('Invalid patch', issues)
  return values
}

/** A UUID from a caller, in lower case (see normalizeUuid), or a ValidationError. */
export function requireUuid(value: unknown, name: string): string {
  return requireValue<string>(uuid, value, name)
}

/** A tenant or user id of the model's `tenantIdType` / `actorIdType`, normalized (UUIDs in lower case). */
export function requireId(idType: IdType, value: unknown, name: string): Id {
  const id = normalizeId(idType, value)
  if (id === undefined) {
    throw new ValidationError(`Invalid ${name}`, [
      { code: 'custom', message: `${name} must be ${idType.description}`, path: [name] },
    ])
  }
  return id
}

/** A Date (or ISO 8601 string) in the storable range, or a ValidationError. */
export function requireDate(value: unknown, name: string): Date {
  return requireValue<Date>(instant, value, name)
}
