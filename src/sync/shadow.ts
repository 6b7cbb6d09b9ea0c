import type { Database } from '../db/database.js'
import { SchemaSyncError } from '../errors.js'
import { hashOf } from '../schema/names.js'
import type { IndexDesc, SchemaDesc, TableDesc } from '../schema/types.js'

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
  // Tables alike in everything but their names (audit tables, say) render alike: one of each shape
  // is created, the others take its rendering under their own names.
  const shapes = new Map<string, TableDesc>()
  const shapeOf = new Map<TableDesc, TableDesc>()
  for (const t of desired.tables) {
    const key = shapeKey(t)
    const first = shapes.get(key)
    if (first) shapeOf.set(t, first)
    else shapes.set(key, t)
  }
  const toShadow = (t: TableDesc): TableDesc => ({
    ...t,
    schema: shadowOf.get(t.schema ?? defaultSchema)!,
    primaryKey: undefined,
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
      const shadows = [...shapes.values()].map(toShadow)
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
      const byShadowKey = new Map(read.tables.map((t) => [`${t.schema}.${t.name}`, t]))
      const renderingOf = (t: TableDesc) => byShadowKey.get(`${shadowOf.get(t.schema ?? defaultSchema)}.${t.name}`)
      rendered = {
        tables: desired.tables.flatMap((source) => {
          const model = shapeOf.get(source) ?? source
          const r = renderingOf(model)
          if (!r) return []
          // the rendering of `model`, under the names of `source` (constraints matched by position)
          const check = (i: number) => r.checks.find((c) => c.name === model.checks[i]!.name)
          const partial = (t: TableDesc) => t.indexes.filter((x) => x.where !== undefined)
          const index = (x: IndexDesc) =>
            r.indexes.find((y) => y.name === partial(model)[partial(source).indexOf(x)]?.name)
          return [
            {
              ...r,
              schema: source.schema,
              name: source.name,
              primaryKey: source.primaryKey,
              foreignKeys: source.foreignKeys,
              checks: source.checks.map((c, i) => ({ ...(check(i) ?? c), name: c.name })),
              indexes: source.indexes.map((x) => (x.where === undefined ? x : { ...(index(x) ?? x), name: x.name })),
              ...(source.role && { role: source.role }),
              ...(source.model && { model: source.model }),
            },
          ]
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

/** Everything about a table that its rendering depends on, without its names. */
function shapeKey(t: TableDesc): string {
  return JSON.stringify([
    t.columns,
    t.checks.map((c) => c.expression),
    t.indexes.filter((i) => i.where !== undefined).map((i) => [i.columns, i.unique, i.method, i.where]),
  ])
}
