import type { CliIo } from './run.js'

/** `ff-storage studio`: a placeholder until the history studio lands. */
export async function studioCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr.write('ff-storage: the studio is not built yet\n')
  return 1
}
