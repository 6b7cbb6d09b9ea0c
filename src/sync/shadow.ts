import type { Database } from '../db/database.js'
import { SchemaSyncError } from '../errors.js'
import { hashOf } from '../schema/names.js'
import type { SchemaDesc, TableDesc } from '../schema/types.js'

const ROLLBACK = Symbol('rollback')

/**
 * PostgreSQL prints types, defaults, checks and index predicates in one canonical form. To compare
 * like with like, the desired tables are created in throw-away schemas inside a transaction that is
 * always rolled back, and read back through the same catalog queries as the live tables. Only what
 * holds expressions is rendered (tables with their defaults and checks, partial indexes); foreign
 * keys and plain indexes are structure and are taken from the models as they are.
 */
export async function renderThroughPostgres(
  db: Database,
  desired: SchemaDesc,
  defaultSchema: string,
  oneByOne = db.dialect.capabilities.singleConnection,
): Promise<SchemaDesc> {
  const { dialect } = db
  const salt = hashOf(`${Date.now()}-${Math.random()}`, 6)
  const shadowOf = new Map<string, string>()
  const originals = [...new Set(desired.tables.map((t) => t.schema ?? defaultSchema))]
  for (const [i, s] of originals.entries()) shadowOf.set(s, `ff_shadow_${salt}_${i}`)
  const toShadow = (t: TableDesc): TableDesc => ({
    ...t,
    schema: shadowOf.get(t.schema ?? defaultSchema)!,
    foreignKeys: [],
    indexes: t.indexes.filter((i) => i.where !== undefined),
  })
  let rendered: SchemaDesc | undefined
  try {
    await db.transactionOnce(async (tx) => {
      const run = (sql: string) =>
        tx.run({ sql, parameters: [] }).catch((error: unknown) => {
          const table = /CREATE (?:UNIQUE )?(?:TABLE|INDEX) (?:"[^"]+" ON )?"[^"]+"\."([^"]+)"/.exec(sql)?.[1]
          throw new SchemaSyncError(
            `The database rejects the models${table && !sql.includes(';\n') ? ` (table ${table})` : ''}: ${(error as Error).message}`,
            { cause: error, sql },
          )
        })
      const shadows = desired.tables.map(toShadow)
      const statements = [...[...shadowOf.values()].map((shadow) => dialect.ddl.createSchema(shadow))]
      for (const t of shadows) statements.push(...dialect.ddl.createTable(t))
      if (oneByOne) {
        for (const statement of statements) await run(statement)
      } else {
        // one round trip (the simple protocol takes several statements without parameters)
        await run(statements.join(';\n'))
      }
      const read = await dialect.introspector.read(
        async (sql, parameters) => (await tx.run({ sql, parameters })).rows,
        [...shadowOf.values()],
      )
      const back = new Map([...shadowOf].map(([original, shadow]) => [shadow, original]))
      const original = (s: string | undefined) => {
        const o = s === undefined ? undefined : (back.get(s) ?? s)
        return o === defaultSchema ? undefined : o
      }
      const byKey = new Map(desired.tables.map((t) => [`${t.schema ?? defaultSchema}.${t.name}`, t]))
      rendered = {
        tables: read.tables.map((t) => {
          const schema = original(t.schema)
          const source = byKey.get(`${schema ?? defaultSchema}.${t.name}`)
          return {
            ...t,
            schema: source?.schema,
            foreignKeys: source?.foreignKeys ?? [],
            indexes: (source?.indexes ?? []).map((i) =>
              i.where === undefined ? i : (t.indexes.find((r) => r.name === i.name) ?? i),
            ),
            ...(source?.role && { role: source.role }),
            ...(source?.model && { model: source.model }),
          }
        }),
      }
      throw ROLLBACK
    })
  } catch (error) {
    // a batch that fails is re-run statement by statement, to name the table the database rejects
    if (error instanceof SchemaSyncError && !oneByOne) return renderThroughPostgres(db, desired, defaultSchema, true)
    if (error !== ROLLBACK) throw error
  }
  return rendered!
}
