import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { ConfigurationError } from '../errors.js'

interface TargetBase {
  readonly display: string
  /** Names the database without credentials, the same in every process that reaches it (cache keys). */
  readonly identity: string
}

export type Target =
  | (TargetBase & { readonly kind: 'pglite'; readonly dataDir: string | undefined })
  | (TargetBase & { readonly kind: 'postgres'; readonly url: string })
  | (TargetBase & { readonly kind: 'mysql'; readonly url: string })

const SCHEMES = ['pglite:', 'postgres://', 'postgresql://', 'mysql://', 'mariadb://']

/**
 * Parse what `connect()` was given. No argument (or `pglite:` / `pglite:memory`) is embedded PGlite
 * in memory; `pglite:<dir>` persists in that directory.
 */
export function parseTarget(url: string | undefined): Target {
  if (url === undefined || url === '' || url === 'pglite:' || url === 'pglite:memory' || url === 'pglite://memory') {
    return {
      kind: 'pglite',
      dataDir: undefined,
      display: 'pglite (in memory)',
      identity: `pglite-memory:${randomUUID()}`,
    }
  }
  if (typeof url !== 'string') {
    throw new ConfigurationError(`connect(): the URL must be a string, got ${typeof url}`)
  }
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length).replace(/^\/\//, '')
    return { kind: 'pglite', dataDir: dir, display: `pglite:${dir}`, identity: `pglite:${resolve(dir)}` }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    throw new ConfigurationError(
      `connect(): "${redact(url)}" is not a database URL; expected one of ${SCHEMES.join(', ')}`,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ConfigurationError(`connect(): invalid database URL "${redact(url)}"`, { cause })
  }
  if (!parsed.hostname) {
    throw new ConfigurationError(`connect(): the URL "${redact(url)}" names no host`)
  }
  const display = redact(url)
  const at = (family: string, defaultPort: number) =>
    `${family}://${parsed.hostname.toLowerCase()}:${parsed.port || defaultPort}/${decodeURIComponent(parsed.pathname.slice(1)) || '-'}`
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', url, display, identity: at('postgres', 5432) }
    case 'mysql':
    case 'mariadb':
      return { kind: 'mysql', url: url.replace(/^mariadb:/i, 'mysql:'), display, identity: at('mysql', 3306) }
    default:
      throw new ConfigurationError(
        `connect(): unknown scheme "${scheme}:" in "${display}"; supported: ${SCHEMES.join(', ')}`,
      )
  }
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}
