import { randomBytes } from 'node:crypto'
import { connect, type Database, sql } from '../src/index.js'

export const URLS: Record<string, string | undefined> = {
  pglite: undefined,
  postgres: process.env.FF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: process.env.FF_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** A database of its own for one benchmark run (PGlite in memory, or a new database on the server). */
export async function freshDatabase(engine: string): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    const db = await connect()
    return { db, drop: () => db.close() }
  }
  const admin = await connect(URLS[engine])
  const name = `ff_bench_${randomBytes(4).toString('hex')}`
  await admin.execute(sql`create database ${sql.id(name)}`)
  const u = new URL(URLS[engine]!)
  u.pathname = `/${name}`
  const db = await connect({ url: u.toString(), pool: { max: 10 } })
  return {
    db,
    async drop() {
      await db.close()
      await admin.execute(
        engine === 'postgres' ? sql`drop database ${sql.id(name)} with (force)` : sql`drop database ${sql.id(name)}`,
      )
      await admin.close()
    },
  }
}
