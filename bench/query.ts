/**
 * npx tsx bench/query.ts [--engines pglite,postgres,mariadb] [--quick] [--joins]
 *
 * The query surface against hand-written SQL with the same semantics, same process and pool, ABBA:
 * - a scoped join of two models (db.scoped, and prepared once with db.prepareScoped) vs the same join
 *   written by hand (tenant and soft-delete filters on both tables, the same columns); and, as the
 *   peer, the same join built with plain Kysely (db.kysely: unscoped, filters by hand, no library
 *   checks), which is what the ad-hoc builder's own cost is measured against;
 * - updateMany of 1,000 audited (copy_on_change) records vs 1,000 single updates and vs one
 *   hand-written statement (PostgreSQL: a data-modifying CTE; MySQL: a locking transaction).
 * Prints Markdown rows for bench/RESULTS.md.
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { type Database, defineModel, field, SchemaManager, sql } from '../src/index.js'
import { freshDatabase } from './common.js'
import { abba, type Comparison, countStatements, formatRow, TABLE_HEADER } from './harness.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const joinsOnly = args.includes('--joins')
const engines = (args.includes('--engines') ? args[args.indexOf('--engines') + 1]! : 'pglite,postgres,mariadb').split(
  ',',
)
const TENANT = '018f0000-0000-7000-8000-00000000be0c'
const OTHER = '018f0000-0000-7000-8000-00000000be0d'
const ACTOR = '018f0000-0000-7000-8000-0000000000ac'

const Customer = defineModel({
  table: 'q_customers',
  temporal: 'copy_on_change',
  fields: { name: z.string().max(100), segment: field(z.string().max(20), { index: true }) },
})
const Contract = defineModel({
  table: 'q_contracts',
  temporal: 'copy_on_change',
  fields: {
    customerId: field(z.uuid(), { index: true }),
    monthlyFee: field(z.string(), { precision: 10, scale: 2 }),
    title: z.string().max(100),
  },
})
const Member = defineModel({
  table: 'q_members',
  temporal: 'copy_on_change',
  fields: { batch: field(z.int(), { index: true }), age: z.int().min(0).max(100_000), name: z.string().max(50) },
})

async function joins(db: Database): Promise<Comparison[]> {
  const customerIds: string[] = []
  const byTenant = new Map<string, string[]>()
  for (const tenant of [TENANT, OTHER]) {
    const customers = await db
      .repository(Customer, { tenantId: tenant, userId: ACTOR })
      .createMany(Array.from({ length: 1_000 }, (_, i) => ({ name: `c${i}`, segment: ['smb', 'ent', 'mid'][i % 3]! })))
    if (tenant === TENANT) customerIds.push(...customers.map((c) => c.id))
    byTenant.set(
      tenant,
      customers.map((c) => c.id),
    )
    await db.repository(Contract, { tenantId: tenant, userId: ACTOR }).createMany(
      customers.flatMap((c, i) =>
        Array.from({ length: 5 }, (_, j) => ({
          customerId: c.id,
          monthlyFee: `${(i * 7 + j) % 500}.50`,
          title: `k${j}`,
        })),
      ),
      { returning: false },
    )
  }
  const pg = db.dialect.family === 'postgres'
  await db.execute(pg ? sql`analyze` : sql`analyze table q_customers, q_contracts`)
  const p = (n: number) => (pg ? `$${n}` : '?')
  const scoped = db.scoped([Customer, Contract], { tenantId: TENANT })
  const pointLib = (i: number) =>
    scoped
      .selectFrom('q_contracts')
      .innerJoin('q_customers', 'q_customers.id', 'q_contracts.customerId')
      .select(['q_customers.name', 'q_contracts.title', 'q_contracts.monthlyFee'])
      .where('q_contracts.customerId', '=', customerIds[i % customerIds.length]!)
      .execute()
  const pointSql = `SELECT cu.name AS name, k.title AS title, k.monthly_fee AS "monthlyFee"
    FROM q_contracts k JOIN q_customers cu ON cu.id = k.customer_id
    WHERE k.customer_id = ${p(1)} AND k.tenant_id = ${p(2)} AND k.deleted_at IS NULL AND cu.tenant_id = ${p(3)} AND cu.deleted_at IS NULL`
  const q = (text: string) => (pg ? text : text.replaceAll('"', '`'))
  // the hand-written side runs on the same executor (db.run: same pool, metrics, error conversion)
  const pointHandBound = (i: number) =>
    db
      .run({ sql: q(pointSql), parameters: [customerIds[i % customerIds.length]!, TENANT, TENANT] })
      .then((r) => r.rows.map((row) => ({ ...row, monthlyFee: String(row.monthlyFee) })))
  // the peer: the same join built with plain (unscoped) Kysely on the same pool, filters written by hand
  // biome-ignore lint/suspicious/noExplicitAny: db.kysely is untyped
  const kysely = db.kysely as any
  const pointKysely = (i: number) =>
    kysely
      .selectFrom('q_contracts as k')
      .innerJoin('q_customers as cu', 'cu.id', 'k.customer_id')
      .select(['cu.name', 'k.title', 'k.monthly_fee as monthlyFee'])
      .where('k.customer_id', '=', customerIds[i % customerIds.length]!)
      .where('k.tenant_id', '=', TENANT)
      .where('k.deleted_at', 'is', null)
      .where('cu.tenant_id', '=', TENANT)
      .where('cu.deleted_at', 'is', null)
      .execute()
      .then((rows: Record<string, unknown>[]) => rows.map((row) => ({ ...row, monthlyFee: String(row.monthlyFee) })))
  // built and compiled once; each call passes its scope and its arguments
  const prepared = db.prepareScoped([Customer, Contract], { customerId: z.uuid() }, (s, a) =>
    s
      .selectFrom('q_contracts')
      .innerJoin('q_customers', 'q_customers.id', 'q_contracts.customerId')
      .select(['q_customers.name', 'q_contracts.title', 'q_contracts.monthlyFee'])
      .where('q_contracts.customerId', '=', a.customerId),
  )
  const pointPrepared = (i: number) =>
    prepared.execute({ tenantId: TENANT }, { customerId: customerIds[i % customerIds.length]! })
  // what a service does: the tenant changes from one request to the next
  const tenantOf = (i: number) => (i % 2 === 0 ? TENANT : OTHER)
  const customerOf = (i: number) => {
    const ids = byTenant.get(tenantOf(i))!
    return ids[(i >> 1) % ids.length]!
  }
  const perTenantPrepared = (i: number) => prepared.execute({ tenantId: tenantOf(i) }, { customerId: customerOf(i) })
  const perTenantHand = (i: number) =>
    db
      .run({ sql: q(pointSql), parameters: [customerOf(i), tenantOf(i), tenantOf(i)] })
      .then((r) => r.rows.map((row) => ({ ...row, monthlyFee: String(row.monthlyFee) })))
  const reportLib = () =>
    scoped
      .selectFrom('q_contracts')
      .innerJoin('q_customers', 'q_customers.id', 'q_contracts.customerId')
      .select((eb) => ['q_customers.segment', eb.fn.count<number>('q_contracts.id').as('n')])
      .where('q_contracts.monthlyFee', '>', '250.00')
      .groupBy('q_customers.segment')
      .execute()
  const reportSql = `SELECT cu.segment AS segment, count(k.id) AS n
    FROM q_contracts k JOIN q_customers cu ON cu.id = k.customer_id
    WHERE k.monthly_fee > ${p(1)} AND k.tenant_id = ${p(2)} AND k.deleted_at IS NULL AND cu.tenant_id = ${p(3)} AND cu.deleted_at IS NULL
    GROUP BY cu.segment`
  const reportHand = () => db.run({ sql: reportSql, parameters: ['250.00', TENANT, TENANT] }).then((r) => r.rows)
  // a point join takes tens to hundreds of microseconds over loopback, and single latencies jump
  // between modes (client and server on one core or two): each sample is the mean of 20 calls
  const point = { rounds: quick ? 15 : 50, batch: 20, warmup: 100 }
  // the process warms up first (JIT, heap): the first comparison would otherwise pay for it
  for (let i = 0; i < (quick ? 500 : 1_500); i++) {
    for (const side of [pointLib, pointKysely, pointPrepared, pointHandBound, perTenantPrepared, perTenantHand])
      await side(i)
  }
  return [
    await abba('scoped join, one customer (5 rows)', pointLib, pointHandBound, {
      ...point,
      statements: () => countStatements(db, () => pointLib(0)),
    }),
    await abba('peer: plain Kysely (unscoped, filters by hand), same join', pointKysely, pointHandBound, point),
    await abba('prepared scoped join, one customer (5 rows)', pointPrepared, pointHandBound, {
      ...point,
      statements: () => countStatements(db, () => pointPrepared(0)),
    }),
    await abba('prepared scoped join, tenant changes per call', perTenantPrepared, perTenantHand, point),
    await abba('scoped join + group by, 10,000 rows in scope', reportLib, reportHand, {
      rounds: quick ? 10 : 40,
      warmup: 5,
      statements: () => countStatements(db, () => reportLib()),
    }),
  ]
}

async function sets(db: Database): Promise<Comparison[]> {
  const members = db.repository(Member, { tenantId: TENANT, userId: ACTOR })
  await members.createMany(
    Array.from({ length: 2_000 }, (_, i) => ({ batch: i % 2, age: 1, name: `m${i}` })),
    { returning: false },
  )
  const rows = await members.list({ where: { batch: 0 }, limit: 1_000 })
  const ids = rows.map((r) => r.id)
  const pg = db.dialect.family === 'postgres'
  let value = 10
  const many = async () => {
    const n = await members.updateMany({ batch: 0 }, { age: ++value })
    if (n !== 1_000) throw new Error(`updateMany changed ${n}`)
  }
  const singles = async () => {
    const age = ++value
    for (const id of ids) await members.update(id, { age })
  }
  const hand = async () => {
    const age = ++value
    const txid = randomUUID()
    if (pg) {
      const { rows } = await db.run({
        sql: `WITH old AS (SELECT id, tenant_id, age FROM q_members WHERE tenant_id = $1 AND deleted_at IS NULL AND batch = 0 ORDER BY id FOR UPDATE),
          ts AS (SELECT date_trunc('milliseconds', statement_timestamp()) AS v),
          upd AS (UPDATE q_members u SET age = $2, updated_at = ts.v, updated_by = $3 FROM old, ts WHERE u.id = old.id AND old.age IS DISTINCT FROM $2 RETURNING u.id, u.tenant_id, u.age),
          aud AS (INSERT INTO q_members_audit (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
            SELECT upd.id, upd.tenant_id, 'age', to_jsonb(old.age), to_jsonb(upd.age), 'UPDATE', ts.v, $3, $4 FROM upd JOIN old ON old.id = upd.id CROSS JOIN ts)
          SELECT count(*) AS n FROM upd`,
        parameters: [TENANT, age, ACTOR, txid],
      })
      if (Number(rows[0]!.n) !== 1_000) throw new Error('hand-written changed too few')
      return
    }
    await db.transaction(async (tx) => {
      const { rows } = await tx.run({
        sql: 'SELECT id, NOW(3) AS ts FROM q_members WHERE tenant_id = ? AND deleted_at IS NULL AND batch = 0 ORDER BY id FOR UPDATE',
        parameters: [TENANT],
      })
      const ts = rows[0]!.ts
      await tx.run({
        sql: `INSERT INTO q_members_audit (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
          SELECT id, tenant_id, 'age', JSON_EXTRACT(CAST(age AS CHAR), '$'), JSON_EXTRACT(CAST(? AS CHAR), '$'), 'UPDATE', ?, ?, ? FROM q_members
          WHERE tenant_id = ? AND deleted_at IS NULL AND batch = 0 AND age <> ?`,
        parameters: [age, ts, ACTOR, txid, TENANT, age],
      })
      await tx.run({
        sql: 'UPDATE q_members SET age = ?, updated_at = ?, updated_by = ? WHERE tenant_id = ? AND deleted_at IS NULL AND batch = 0 AND age <> ?',
        parameters: [age, ts, ACTOR, TENANT, age],
      })
    })
  }
  const out = [
    await abba('updateMany 1,000 audited records vs one hand-written statement', many, hand, {
      rounds: quick ? 3 : 8,
      warmup: 1,
      statements: () => countStatements(db, many),
    }),
    await abba('updateMany 1,000 audited records vs 1,000 single updates', many, singles, {
      rounds: quick ? 1 : 3,
      warmup: 1,
    }),
  ]
  return out
}

for (const engine of engines) {
  const { db, drop } = await freshDatabase(engine)
  try {
    await new SchemaManager(db).sync([Customer, Contract, Member])
    const v = await db.queryOne<{ v: string }>(sql`select version() as v`)
    console.log(`\n## ${engine}: ${String(v?.v).split(' on ')[0]!.split(',')[0]}\n`)
    console.log(TABLE_HEADER)
    for (const c of await joins(db)) console.log(formatRow(c))
    if (!joinsOnly) for (const c of await sets(db)) console.log(formatRow(c))
  } finally {
    await drop()
  }
}
