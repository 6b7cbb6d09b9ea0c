import { CompiledQuery } from 'kysely'
import { ConfigurationError, ConnectionError, FFStorageError } from '../errors.js'
import { CircuitBreaker } from './circuit-breaker.js'
import { Database } from './database.js'
import type { Engine } from './drivers/types.js'
import { Metrics } from './metrics.js'
import { type ConnectOptions, type Logger, resolveOptions } from './options.js'
import { type RetryEvents, safeToRetryStatement } from './retry.js'
import type { Runtime } from './runtime.js'
import { parseTarget } from './url.js'

/**
 * Connect to a database. No argument opens embedded PGlite in memory (no server needed);
 * `pglite:<dir>` persists on disk; `postgres://`, `postgresql://`, `mysql://` and `mariadb://`
 * reach a server. The server is contacted before `connect` resolves, so a wrong URL or an
 * unreachable server fails here, within `connectTimeoutMs`.
 *
 * The embedded default is said once at info level through `logger`. A URL passed but missing
 * (`connect(process.env.DATABASE_URL)` with the variable unset) under `NODE_ENV=production` is a
 * {@link ConfigurationError} unless `{ embedded: true }`: an unset variable must not quietly become a
 * database that is gone when the process ends.
 *
 * @example
 * const db = await connect()                                       // embedded, in memory
 * const pg = await connect(process.env.DATABASE_URL)               // a server
 * const dev = await connect({ url: process.env.DATABASE_URL, embedded: true }) // PGlite when unset, also in production
 * const tuned = await connect({ url, pool: { max: 20, acquireTimeoutMs: 5_000 }, statementTimeoutMs: 30_000 })
 */
export async function connect(...args: [target?: string | ConnectOptions]): Promise<Database> {
  const [target] = args
  const options: ConnectOptions =
    typeof target === 'string' || target === undefined ? { ...(target !== undefined && { url: target }) } : target
  if (target !== undefined && typeof target !== 'string' && (typeof target !== 'object' || target === null)) {
    throw new ConfigurationError('connect() takes a URL string or an options object')
  }
  const resolved = resolveOptions(options)
  const where = parseTarget(options.url)
  if (where.kind === 'pglite' && resolved.statementTimeoutMs !== undefined) {
    // PGlite runs statements on the caller's thread, without PostgreSQL's timer signals: a limit
    // would be accepted and never enforced
    throw new ConfigurationError(
      'statementTimeoutMs is not supported on PGlite (embedded PostgreSQL cannot cancel a running statement); leave it unset there',
    )
  }
  if (where.kind === 'pglite' && where.dataDir === undefined) {
    // connect(undefined), connect('') and connect({ url: undefined }): a URL was meant but is missing
    const missing =
      (args.length > 0 && (target === undefined || target === '')) ||
      (typeof target === 'object' && 'url' in target && !target.url)
    embeddedDefault(missing, options, resolved.logger)
  }
  const opening: Promise<Engine> = (async () => {
    switch (where.kind) {
      case 'pglite':
        return (await import('./drivers/pglite-engine.js')).openPglite(where.dataDir, resolved.preparedStatements)
      case 'postgres':
        return (await import('./drivers/pg.js')).openPostgres(where.url, resolved)
      case 'mysql':
        return (await import('./drivers/mysql.js')).openMysql(where.url, resolved)
    }
  })()
  let engine: Engine
  try {
    engine = await withTimeout(resolved.connectTimeoutMs, where.display, () => opening)
    const opened = engine
    await withTimeout(resolved.connectTimeoutMs, where.display, () =>
      opened.kysely.executeQuery(CompiledQuery.raw('select 1')),
    )
  } catch (cause) {
    // Close whatever was opened, in the background: a connection attempt still under way must not
    // hold the caller past the timeout.
    opening.then((e) => e.kysely.destroy()).catch(() => {})
    if (cause instanceof ConfigurationError) throw cause
    const converted = cause instanceof FFStorageError ? cause : undefined
    const reason = converted?.message ?? (cause instanceof Error ? cause.message : String(cause))
    throw new ConnectionError(`Could not connect to ${where.display}: ${reason}`, {
      cause,
      ...(converted?.dbCode !== undefined && { dbCode: converted.dbCode }),
    })
  }
  const ready = engine
  let closing: Promise<void> | undefined
  const logger = resolved.logger
  const breaker = new CircuitBreaker(resolved.circuitBreaker, (from, to) =>
    logger?.warn({ from, to, target: where.display }, `ff-storage: circuit ${to}`),
  )
  const metrics = new Metrics(
    () => ready.poolStats(),
    () => breaker.snapshot(),
  )
  const retryEvents: RetryEvents = {
    onRetry(error, attempt, delayMs) {
      metrics.retry()
      logger?.info({ code: error.code, attempt, delayMs }, 'ff-storage: retrying after a transient failure')
    },
  }
  const runtime: Runtime = {
    options: resolved,
    dialect: ready.dialect,
    breaker,
    metrics,
    retryEvents,
    statementRetryEvents: { ...retryEvents, retryable: safeToRetryStatement },
    cacheStores: new Set(resolved.cache ? [resolved.cache] : []),
    defaultCache: undefined,
    identity: where.identity,
    poolStats: () => ready.poolStats(),
    closed: false,
    close() {
      runtime.closed = true
      closing ??= ready.kysely.destroy()
      return closing
    },
  }
  resolved.logger?.debug({ engine: ready.dialect.name, target: where.display }, 'ff-storage: connected')
  return new Database(runtime, ready.kysely)
}

/**
 * No URL means embedded PGlite in memory: the default for trying things out, said once at info level.
 * A URL that was passed but missing (`connect(process.env.DATABASE_URL)` with the variable unset) under
 * NODE_ENV=production is a ConfigurationError instead, unless `embedded: true` asks for it: data kept
 * in memory is gone when the process ends.
 */
function embeddedDefault(missing: boolean, options: ConnectOptions, logger: Logger | undefined): void {
  if (options.url) return // 'pglite:' or 'pglite:memory' names the embedded database on purpose
  if (missing && process.env.NODE_ENV === 'production' && options.embedded !== true) {
    throw new ConfigurationError(
      'connect(): no database URL (is DATABASE_URL set?) and NODE_ENV is production: refusing to use a throwaway in-memory database; pass a URL, or { embedded: true } to use embedded PGlite on purpose',
    )
  }
  logger?.info(
    { engine: 'pglite', target: 'pglite (in memory)' },
    'ff-storage: no database URL given: using embedded PGlite in memory (data is lost on close); pass a URL or pglite:<dir> to keep it',
  )
}

async function withTimeout<T>(ms: number, display: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionError(`no answer from ${display} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([fn(), timeout])
  } finally {
    clearTimeout(timer)
  }
}
