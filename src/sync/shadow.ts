import type { Database } from '../db/database.js'
import { SchemaSyncError } from '../errors.js'
import { hashOf } from '../schema/names.js'
import type { SchemaDesc, TableDesc } from '../schema/types.js'

const ROLLBACK = Symbol('rollback')

/**
 * PostgreSQL prints types, defaults, checks and index predicates in one canonical form. To compare
 * like with like, the desired tables are created in throw-away schemas inside a transaction that is
 * always rolled back, and read back through the same catalog queries as the live tables.
 */
export async function renderThroughPostgres(
  db: Database,
  desired: SchemaDesc,
  defaultSchema: string,
): Promise<SchemaDesc> {
  const { dialect } = db
  const salt = hashOf(`${Date.now()}-${Math.random()}`, 6)
  const shadowOf = new Map<string, string>()
  const originals = [...new Set(desired.tables.map((t) => t.schema ?? defaultSchema))]
  for (const [i, s] of originals.entries()) shadowOf.set(s, `ff_shadow_${salt}_${i}`)
  const inDesired = new Set(desired.tables.map((t) => `${t.schema ?? defaultSchema}.${t.name}`))
  const toShadow = (t: TableDesc): TableDesc => ({
    ...t,
    schema: shadowOf.get(t.schema ?? defaultSchema)!,
    foreignKeys: t.foreignKeys.map((fk) => {
      const target = fk.refSchema ?? defaultSchema
      return inDesired.has(`${target}.${fk.refTable}`)
        ? { ...fk, refSchema: shadowOf.get(target)! }
        : { ...fk, refSchema: target }
    }),
  })
  let rendered: SchemaDesc | undefined
  try {
    await db.transactionOnce(async (tx) => {
      const run = (sql: string, table?: TableDesc) =>
        tx.run({ sql, parameters: [] }).catch((error: unknown) => {
          throw new SchemaSyncError(
            `The database rejects the models${table ? ` (table ${table.name})` : ''}: ${(error as Error).message}`,
            { cause: error, sql },
          )
        })
      for (const shadow of shadowOf.values()) await run(dialect.ddl.createSchema(shadow))
      const shadows = desired.tables.map(toShadow)
      for (const t of shadows) for (const s of dialect.ddl.createTable({ ...t, foreignKeys: [] })) await run(s, t)
      for (const t of shadows) for (const fk of t.foreignKeys) await run(dialect.ddl.addForeignKey(t, fk), t)
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
            foreignKeys: t.foreignKeys.map((fk) => ({ ...fk, refSchema: original(fk.refSchema) })),
            ...(source?.role && { role: source.role }),
            ...(source?.model && { model: source.model }),
          }
        }),
      }
      throw ROLLBACK
    })
  } catch (error) {
    if (error !== ROLLBACK) throw error
  }
  return rendered!
}
