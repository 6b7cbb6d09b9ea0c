import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { connect, type Database, defineModel, field, sql } from '../src/index.js'

/** The benchmark's models: one per temporal strategy, the same three user fields. */
export const fields = {
  name: z.string().max(100),
  age: z.int().min(0).max(1000),
  price: field(z.string(), { precision: 10, scale: 2 }),
}
export const models = {
  none: defineModel({ table: 'b_none', temporal: 'none', fields }),
  copy_on_change: defineModel({ table: 'b_coc', temporal: 'copy_on_change', fields }),
  scd2: defineModel({ table: 'b_scd2', temporal: 'scd2', fields }),
} as const

/** The benchmark tables' columns in order (scd2 adds version and validity). */
export function columnsOf(scd2: boolean): string[] {
  const user = ['id', 'tenant_id', 'name', 'age', 'price']
  const system = ['created_at', 'updated_at', 'created_by', 'updated_by', 'deleted_at', 'deleted_by']
  return [...user, ...(scd2 ? ['version', 'valid_from', 'valid_to'] : []), ...system]
}

export const TENANT = '018f0000-0000-7000-8000-00000000be0c'
export const ACTOR = '018f0000-0000-7000-8000-0000000000ac'

export const URLS: Record<string, string | undefined> = {
  pglite: undefined,
  postgres: process.env.FF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: process.env.FF_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** A database of its own for one benchmark run (PGlite in memory, or a new database on the server). */
export async function freshDatabase(
  engine: string,
): Promise<{ db: Database; url: string | undefined; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    const db = await connect()
    return { db, url: undefined, drop: () => db.close() }
  }
  const admin = await connect(URLS[engine])
  const name = `ff_bench_${randomBytes(4).toString('hex')}`
  await admin.execute(sql`create database ${sql.id(name)}`)
  const u = new URL(URLS[engine]!)
  u.pathname = `/${name}`
  const db = await connect({ url: u.toString(), pool: { max: 10 } })
  return {
    db,
    url: u.toString(),
    async drop() {
      await db.close()
      await admin.execute(
        engine === 'postgres' ? sql`drop database ${sql.id(name)} with (force)` : sql`drop database ${sql.id(name)}`,
      )
      await admin.close()
    },
  }
}

export async function versions(db: Database): Promise<string> {
  const row = await db.queryOne<{ v: string }>(sql`select version() as v`)
  return String(row?.v).split(' on ')[0]!.split(',')[0]!
}
