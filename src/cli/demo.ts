import { connect, sql } from '../index.js'
import type { CliIo, Flags } from './run.js'

/** The guided tour. */
export async function runDemo(flags: Flags, io: CliIo): Promise<void> {
  const db = await connect(flags.url)
  try {
    const row = await db.queryOne<{ version: string }>(sql`select version() as version`)
    io.stdout.write(`ff-storage demo on ${db.dialect.name}: ${row?.version ?? 'unknown version'}\n`)
  } finally {
    await db.close()
  }
}
