/**
 * npx tsx bench/pglite-prepared.ts [--rounds N] [--runs N]
 *
 * PGlite against itself, in one process: the same repository calls on an instance with prepared
 * statements (the default) and on one with `preparedStatements: false` (every statement through
 * PGlite's `query`: unnamed Parse, Describe, Bind, Describe, Execute, Sync), ABBA-alternated.
 * Then the copy_on_change update statement itself, three ways: `query` (unnamed), SQL-level
 * `PREPARE` once + `EXECUTE name($1…)` through `query`, and the driver's protocol-level named
 * statement (Bind + Execute + Sync). Prints p50 ms per run and the ratio; never asserts on time.
 */
import { CompiledQuery } from 'kysely'
import { connect, type Database, SchemaManager, sql } from '../src/index.js'
import { ACTOR, models, TENANT } from './common.js'
import { abba } from './harness.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback
const rounds = option('--rounds', 60)
const runs = option('--runs', 3)

/** The statements `off` sends, with their values (the slow-query log at 0 ms sees every one). */
const sent: { sql: string; parameters: readonly unknown[] }[] = []
const capture = {
  debug() {},
  info() {},
  error() {},
  warn(record: object) {
    const { sql: text, parameters } = record as { sql?: string; parameters?: readonly unknown[] }
    if (text !== undefined && parameters !== undefined) sent.push({ sql: text, parameters })
  },
}

const on = await connect()
const off = await connect({ preparedStatements: false, slowQueryMs: 0, logParameters: true, logger: capture })
const ms = (n: number) => n.toFixed(3)

async function repositoryRun(): Promise<void> {
  console.log('\n| operation | prepared p50 ms | unnamed p50 ms | unnamed / prepared |\n|---|---|---|---|')
  for (const [strategy, Model] of Object.entries(models)) {
    const a = on.repository(Model, { tenantId: TENANT, userId: ACTOR })
    const b = off.repository(Model, { tenantId: TENANT, userId: ACTOR })
    const ra = await a.create({ name: 'x', age: 1, price: '1' })
    const rb = await b.create({ name: 'x', age: 1, price: '1' })
    for (const [name, fa, fb] of [
      ['update', (i: number) => a.update(ra.id, { age: i % 1000 }), (i: number) => b.update(rb.id, { age: i % 1000 })],
      ['get by id', () => a.get(ra.id), () => b.get(rb.id)],
      [
        'create',
        (i: number) => a.create({ name: `c${i}`, age: 2, price: '2' }),
        (i: number) => b.create({ name: `c${i}`, age: 2, price: '2' }),
      ],
    ] as const) {
      const c = await abba(name, fa, fb, { rounds })
      console.log(
        `| ${name} [${strategy}] | ${ms(c.library.median)} | ${ms(c.handWritten.median)} | ${(1 / c.ratio).toFixed(2)} |`,
      )
    }
  }
}

/** The copy_on_change update statement as `off` sent it. */
async function updateStatement(): Promise<{ sql: string; parameters: readonly unknown[] }> {
  const repo = off.repository(models.copy_on_change, { tenantId: TENANT, userId: ACTOR })
  const r = await repo.create({ name: 's', age: 1, price: '1' })
  sent.length = 0
  await repo.update(r.id, { age: 7 })
  const update = sent.find((s) => /\bupdate\b/i.test(s.sql) && s.parameters.length > 0)
  if (!update) throw new Error('the update statement was not seen')
  return update
}

async function statementRun(statement: { sql: string; parameters: readonly unknown[] }): Promise<void> {
  const raw = (db: Database) => () => db.query(CompiledQuery.raw(statement.sql, [...statement.parameters]))
  // EXECUTE takes no bound parameters through the extended protocol ("bind message supplies 8
  // parameters, but prepared statement "" requires 0"): its arguments must be literals in the text,
  // which the library never does with values. Measured here, with this bench's own constants only.
  const literals = statement.parameters.map(literal).join(', ')
  const execute = CompiledQuery.raw(`execute ff_bench(${literals})`)
  const viaExecute = () => off.query(execute)
  const c1 = await abba('protocol vs query', raw(on), raw(off), { rounds })
  const c2 = await abba('protocol vs PREPARE/EXECUTE', raw(on), viaExecute, { rounds })
  console.log(
    `\n| copy_on_change update statement (${statement.sql.length} chars, ${statement.parameters.length} parameters) | p50 ms |\n|---|---|`,
  )
  console.log(`| query (unnamed, parsed and planned per call) | ${ms(c1.handWritten.median)} |`)
  console.log(`| SQL PREPARE once + EXECUTE through query | ${ms(c2.handWritten.median)} |`)
  console.log(`| protocol named statement (this driver) | ${ms(c1.library.median)} / ${ms(c2.library.median)} |`)
  console.log(
    `| query / protocol | ${(1 / c1.ratio).toFixed(2)} |\n| PREPARE-EXECUTE / protocol | ${(1 / c2.ratio).toFixed(2)} |`,
  )
}

function literal(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (value instanceof Date) return `'${value.toISOString()}'`
  return `'${String(value).replaceAll("'", "''")}'`
}

try {
  await new SchemaManager(on).sync(Object.values(models))
  await new SchemaManager(off).sync(Object.values(models))
  const statement = await updateStatement()
  await off.execute(sql.raw(`prepare ff_bench as ${statement.sql}`))
  for (let run = 1; run <= runs; run++) {
    console.log(`\n## run ${run} of ${runs} (${rounds} ABBA rounds each)`)
    await repositoryRun()
    await statementRun(statement)
  }
} finally {
  await on.close()
  await off.close()
}
