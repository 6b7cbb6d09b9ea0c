import { randomFillSync } from 'node:crypto'

let lastMs = 0
let sequence = 0

// one getrandom call per 1,024 ids instead of one per id
const POOL = new Uint8Array(16 * 1024)
let poolOffset = POOL.length
function randomBytes16(): Uint8Array {
  if (poolOffset + 16 > POOL.length) {
    randomFillSync(POOL)
    poolOffset = 0
  }
  const bytes = POOL.slice(poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytes
}

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
  const bytes = randomBytes16()
  const ms = lastMs
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff
  bytes[2] = (ms >>> 24) & 0xff
  bytes[3] = (ms >>> 16) & 0xff
  bytes[4] = (ms >>> 8) & 0xff
  bytes[5] = ms & 0xff
  bytes[6] = 0x70 | ((sequence >>> 8) & 0x0f)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  const hex = Buffer.from(bytes).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)
