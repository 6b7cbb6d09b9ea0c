import type { Writable } from 'node:stream'

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean }
  readonly stderr: Writable & { isTTY?: boolean }
}

const USAGE = `Usage: ff-storage <command> [options]

Commands:
  demo [--url <url>]                     the guided tour (embedded PGlite unless --url)
  plan --models <module> [--url <url>]   show what sync would change (exit 2 when changes are pending)
  apply --models <module> [--url <url>] [--allow-destructive]
                                         apply the plan (exit 2 when destructive changes stay pending)
  studio --models <module> [--url <url>] [--port <n>] [--allow-writes --actor <id>]
                                         serve the history studio on 127.0.0.1

Exit codes: 0 in sync / applied, 2 changes pending, 1 error.`

/** The `ff-storage` command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'plan':
        return (await import('./schema-commands.js')).planCommand(parseFlags(rest), io)
      case 'apply':
        return (await import('./schema-commands.js')).applyCommand(parseFlags(rest), io)
      case 'studio':
        return await (await import('./studio-command.js')).studioCommand(rest, io)
      case 'demo': {
        const { runDemo } = await import('./demo.js')
        await runDemo(parseFlags(rest), io)
        return 0
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${USAGE}\n`)
        return command === undefined ? 1 : 0
      default:
        io.stderr.write(`ff-storage: unknown command "${command}"\n\n${USAGE}\n`)
        return 1
    }
  } catch (error) {
    io.stderr.write(`ff-storage: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

export interface Flags {
  readonly url?: string
  readonly models?: string
  readonly allowDestructive: boolean
}

export function parseFlags(args: readonly string[]): Flags {
  const flags: { url?: string; models?: string; allowDestructive: boolean } = { allowDestructive: false }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg]
    const value = () => {
      const v = inline ?? args[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`)
      return v
    }
    switch (name) {
      case '--url':
        flags.url = value()
        break
      case '--models':
        flags.models = value()
        break
      case '--allow-destructive':
        flags.allowDestructive = true
        break
      default:
        throw new Error(`unknown option "${arg}"`)
    }
  }
  return flags
}
