/**
 * npx tsx bench/peers.ts [--engines postgres,mariadb] [--quick]
 *
 * ff-storage against what users would pick instead, same process, same server, same tables (the
 * library's synced tables, or copies made with LIKE … INCLUDING ALL), ABBA-alternated per pair:
 * raw `pg` unnamed and prepared, Kysely, Drizzle, Drizzle on tables with PL/pgSQL audit and history
 * triggers; on MariaDB a system-versioned table. Also client CPU µs per operation and throughput at
 * 16 concurrent callers. Prints Markdown for bench/RESULTS.md; never asserts on time.
 */
import { randomUUID } from 'node:crypto'
import { and, sql as dsql, eq, isNull } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { integer, numeric, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core'
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { type Database, SchemaManager, sql } from '../src/index.js'
import { ACTOR, columnsOf, freshDatabase, models, TENANT, versions } from './common.js'
import { abba } from './harness.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const engines = (args.includes('--engines') ? args[args.indexOf('--engines') + 1]! : 'postgres,mariadb').split(',')
const ROUNDS = quick ? 40 : 120
const LIST_TENANT = '018f0000-0000-7000-8000-0000000011aa'
const value = (i: number) => ({ name: `n${i}`, age: i % 1000, price: `${i % 1000}.50` })

type Op = (i: number) => Promise<unknown>

/** Client CPU (user + system) per call, µs: blocks of calls alternated A B B A. */
async function cpuPerCall(a: Op, b: Op, calls: number): Promise<[number, number]> {
  const block = async (fn: Op, base: number) => {
    const start = process.cpuUsage()
    for (let i = 0; i < calls; i++) await fn(base + i)
    const d = process.cpuUsage(start)
    return (d.user + d.system) / calls
  }
  const x = [await block(a, 0), 0, 0, await block(a, 3 * calls)]
  x[1] = await block(b, calls)
  x[2] = await block(b, 2 * calls)
  return [(x[0]! + x[3]!) / 2, (x[1]! + x[2]!) / 2]
}

/** Operations per second with `callers` concurrent loops for `ms`. */
async function throughput(fn: Op, callers: number, ms: number): Promise<number> {
  const until = performance.now() + ms
  let done = 0
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      while (performance.now() < until) await fn(c * 1_000_000 + done++)
    }),
  )
  return done / (ms / 1000)
}

const rows: string[] = []
const row = (...cells: (string | number)[]) => rows.push(`| ${cells.join(' | ')} |`)
const f3 = (v: number) => v.toFixed(3)

async function pair(name: string, library: Op, peer: Op, peerName: string, cpuCalls = quick ? 100 : 300) {
  const c = await abba(name, library, peer, { rounds: ROUNDS })
  const [cpuLib, cpuPeer] = await cpuPerCall(library, peer, cpuCalls)
  row(
    name,
    peerName,
    f3(c.library.median),
    f3(c.handWritten.median),
    c.ratio.toFixed(2),
    cpuLib.toFixed(0),
    cpuPeer.toFixed(0),
  )
}

const COLS = columnsOf(false)
const camel = (c: string) => c.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase())
const mapRow = (cols: string[]) => (r: Record<string, unknown> | undefined) =>
  r ? Object.fromEntries(cols.map((c) => [camel(c), r[c]])) : null

const NOW = `date_trunc('milliseconds', statement_timestamp())`

