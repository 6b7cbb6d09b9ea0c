/**
 * npx tsx bench/asof.ts [--quick] [--versions 20]
 *
 * MariaDB `get(id, { asOf })` on an scd2 model against the engine's own time travel: the same rows
 * in a system-versioned copy of the model's table (`create table … like …; alter table … add
 * system versioning`) read with `FOR SYSTEM_TIME AS OF`, same process, same pool, ABBA-alternated
 * (bench/harness.ts). Three instants: in the current version, in a closed version in the middle of
 * the history, before creation; for each, the statement `get` sends run alone through `db.run` (the
 * server's share of the time). Prints Markdown; never asserts on time.
 */
import { randomUUID } from 'node:crypto'
import { type Database, SchemaManager, sql } from '../src/index.js'
import type { Statement } from '../src/sql/statement.js'
import { ACTOR, columnsOf, freshDatabase, models, TENANT, versions } from './common.js'
import { abba, formatRow, TABLE_HEADER } from './harness.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const depth = args.includes('--versions') ? Number(args[args.indexOf('--versions') + 1]) : 20
const ROUNDS = quick ? 60 : 200

const COLS = columnsOf(true)
const camel = (c: string) => c.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase())
const mapRow = (r: Record<string, unknown> | undefined) =>
  r ? Object.fromEntries(COLS.map((c) => [camel(c), r[c]])) : null
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The first statement `call` sends through `db.run`. */
async function sent(db: Database, call: () => Promise<unknown>): Promise<Statement> {
  const target = db as { run: Database['run'] }
  const run = target.run
  let caught: Statement | undefined
  target.run = async function (this: Database, ...args: Parameters<Database['run']>) {
    caught ??= args[0] as Statement
    return run.apply(this, args)
  } as Database['run']
  try {
    await call()
  } finally {
    target.run = run
  }
  return caught!
}

async function run(db: Database) {
  await new SchemaManager(db).sync([models.scd2])
  await db.execute(sql`create table m_sv like b_scd2`)
  await db.execute(sql`alter table m_sv add system versioning`)
  const scd = db.repository(models.scd2, { tenantId: TENANT, userId: ACTOR })
  const s1 = await scd.create({ name: 'n', age: 1, price: '1.50' })
  const peerId = randomUUID()
  await db.execute(
    sql`insert into m_sv (id, tenant_id, name, age, price, version, valid_from, created_at, updated_at, created_by, updated_by)
        values (${peerId}, ${TENANT}, 'm', 1, 1, 1, now(3), now(3), now(3), ${ACTOR}, ${ACTOR})`,
  )
  await pause(20)
  const before = new Date(Date.now() - 60_000)
  const instants: [string, Date][] = [['before creation', before]]
  for (let i = 0; i < depth; i++) {
    if (i === Math.floor(depth / 2)) {
      await pause(20)
      instants.push([`closed version (${depth} versions)`, new Date()])
      await pause(20)
    }
    await scd.update(s1.id, { age: (500 + i) % 1000 })
    await db.run({ sql: 'UPDATE m_sv SET age = ? WHERE id = ?', parameters: [(500 + i) % 1000, peerId] })
  }
  await pause(20)
  instants.push(['current version', new Date()])
  const list = COLS.join(', ')
  const results = []
  for (const [label, at] of instants) {
    const peer = async () =>
      mapRow(
        (
          await db.run({
            sql: `SELECT ${list} FROM m_sv FOR SYSTEM_TIME AS OF TIMESTAMP ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL`,
            parameters: [at, peerId, TENANT],
          })
        ).rows[0],
      )
    results.push(
      await abba(`get asOf, ${label}`, () => scd.get(s1.id, { asOf: at }), peer, { rounds: ROUNDS, warmup: 50 }),
    )
    // the server's share: the statement get sends, run as it is (no validation, cache lookup or decoding)
    const statement = await sent(db, () => scd.get(s1.id, { asOf: at }))
    results.push(
      await abba(`  its statement alone, ${label}`, async () => mapRow((await db.run(statement)).rows[0]), peer, {
        rounds: ROUNDS,
        warmup: 50,
      }),
    )
  }
  return results
}

const { db, drop } = await freshDatabase('mariadb')
try {
  const results = await run(db)
  console.log(`\n## mariadb: ${await versions(db)} — get asOf vs FOR SYSTEM_TIME AS OF\n`)
  console.log(
    TABLE_HEADER.replace('hand-written', 'FOR SYSTEM_TIME AS OF').replace('hand-written', 'FOR SYSTEM_TIME AS OF'),
  )
  for (const r of results) console.log(formatRow(r))
} finally {
  await drop()
}
