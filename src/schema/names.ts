import { createHash } from 'node:crypto'

/** PostgreSQL's identifier limit (MySQL allows 64): names we generate stay within it. */
export const MAX_IDENTIFIER_BYTES = 63

/**
 * A deterministic identifier within 63 bytes. Past the limit it keeps a readable prefix and appends
 * 8 hex digits of a hash of the full name, so two long names never collide.
 */
export function shortName(full: string): string {
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_BYTES) return full
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8)
  let prefix = full
  while (Buffer.byteLength(prefix) > MAX_IDENTIFIER_BYTES - 9) prefix = prefix.slice(0, -1)
  return `${prefix}_${hash}`
}

export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  return shortName([table, ...columns, suffix].join('_'))
}

export function hashOf(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}
