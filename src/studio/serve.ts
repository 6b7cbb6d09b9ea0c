import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Database } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { isModel, type Model } from '../model/define-model.js'
import { studioApi, studioMeta, toJson } from './api.js'
import { checkActor, checkTenants } from './ids.js'

/** Options of `serveStudio`. */
export interface StudioOptions {
  /** TCP port on 127.0.0.1 (default 0: a free port picked by the system). */
  readonly port?: number
  /**
   * The tenants the page offers, and the only ones it serves (any other is refused with 403).
   * Without it the page lists no tenant: the operator types a tenant id. The studio never reads
   * tenant ids out of the tables. An array of tenant ids as text (a bigint tenant id in decimal),
   * each compared as the model's `tenantIdType` normalizes it (UUIDs in any case).
   */
  readonly tenants?: readonly string[]
  /** Offer restore (soft-delete models) and revert (scd2), recorded with `actor`. Default false. */
  readonly allowWrites?: boolean
  /**
   * The acting user recorded for restore and revert; required with `allowWrites`, and checked at
   * start against the `actorIdType` of every model offering restore or revert.
   */
  readonly actor?: string
  /** The URL token (default: 32 random bytes, base64url). */
  readonly token?: string
}

/** A running studio. */
export interface Studio {
  /** The page's URL, token included: the only way in. */
  readonly url: string
  readonly port: number
  readonly token: string
  close(): Promise<void>
}

const ASSETS = fileURLToPath(new URL('../../assets/studio/', import.meta.url))
const require = createRequire(import.meta.url)
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`))

/** Static files: the page and its ESM libraries, from this package and its dependencies (no CDN). */
const FILES: Record<string, { path: () => string; type: string }> = {
  '': { path: () => join(ASSETS, 'index.html'), type: 'text/html; charset=utf-8' },
  'app.js': { path: () => join(ASSETS, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'record.js': { path: () => join(ASSETS, 'record.js'), type: 'text/javascript; charset=utf-8' },
  'util.js': { path: () => join(ASSETS, 'util.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { path: () => join(ASSETS, 'app.css'), type: 'text/css; charset=utf-8' },
  'vendor/preact.mjs': { path: () => join(packageDir('preact'), 'dist/preact.mjs'), type: 'text/javascript' },
  'vendor/hooks.mjs': { path: () => join(packageDir('preact'), 'hooks/dist/hooks.mjs'), type: 'text/javascript' },
  'vendor/htm.mjs': { path: () => join(dirname(require.resolve('htm')), 'htm.mjs'), type: 'text/javascript' },
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,}$/
const READ_METHODS = new Set(['GET', 'HEAD'])
const bad = (message: string) => new ValidationError(message, [{ code: 'custom', message, path: [] }])

/**
 * Serve the history studio for `models` on 127.0.0.1: a web page to browse records per tenant, their
 * audit trails and versions, and the records as they were at any instant. Every request needs the
 * random token in the URL (none → 401, a wrong one → 403); reads are GET; without `allowWrites`
 * every other method is refused (405). Every view reads through `db.repository(model, { tenantId })`.
 *
 * @example
 * const studio = await serveStudio(db, [User, Contract], { port: 4983 })
 * console.log(`open ${studio.url}`)
 * // … later
 * await studio.close()
 */
export async function serveStudio(
  db: Database,
  models: readonly Model[],
  options: StudioOptions = {},
): Promise<Studio> {
  if (!Array.isArray(models) || models.length === 0 || !models.every(isModel))
    throw bad('serveStudio needs a list of models')
  const tables = new Set(models.map((m) => m.def.table))
  if (tables.size !== models.length) throw bad('serveStudio: two models share a table name')
  const tenants = checkTenants(models, options.tenants)
  const allowWrites = options.allowWrites === true
  if (allowWrites) checkActor(models, options.actor)
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw bad('port must be an integer 0…65535')
  const token = options.token ?? randomBytes(32).toString('base64url')
  if (!TOKEN_SHAPE.test(token)) throw bad('token must be at least 16 URL-safe characters')
  const expected = Buffer.from(token)

  const apiOptions = { tenants, allowWrites, actor: options.actor }
  // the page carries its meta as a JSON data block (never executed), saving a round trip before the list
  const meta = toJson(studioMeta(models, apiOptions)).replaceAll('<', '\\u003c')
  const page = (await readFile(FILES['']!.path(), 'utf8')).replace(
    '</head>',
    `<script type="application/json" id="ff-studio-meta">${meta}</script>\n</head>`,
  )
  // the one inline script that runs is the import map: allowed by its hash (the meta block is data)
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? ''
  const mapHash = createHash('sha256').update(importMap).digest('base64')
  const csp = `default-src 'none'; script-src 'self' 'sha256-${mapHash}'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`

  const app = new Hono()
  const origins: string[] = []
  app.use('*', async (c, next) => {
    // the token is the first path segment; compared in constant time
    const segment = c.req.path.split('/')[1] ?? ''
    // a first segment that is not token-shaped means no token was given
    if (!TOKEN_SHAPE.test(segment)) return deny(401, 'this studio needs its token in the URL (printed when it started)')
    const given = Buffer.from(segment)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return deny(403, 'wrong token')
    // DNS rebinding: only the loopback names this server listens on
    const host = c.req.header('host') ?? ''
    if (host !== `127.0.0.1:${actualPort}` && host !== `localhost:${actualPort}`) return deny(403, 'wrong host')
    if (!READ_METHODS.has(c.req.method)) {
      if (!allowWrites)
        return deny(405, 'the studio is read-only (start it with --allow-writes)', { allow: 'GET, HEAD' })
      // writes only from the page itself: same origin and a header a cross-site form cannot send
      const from = c.req.header('origin')
      if (
        c.req.method !== 'POST' ||
        c.req.header('x-ff-studio') !== '1' ||
        (from !== undefined && !origins.includes(from))
      )
        return deny(403, 'writes come from the studio page only')
    }
    await next()
    c.header('cache-control', 'no-store')
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'no-referrer')
  })
  const api = studioApi(db, models, apiOptions)
  app.route(`/${token}/api`, api)
  app.get(`/${token}/*`, async (c) => {
    const rest = c.req.path.slice(token.length + 2)
    const file = Object.hasOwn(FILES, rest) ? FILES[rest] : undefined
    if (!file) return c.body(toJson({ error: 'not found' }), 404, { 'content-type': 'application/json' })
    const body = rest === '' ? page : await readFile(file.path())
    return c.body(body, 200, { 'content-type': file.type, ...(rest === '' && { 'content-security-policy': csp }) })
  })
  app.get(`/${token}`, (c) => c.redirect(`/${token}/`))

  let actualPort = port
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
      actualPort = info.port
      resolve(s)
    })
    s.once('error', reject)
  })
  origins.push(`http://127.0.0.1:${actualPort}`, `http://localhost:${actualPort}`)
  return {
    url: `${origins[0]}/${token}/`,
    port: actualPort,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const s = server as unknown as { close(cb: (e?: Error) => void): void; closeAllConnections?: () => void }
        s.close((e) => (e ? reject(e) : resolve()))
        s.closeAllConnections?.()
      }),
  }
}

function deny(status: 401 | 403 | 405, message: string, headers: Record<string, string> = {}): Response {
  return new Response(toJson({ error: message }), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...headers,
    },
  })
}