const drizzleColumns = () => ({
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').notNull(),
  name: varchar('name', { length: 100 }).notNull(),
  age: integer('age').notNull(),
  price: numeric('price', { precision: 10, scale: 2 }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  createdBy: uuid('created_by'),
  updatedBy: uuid('updated_by'),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
  deletedBy: uuid('deleted_by'),
})
const drizzleTable = (name: string) => pgTable(name, drizzleColumns())
const drizzleVersioned = (name: string) =>
  pgTable(name, {
    ...drizzleColumns(),
    version: integer('version').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validTo: timestamp('valid_to', { withTimezone: true }),
  })

/** The PL/pgSQL a Drizzle user would add for an audit trail and for versions, on copies of our tables. */
const TRIGGERS = `
create table d_coc (like b_coc including all);
create table d_coc_audit (like b_coc_audit including all);
create function d_coc_audit() returns trigger language plpgsql as $$
declare tx uuid := gen_random_uuid();
begin
  insert into d_coc_audit (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
  select new.id, new.tenant_id, x.f, x.o, x.n, 'UPDATE', new.updated_at, new.updated_by, tx
  from (values ('name', to_jsonb(old.name), to_jsonb(new.name)), ('age', to_jsonb(old.age), to_jsonb(new.age)),
               ('price', to_jsonb(old.price::text), to_jsonb(new.price::text))) as x(f, o, n)
  where x.o is distinct from x.n;
  return null;
end $$;
create trigger d_coc_audit after update on d_coc for each row execute function d_coc_audit();
create table d_scd2 (like b_scd2 including all);
create table d_scd2_history (like b_scd2_history including all);
create function d_scd2_version() returns trigger language plpgsql as $$
declare ts timestamptz := greatest(${NOW}, old.valid_from + interval '1 millisecond');
begin
  insert into d_scd2_history (id, tenant_id, name, age, price, version, valid_from, valid_to, created_at, updated_at,
                              created_by, updated_by, deleted_at, deleted_by, closed_by)
  values (old.id, old.tenant_id, old.name, old.age, old.price, old.version, old.valid_from, ts, old.created_at,
          old.updated_at, old.created_by, old.updated_by, old.deleted_at, old.deleted_by, 'UPDATE');
  new.version := old.version + 1;
  new.valid_from := ts;
  new.updated_at := ts;
  return new;
end $$;
create trigger d_scd2_version before update on d_scd2 for each row execute function d_scd2_version();
`

/**
 * A peer's pool. An idle client the server ends (a database dropped elsewhere, a restart) makes
 * node-postgres emit 'error' on its pool, which ends the process when nobody listens: logged here,
 * so the run goes on (the next query opens a new client).
 */
function peerPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', (err) => console.error(`peer pool: idle client failed: ${err.message}`))
  return pool
}

