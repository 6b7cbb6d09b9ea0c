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
  } catch {
    // not the URL parser's error as the cause: it holds the whole URL, password included
    throw new ConfigurationError(
      `connect(): invalid database URL "${redact(url)}" (a password with / @ # ? or % must be percent-encoded)`,
    )
  }
  if (!parsed.hostname) {
    throw new ConfigurationError(`connect(): the URL "${redact(url)}" names no host`)
  }
  const display = redact(url)
  // the same server however the URL names it: every loopback spelling is one host, and a URL
  // without a database reaches the one PostgreSQL picks (the user's name)
  const host = parsed.hostname.toLowerCase()
  const server = LOOPBACK.has(host) ? 'localhost' : host
  const at = (family: string, defaultPort: number, defaultDatabase = '-') =>
    `${family}://${server}:${parsed.port || defaultPort}/${decodeURIComponent(parsed.pathname.slice(1)) || defaultDatabase}`
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return {
        kind: 'postgres',
        url,
        display,
        identity: at('postgres', 5432, decodeURIComponent(parsed.username) || '-'),
      }
    case 'mysql':
    case 'mariadb':
      return { kind: 'mysql', url: url.replace(/^mariadb:/i, 'mysql:'), display, identity: at('mysql', 3306) }
    default:
      throw new ConfigurationError(
        `connect(): unknown scheme "${scheme}:" in "${display}"; supported: ${SCHEMES.join(', ')}`,
      )
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // not parseable: nothing after the scheme can be told apart from a password
    return scheme ? `${scheme}://…` : '(not a URL)'
  }
  // scheme, user, host, port and database only: never the password, and no query string (it may
  // hold ?password=, ?sslpassword=…)
  const user = parsed.username ? `${parsed.username}${parsed.password ? ':***' : ''}@` : parsed.password ? ':***@' : ''
  if (!parsed.host) return `${scheme}://…`
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`
}
