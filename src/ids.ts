import { randomFillSync } from 'node:crypto'

let lastMs = 0
let sequence = 0

// one getrandom call per 2,048 ids instead of one per id
const POOL = new Uint8Array(16 * 1024)
let poolOffset = POOL.length
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, with a 12-bit counter that keeps
 * ids made in the same millisecond increasing. Time-ordered ids keep primary-key inserts local.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now
    sequence = Math.floor(Math.random() * 0x400)
  } else if (++sequence > 0xfff) {
    lastMs++
    sequence = 0
  }
  if (poolOffset + 8 > POOL.length) {
    randomFillSync(POOL)
    poolOffset = 0
  }
  const r = poolOffset
  poolOffset += 8
  const ms = lastMs
  const high = Math.floor(ms / 2 ** 32)
  // 48 bits of time, version 7 and the counter, variant 10 and 62 random bits
  return (
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[(ms >>> 24) & 0xff]! +
    HEX[(ms >>> 16) & 0xff]! +
    '-' +
    HEX[(ms >>> 8) & 0xff]! +
    HEX[ms & 0xff]! +
    '-' +
    HEX[0x70 | ((sequence >>> 8) & 0x0f)]! +
    HEX[sequence & 0xff]! +
    '-' +
    HEX[0x80 | (POOL[r]! & 0x3f)]! +
    HEX[POOL[r + 1]!]! +
    '-' +
    HEX[POOL[r + 2]!]! +
    HEX[POOL[r + 3]!]! +
    HEX[POOL[r + 4]!]! +
    HEX[POOL[r + 5]!]! +
    HEX[POOL[r + 6]!]! +
    HEX[POOL[r + 7]!]!
  )
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)

/**
 * A UUID from a caller in the one form the library stores and compares: lower case. PostgreSQL's
 * `uuid` type already ignores case, but MySQL/MariaDB keep UUIDs as `char(36)` with a binary
 * collation, where an upper-case id would be another record (or another tenant). Every UUID a caller
 * passes (ids, tenant ids, user ids, filter and field values) goes through here; undefined when the
 * value is not a UUID. One function, so that non-UUID id types can be handled in one place later.
 */
export function normalizeUuid(value: unknown): string | undefined {
  return isUuid(value) ? value.toLowerCase() : undefined
}