async function postgres(db: Database, url: string) {
  await db.execute(sql.raw(TRIGGERS))
  const pool = peerPool(url)
  const kysely = new Kysely<{
    b_none: Record<string, unknown>
  }>({
    dialect: new PostgresDialect({ pool: peerPool(url) }),
    plugins: [new CamelCasePlugin()],
  })
  const dpool = peerPool(url)
  const d = drizzle(dpool)
  const dNone = drizzleTable('b_none')
  const dCoc = drizzleTable('d_coc')
  try {
    const repo = db.repository(models.none, { tenantId: TENANT, userId: ACTOR })
    const a = await repo.create(value(1))
    const b = await repo.create(value(2))
    const list = COLS.join(', ')
    const getText = `SELECT ${list} FROM b_none WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`
    const map = mapRow(COLS)
    const rawGet = async () => map((await pool.query(getText, [b.id, TENANT])).rows[0])
    const prepGet = async () =>
      map((await pool.query({ name: 'get_none', text: getText, values: [b.id, TENANT] })).rows[0])
    const kyGet = () =>
      kysely
        .selectFrom('b_none')
        .selectAll()
        .where('id', '=', b.id)
        .where('tenantId', '=', TENANT)
        .where('deletedAt', 'is', null)
        .executeTakeFirst()
    const drGet = () =>
      d
        .select()
        .from(dNone)
        .where(and(eq(dNone.id, b.id), eq(dNone.tenantId, TENANT), isNull(dNone.deletedAt)))
    const libGet = () => repo.get(a.id)
    await pair('get by id [none]', libGet, rawGet, 'raw pg, unnamed')
    await pair('get by id [none]', libGet, prepGet, 'raw pg, prepared')
    await pair('get by id [none]', libGet, kyGet, 'Kysely')
    await pair('get by id [none]', libGet, drGet, 'Drizzle')

    const updText = `UPDATE b_none SET age = $1, updated_at = ${NOW}, updated_by = $2 WHERE id = $3 AND tenant_id = $4 AND deleted_at IS NULL RETURNING ${list}`
    const libUpd: Op = (i) => repo.update(a.id, { age: i % 1000 })
    await pair(
      'update one field [none]',
      libUpd,
      async (i) => map((await pool.query(updText, [i % 1000, ACTOR, b.id, TENANT])).rows[0]),
      'raw pg, unnamed',
    )
    await pair(
      'update one field [none]',
      libUpd,
      async (i) =>
        map((await pool.query({ name: 'upd_none', text: updText, values: [i % 1000, ACTOR, b.id, TENANT] })).rows[0]),
      'raw pg, prepared',
    )
    await pair(
      'update one field [none]',
      libUpd,
      (i) =>
        kysely
          .updateTable('b_none')
          .set({ age: i % 1000, updatedAt: sql`${sql.raw(NOW)}` as never, updatedBy: ACTOR })
          .where('id', '=', b.id)
          .where('tenantId', '=', TENANT)
          .where('deletedAt', 'is', null)
          .returningAll()
          .executeTakeFirst(),
      'Kysely',
    )
    await pair(
      'update one field [none]',
      libUpd,
      (i) =>
        d
          .update(dNone)
          .set({ age: i % 1000, updatedAt: dsql.raw(NOW) as never, updatedBy: ACTOR })
          .where(and(eq(dNone.id, b.id), eq(dNone.tenantId, TENANT), isNull(dNone.deletedAt)))
          .returning(),
      'Drizzle',
    )
    const insText = `INSERT INTO b_none (id, tenant_id, name, age, price, created_at, updated_at, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, ${NOW}, ${NOW}, $6, $6) RETURNING ${list}`
    const libCreate: Op = (i) => repo.create(value(i))
    await pair(
      'create [none]',
      libCreate,
      async (i) => {
        const v = value(i)
        return map(
          (
            await pool.query({
              name: 'ins_none',
              text: insText,
              values: [randomUUID(), TENANT, v.name, v.age, v.price, ACTOR],
            })
          ).rows[0],
        )
      },
      'raw pg, prepared',
    )
    await pair(
      'create [none]',
      libCreate,
      (i) =>
        d
          .insert(dNone)
          .values({
            id: randomUUID(),
            tenantId: TENANT,
            ...value(i),
            createdAt: dsql.raw(NOW) as never,
            updatedAt: dsql.raw(NOW) as never,
            createdBy: ACTOR,
            updatedBy: ACTOR,
          })
          .returning(),
      'Drizzle',
    )

    // audited and versioned updates: the library against Drizzle on tables whose triggers write the trail
    const coc = db.repository(models.copy_on_change, { tenantId: TENANT, userId: ACTOR })
    const c1 = await coc.create(value(1))
    const dc = randomUUID()
    await db.execute(
      sql`insert into d_coc (id, tenant_id, name, age, price, created_at, updated_at, created_by, updated_by) values (${dc}, ${TENANT}, 'd', 1, 1, now(), now(), ${ACTOR}, ${ACTOR})`,
    )
    await pair(
      'audited update [copy_on_change]',
      (i) => coc.update(c1.id, { age: i % 1000 }),
      (i) =>
        d
          .update(dCoc)
          .set({ age: i % 1000, updatedAt: dsql.raw(NOW) as never, updatedBy: ACTOR })
          .where(and(eq(dCoc.id, dc), eq(dCoc.tenantId, TENANT), isNull(dCoc.deletedAt)))
          .returning(),
      'Drizzle + audit trigger',
    )
    const scd = db.repository(models.scd2, { tenantId: TENANT, userId: ACTOR })
    const s1 = await scd.create(value(1))
    const ds = randomUUID()
    await db.execute(
      sql`insert into d_scd2 (id, tenant_id, name, age, price, version, valid_from, created_at, updated_at, created_by, updated_by) values (${ds}, ${TENANT}, 'd', 1, 1, 1, now(), now(), now(), ${ACTOR}, ${ACTOR})`,
    )
    const dV = drizzleVersioned('d_scd2')
    await pair(
      'versioned update [scd2]',
      (i) => scd.update(s1.id, { age: i % 1000 }),
      (i) =>
        d
          .update(dV)
          .set({ age: i % 1000, updatedBy: ACTOR })
          .where(and(eq(dV.id, ds), eq(dV.tenantId, TENANT), isNull(dV.deletedAt)))
          .returning(),
      'Drizzle + history trigger',
    )

    // list: 100 rows; CPU per row is the figure that matters here
    const lister = db.repository(models.none, { tenantId: LIST_TENANT, userId: ACTOR })
    await lister.createMany(Array.from({ length: 300 }, (_, i) => ({ name: `l${i}`, age: i, price: '1' })))
    await pair(
      'list 100 of 300, filtered [none]',
      () => lister.list({ where: { age: { gte: 100 } } }),
      () =>
        kysely
          .selectFrom('b_none')
          .selectAll()
          .where('tenantId', '=', LIST_TENANT)
          .where('deletedAt', 'is', null)
          .where('age', '>=', 100)
          .orderBy('createdAt', 'desc')
          .orderBy('id', 'desc')
          .limit(100)
          .execute(),
      'Kysely',
      quick ? 40 : 100,
    )

    // throughput at 16 concurrent callers, get by id, alternated A B B A
    const ms = quick ? 1_500 : 3_000
    for (const [peerName, peer] of [
      ['raw pg, unnamed', rawGet],
      ['raw pg, prepared', prepGet],
    ] as const) {
      const t = [
        await throughput(libGet, 16, ms),
        await throughput(peer, 16, ms),
        await throughput(peer, 16, ms),
        await throughput(libGet, 16, ms),
      ]
      const lib = (t[0]! + t[3]!) / 2
      const other = (t[1]! + t[2]!) / 2
      rows.push(
        `| throughput, 16 callers, get by id [none] (ops/s; ratio = library / peer) | ${peerName} | ${lib.toFixed(0)} | ${other.toFixed(0)} | ${(lib / other).toFixed(2)} | | |`,
      )
    }
  } finally {
    await pool.end()
    await kysely.destroy()
    await dpool.end()
  }
}

