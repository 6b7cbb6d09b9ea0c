import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'
import { pgliteDialect } from '../../dialect/postgres/dialect.js'
import { PGliteDriver } from './pglite.js'
import type { Engine } from './types.js'

/**
 * Embedded PostgreSQL: in memory when `dataDir` is undefined, else persisted there; `prepare` runs
 * repeated statement shapes as named prepared statements (the `preparedStatements` option).
 */
export async function openPglite(dataDir: string | undefined, prepare = true): Promise<Engine> {
  // PGlite creates the data directory but not its parents: `pglite:./.data/app` in a fresh project
  if (dataDir !== undefined && !dataDir.includes('://')) await mkdir(dataDir, { recursive: true })
  const driver = new PGliteDriver(() => PGlite.create(dataDir === undefined ? undefined : { dataDir }), prepare)
  const kysely = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new PostgresQueryCompiler(),
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's introspector takes its own untyped instance
      createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
    },
  })
  return {
    dialect: pgliteDialect,
    kysely,
    poolStats: () => ({ total: 1, idle: driver.busy ? 0 : 1, waiting: driver.waiting, max: 1 }),
  }
}
