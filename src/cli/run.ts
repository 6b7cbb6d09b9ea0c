import type { Writable } from 'node:stream'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { FFStorageError } from '../errors.js'
import { wantsColor } from './format.js'

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean }
  readonly stderr: Writable & { isTTY?: boolean }
  /** The environment (DATABASE_URL, NO_COLOR, FORCE_COLOR); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/** The options of `plan`, `apply` and `demo`, parsed. */
export interface Flags {
  readonly url?: string
  readonly models?: string
  readonly allowDestructive: boolean
  readonly sql: boolean
  /** Colour on stdout (a terminal, NO_COLOR unset). */
  readonly color: boolean
  /** `demo --studio`: serve the history studio on the tour's records once it ends. */
  readonly studio?: boolean
}

const USAGE = `Usage: ff-storage <command> [options]

Commands:
  plan     show what a sync would change (exit 2 when changes are pending)
  apply    apply the plan (exit 2 when destructive changes stay pending)
  studio   serve the history studio, a local web page over your models
  demo     the guided tour on an embedded database (no server needed)

Run "ff-storage <command> --help" for a command's options.
Exit codes: 0 in sync / applied, 2 changes pending, 1 error.`

const URL_HELP = `  --url <url>            the database: postgres://…, mysql://…, mariadb://… or pglite:<dir>
                         (default: the DATABASE_URL environment variable)`

const COMMANDS = {
  plan: {
    options: { models: { type: 'string' }, url: { type: 'string' }, sql: { type: 'boolean' } },
    help: `Usage: ff-storage plan --models <module> [--url <url>] [--sql]

Compare the database with the models and print what a sync would change; nothing is applied.

Options:
  --models <module>      a TypeScript or JavaScript module exporting your models (defineModel values)
${URL_HELP}
  --sql                  print the SQL statements of each change as well
  -h, --help             this text

Exit codes: 0 in sync, 2 changes pending, 1 error.`,
  },
  apply: {
    options: {
      models: { type: 'string' },
      url: { type: 'string' },
      'allow-destructive': { type: 'boolean' },
    },
    help: `Usage: ff-storage apply --models <module> [--url <url>] [--allow-destructive]

Apply the plan: additive changes always, destructive ones (drops, narrowing) only with
--allow-destructive.

Options:
  --models <module>      a TypeScript or JavaScript module exporting your models (defineModel values)
${URL_HELP}
  --allow-destructive    apply destructive changes too
  -h, --help             this text

Exit codes: 0 applied, 2 destructive changes pending, 1 error.`,
  },
  demo: {
    options: { url: { type: 'string' }, studio: { type: 'boolean' } },
    help: `Usage: ff-storage demo [--url <url>] [--studio]

The guided tour: models with each temporal strategy, audit trails, versions, time travel and
tenant isolation, on an embedded in-memory database unless --url names a server (it then uses
ff_demo_* tables and drops them afterwards).

Options:
  --url <url>            a server to run the tour on (default: embedded PGlite, in memory)
  --studio               then serve the history studio on the tour's records (Ctrl-C stops it)
  -h, --help             this text`,
  },
} as const satisfies Record<string, { options: NonNullable<ParseArgsConfig['options']>; help: string }>

type Command = keyof typeof COMMANDS

/** The `ff-storage` command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'plan':
      case 'apply':
      case 'demo': {
        const flags = parseCommand(command, rest, io, env)
        if (flags === undefined) return 0
        if (command === 'demo') {
          const { runDemo } = await import('./demo.js')
          await runDemo(flags, io)
          return 0
        }
        const commands = await import('./schema-commands.js')
        return await (command === 'plan' ? commands.planCommand(flags, io) : commands.applyCommand(flags, io))
      }
      case 'studio':
        return await (await import('./studio-command.js')).studioCommand(rest, io)
      case undefined:
      case '-h':
      case '--help':
      case 'help': {
        const topic = rest[0]
        if (command === 'help' && topic !== undefined && topic in COMMANDS) {
          io.stdout.write(`${COMMANDS[topic as Command].help}\n`)
          return 0
        }
        if (command === 'help' && topic === 'studio') {
          io.stdout.write(`${(await import('./studio-command.js')).STUDIO_HELP}\n`)
          return 0
        }
        ;(command === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`)
        return command === undefined ? 1 : 0
      }
      default:
        io.stderr.write(
          `ff-storage: unknown command "${command}" (commands: plan, apply, studio, demo; see ff-storage --help)\n`,
        )
        return 1
    }
  } catch (error) {
    io.stderr.write(`ff-storage: ${describeError(error)}\n`)
    if (env.FF_STORAGE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`)
    return 1
  }
}

/** A usage mistake: printed as one line with a pointer to the command's help. */
/** A command line the CLI cannot run: printed as one line, exit 1. */
export class UsageError extends FFStorageError {
  constructor(message: string) {
    super('CLI_USAGE', message)
  }
}

/** Options of one command through `util.parseArgs`; undefined when `--help` was printed. */
function parseCommand(command: Command, args: string[], io: CliIo, env: NodeJS.ProcessEnv): Flags | undefined {
  let values: Record<string, string | boolean | undefined>
  try {
    const options: NonNullable<ParseArgsConfig['options']> = {
      ...COMMANDS[command].options,
      help: { type: 'boolean', short: 'h' },
    }
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as typeof values
  } catch (error) {
    // parseArgs explains in several sentences; the first one names the problem
    const first = (error instanceof Error ? error.message : String(error)).split(/\.(\s|$)/)[0]
    throw new UsageError(`${first} (see ff-storage ${command} --help)`)
  }
  if (values.help) {
    io.stdout.write(`${COMMANDS[command].help}\n`)
    return undefined
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === '') throw new UsageError(`--${name} needs a value (see ff-storage ${command} --help)`)
  }
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const models = str('models')
  const url = str('url') ?? (command === 'demo' ? undefined : env.DATABASE_URL || undefined)
  return {
    ...(models !== undefined && { models }),
    ...(url !== undefined && { url }),
    allowDestructive: values['allow-destructive'] === true,
    sql: values.sql === true,
    color: wantsColor(io.stdout, env),
    ...(values.studio === true && { studio: true }),
  }
}

/** An error as one line (lists of issues keep their lines): no stack trace. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const generic = error.name === 'Error' || error.name === 'UsageError' || error.name === 'ModelsModuleError'
  return generic ? error.message : `${error.name}: ${error.message}`
}
