import { createHash } from 'node:crypto'

/** PostgreSQL's identifier limit (MySQL allows 64): names we generate stay within it. */
const MAX_IDENTIFIER_BYTES = 63

/** The longest start of `text` that fits `bytes` (never splitting a character). */
function startOf(text: string, bytes: number): string {
  let prefix = text
  while (Buffer.byteLength(prefix) > bytes) prefix = prefix.slice(0, -1)
  return prefix
}

/**
 * A deterministic identifier within 63 bytes. Past the limit it keeps a readable prefix and appends
 * 8 hex digits of a hash of the full name, so two long names never collide.
 */
export function shortName(full: string): string {
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_BYTES) return full
  return `${startOf(full, MAX_IDENTIFIER_BYTES - 9)}_${hashOf(full)}`
}

/**
 * `base` + `suffix` within 63 bytes, the suffix kept: past the limit the start of `base`, 8 hex
 * digits of a hash of `base`, then the suffix (`a_very_long…_3f2a9c01_audit`). Two bases that differ
 * only at their end get different hashes.
 */
export function withSuffix(base: string, suffix: string): string {
  if (Buffer.byteLength(base + suffix) <= MAX_IDENTIFIER_BYTES) return base + suffix
  return `${startOf(base, MAX_IDENTIFIER_BYTES - 9 - Buffer.byteLength(suffix))}_${hashOf(base)}${suffix}`
}

export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  return shortName([table, ...columns, suffix].join('_'))
}

const MODEL_CHECK = /_[0-9a-f]{8}_check$/

/** A model-level check: named by a hash of its text (`{table}_{hash}_check`). */
export function modelCheckName(table: string, expression: string): string {
  return withSuffix(table, `_${hashOf(expression)}_check`)
}

/** True when `name` is a model-level check name of `table` (whatever its text). */
export function isModelCheckName(table: string, name: string): boolean {
  if (!MODEL_CHECK.test(name)) return false
  const stem = modelCheckName(table, '').slice(0, -'_00000000_check'.length)
  return name.slice(0, -'_00000000_check'.length) === stem
}

export function hashOf(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}
