import { ValidationError, type ValidationIssue } from '../errors.js'
import { normalizeUuid } from '../ids.js'
import { timestampProblem } from '../model/storable.js'

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
