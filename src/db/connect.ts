import { CompiledQuery } from 'kysely'
import { ConfigurationError, ConnectionError, FFStorageError } from '../errors.js'
import { CircuitBreaker } from './circuit-breaker.js'
import { Database, type Runtime } from './database.js'
import type { Engine } from './drivers/types.js'
import { Metrics } from './metrics.js'
import { type ConnectOptions, resolveOptions } from './options.js'
import { type RetryEvents, safeToRetryStatement } from './retry.js'
import { parseTarget } from './url.js'

/**
 * Connect to a database. No argument opens embedded PGlite in memory (no server needed);
 * `pglite:<dir>` persists on disk; `postgres://`, `postgresql://`, `mysql://` and `mariadb://`
 * reach a server. The server is contacted before `connect` resolves, so a wrong URL or an
 * unreachable server fails here, within `connectTimeoutMs`.
 *
 * @example
 * const db = await connect()                                       // embedded, in memory
 * const pg = await connect(process.env.DATABASE_URL)               // a server
 * const tuned = await connect({ url, pool: { max: 20, acquireTimeoutMs: 5_000 }, statementTimeoutMs: 30_000 })
 */
export async function connect(target?: string | ConnectOptions): Promise<Database> {
  const options: ConnectOptions =
    typeof target === 'string' || target === undefined ? { ...(target !== undefined && { url: target }) } : target
  if (target !== undefined && typeof target !== 'string' && (typeof target !== 'object' || target === null)) {
    throw new ConfigurationError('connect() takes a URL string or an options object')
  }
  const resolved = resolveOptions(options)
  const where = parseTarget(options.url)
  const opening: Promise<Engine> = (async () => {
    switch (where.kind) {
      case 'pglite':
        return (await import('./drivers/pglite-engine.js')).openPglite(where.dataDir)
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