async function mariadb(db: Database) {
  await db.execute(sql`create table m_sv like b_none`)
  await db.execute(sql`alter table m_sv add system versioning`)
  const scd = db.repository(models.scd2, { tenantId: TENANT, userId: ACTOR })
  const s1 = await scd.create(value(1))
  const id = randomUUID()
  await db.execute(
    sql`insert into m_sv (id, tenant_id, name, age, price, created_at, updated_at, created_by, updated_by) values (${id}, ${TENANT}, 'm', 1, 1, now(3), now(3), ${ACTOR}, ${ACTOR})`,
  )
  const list = COLS.join(', ')
  const map = mapRow(COLS)
  await pair(
    'versioned update [scd2]',
    (i) => scd.update(s1.id, { age: i % 1000 }),
    async (i) => {
      await db.run({
        sql: 'UPDATE m_sv SET age = ?, updated_at = NOW(3), updated_by = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL',
        parameters: [i % 1000, ACTOR, id, TENANT],
      })
      return map((await db.run({ sql: `SELECT ${list} FROM m_sv WHERE id = ?`, parameters: [id] })).rows[0])
    },
    'system-versioned UPDATE + SELECT',
  )
  // asOf in the middle of the history both sides built above
  await new Promise((r) => setTimeout(r, 20))
  const at = new Date()
  await new Promise((r) => setTimeout(r, 20))
  for (let i = 0; i < 20; i++) {
    await scd.update(s1.id, { age: 500 + i })
    await db.run({ sql: 'UPDATE m_sv SET age = ? WHERE id = ?', parameters: [500 + i, id] })
  }
  await pair(
    'get asOf [scd2]',
    () => scd.get(s1.id, { asOf: at }),
    async () =>
      map(
        (
          await db.run({
            sql: `SELECT ${list} FROM m_sv FOR SYSTEM_TIME AS OF TIMESTAMP ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL`,
            parameters: [at, id, TENANT],
          })
        ).rows[0],
      ),
    'FOR SYSTEM_TIME AS OF',
  )
}

for (const engine of engines) {
  const { db, url, drop } = await freshDatabase(engine)
  try {
    await new SchemaManager(db).sync(Object.values(models))
    rows.length = 0
    if (engine === 'postgres') await postgres(db, url!)
    else await mariadb(db)
    console.log(`\n## ${engine}: ${await versions(db)} — peers\n`)
    console.log(
      '| operation | peer | ff-storage p50 ms | peer p50 ms | ratio p50 | ff-storage CPU µs/op | peer CPU µs/op |',
    )
    console.log('|---|---|---|---|---|---|---|')
    for (const r of rows) console.log(r)
  } finally {
    await drop()
  }
}
