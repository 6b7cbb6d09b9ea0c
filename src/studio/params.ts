import { FFStorageError } from '../errors.js'

/** Thrown for a request the studio refuses on its own (bad parameter, unknown model). */
export class StudioError extends FFStorageError {
  constructor(
    readonly status: 400 | 403 | 404 | 405,
    message: string,
  ) {
    super('STUDIO_REQUEST', message)
  }
}

/** The most records one list or changes request returns (a page of the studio shows 25). */
export const MAX_LIMIT = 500

// ISO 8601 with a time and a zone (Z or ±hh:mm), or a date alone (UTC midnight); nothing else
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/

/** A query-string instant: strict ISO 8601 (`new Date('1')` would be 2001-01-01 local time). */
export function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined
  const m = INSTANT.exec(value)
  const ok =
    m !== null &&
    (m[4] === undefined || m[7] !== undefined) &&
    inRange(m[2], 1, 12) &&
    inRange(m[3], 1, new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate()) &&
    inRange(m[4], 0, 23) &&
    inRange(m[5], 0, 59) &&
    inRange(m[6], 0, 59) &&
    inRange(m[8], 0, 23) &&
    inRange(m[9], 0, 59)
  const d = ok ? new Date(value) : undefined
  if (!d || Number.isNaN(d.getTime()))
    throw new StudioError(
      400,
      `${name} must be an ISO 8601 instant with a zone, e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00+02:00 (or a date, 2024-05-01, for UTC midnight)`,
    )
  return d
}

const inRange = (text: string | undefined, min: number, max: number) =>
  text === undefined || (Number(text) >= min && Number(text) <= max)

export function json(value: string | undefined, name: string): unknown {
  if (value === undefined || value === '') return undefined
  try {
    return JSON.parse(value)
  } catch {
    throw new StudioError(400, `${name} must be JSON`)
  }
}

export function int(value: string | undefined, name: string, fallback?: number): number {
  if ((value === undefined || value === '') && fallback !== undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new StudioError(400, `${name} must be a positive integer`)
  return n
}

/** `limit`: 1 to MAX_LIMIT, `fallback` when absent. */
export function limit(value: string | undefined, fallback: number): number {
  const n = value === undefined || value === '' ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new StudioError(400, `limit must be an integer from 1 to ${MAX_LIMIT} (ask for the next page with after=…)`)
  return n
}

/** `fn` over `items`, at most `width` at a time, results in the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}
