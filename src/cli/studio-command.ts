import { type ParseArgsConfig, parseArgs } from 'node:util'
import { connect, serveStudio } from '../index.js'
import { loadModels } from './load-models.js'
import { type CliIo, UsageError } from './run.js'

export const STUDIO_HELP = `Usage: ff-storage studio --models <module> [--url <url>] [--port <n>]
                         [--tenants <id,id,…>] [--allow-writes --actor <user id>]

Serves the history studio on 127.0.0.1: records per tenant, audit trails, versions, a time slider.
The URL it prints carries a random token; requests without it are refused.

  --models <module>   the module exporting your models (TypeScript or JavaScript)
  --url <url>         the database (default: DATABASE_URL); pglite:./path for an embedded one
  --port <n>          port on 127.0.0.1 (default: a free one)
  --tenants <ids>     the tenants to offer, comma-separated; the only ones served
  --tenant <id>       one tenant to offer (repeatable; adds to --tenants)
                      without either the page lists no tenants: you type a tenant id
  --allow-writes      offer restore and revert (otherwise read-only)
  --actor <user id>   the user recorded for restore and revert (required with --allow-writes)

Stops on Ctrl-C.`

/**
 * `ff-storage studio`: serve the studio until SIGINT/SIGTERM (or `signal` aborts); exit code 0, or 1
 * on a usage error.
 */
export async function studioCommand(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const values = parseStudioArgs(args)
  if (values.help) {
    io.stdout.write(`${STUDIO_HELP}\n`)
    return 0
  }
  if (!values.models) throw usage('--models <module> is required (a module exporting your models)')
  const url = values.url ?? (process.env.DATABASE_URL || undefined)
  if (!url) throw usage('studio needs --url <url> or DATABASE_URL (pglite:./path for an embedded database)')
  const port = values.port === undefined ? 0 : /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN
  if (!(port >= 0 && port <= 65_535))
    throw usage(`--port must be an integer 0…65535, not ${JSON.stringify(values.port)}`)
  if (values['allow-writes'] && !values.actor)
    throw usage('--allow-writes needs --actor <user id> (recorded as the one who restored or reverted)')
  const tenants = [...(values.tenants?.split(',') ?? []), ...(values.tenant ?? [])].map((t) => t.trim())
  if (tenants.some((t) => t === '')) throw usage('--tenants / --tenant: an empty tenant id')
  const models = await loadModels(values.models)
  const db = await connect(url)
  try {
    const studio = await serveStudio(db, models, {
      port,
      allowWrites: values['allow-writes'],
      ...(values.actor && { actor: values.actor }),
      ...(tenants.length > 0 && { tenants }),
    })
    io.stdout.write(
      `ff-storage studio: ${studio.url}\n  ${models.length} model(s), ${tenants.length > 0 ? `tenants ${tenants.join(', ')}` : 'tenant ids typed in the page'}, ${values['allow-writes'] ? `writes recorded as ${values.actor}` : 'read-only'}; Ctrl-C stops it\n`,
    )
    await untilStopped(signal)
    await studio.close()
    return 0
  } finally {
    await db.close()
  }
}

const usage = (message: string) => new UsageError(`${message} (see ff-storage studio --help)`)

const OPTIONS = {
  models: { type: 'string' },
  url: { type: 'string' },
  port: { type: 'string' },
  tenant: { type: 'string', multiple: true },
  tenants: { type: 'string' },
  'allow-writes': { type: 'boolean', default: false },
  actor: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>

/** The studio's options through `util.parseArgs`; a mistake (unknown option, no or empty value) is a UsageError. */
function parseStudioArgs(args: string[]) {
  const values = (() => {
    try {
      return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values
    } catch (error) {
      // parseArgs explains in several sentences; the first one names the problem
      throw usage((error instanceof Error ? error.message : String(error)).split(/\.(\s|$)/)[0]!)
    }
  })()
  for (const [name, value] of Object.entries(values)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) throw usage(`--${name} needs a value`)
  }
  return values
}

/** Resolves on SIGINT or SIGTERM (Ctrl-C), or when `signal` aborts. */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    if (signal?.aborted) stop()
    signal?.addEventListener('abort', stop, { once: true })
  })
}
