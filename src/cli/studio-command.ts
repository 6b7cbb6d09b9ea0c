import { parseArgs } from 'node:util'
import { connect, serveStudio } from '../index.js'
import { loadModels } from './load-models.js'
import type { CliIo } from './run.js'

const HELP = `Usage: ff-storage studio --models <module> [--url <url>] [--port <n>]
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
  const { values } = parseArgs({
    args,
    options: {
      models: { type: 'string' },
      url: { type: 'string' },
      port: { type: 'string' },
      tenant: { type: 'string', multiple: true },
      tenants: { type: 'string' },
      'allow-writes': { type: 'boolean', default: false },
      actor: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    io.stdout.write(`${HELP}\n`)
    return 0
  }
  if (!values.models) throw new Error('--models <module> is required (a module exporting your models)')
  const url = values.url ?? process.env.DATABASE_URL
  if (!url) throw new Error('studio needs --url or DATABASE_URL (pglite:./path for an embedded database)')
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('--port must be an integer 0…65535')
  if (values['allow-writes'] && !values.actor)
    throw new Error('--allow-writes needs --actor <user id> (recorded as the one who restored or reverted)')
  const tenants = [...(values.tenants?.split(',') ?? []), ...(values.tenant ?? [])].map((t) => t.trim())
  if (tenants.some((t) => t === '')) throw new Error('--tenants / --tenant: an empty tenant id')
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
