import { z } from 'zod'
import { type Database, defineModel, field, type Model, SchemaManager, sql } from '../src/index.js'
import { ACTOR, freshDatabase, models, TENANT, versions } from './common.js'
import { handWritten } from './hand-written.js'
import { abba, type Comparison, countStatements, formatRow, summarize, TABLE_HEADER } from './harness.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const engines = (
  args[args.indexOf('--engines') + 1] && args.includes('--engines')
    ? args[args.indexOf('--engines') + 1]!
    : 'pglite,postgres,mariadb'
).split(',')
const ROUNDS = quick ? 40 : 150
const LIST_TENANT = '018f0000-0000-7000-8000-00000000115f'

async function operations(db: Database): Promise<Comparison[]> {
  const out: Comparison[] = []
  for (const [strategy, Model] of Object.entries(models) as [keyof typeof models, Model][]) {
    const repo = db.repository(Model, { tenantId: TENANT, userId: ACTOR })
    const hand = handWritten(db, Model.def.table, strategy)
    const value = (i: number) => ({ name: `n${i}`, age: i % 1000, price: `${i % 1000}.50` })
    // list: 300 records in their own tenant, ~200 match the filter
    const lister = db.repository(Model, { tenantId: LIST_TENANT, userId: ACTOR })
    await lister.createMany(Array.from({ length: 300 }, (_, i) => ({ name: `l${i}`, age: i, price: '1' })))
    const a = await repo.create(value(1))
    const b = await repo.create(value(2))
    out.push(
      await abba(
        `get by id [${strategy}]`,
        () => repo.get(a.id),
        () => hand.get(b.id, TENANT),
        {
          rounds: ROUNDS,
          statements: () => countStatements(db, () => repo.get(a.id)),
        },
      ),
    )
    out.push(
      await abba(
        `list 100 of 300, filtered [${strategy}]`,
        () => lister.list({ where: { age: { gte: 100 } } }),
        () => hand.listOlder(LIST_TENANT, 100),
        {
          rounds: ROUNDS,
          statements: () => countStatements(db, () => lister.list({ where: { age: { gte: 100 } } })),
        },
      ),
    )
    out.push(
      await abba(
        `create [${strategy}]`,
        (i) => repo.create(value(i)),
        (i) => hand.create(TENANT, ACTOR, value(i)),
        {
          rounds: ROUNDS,
          statements: () => countStatements(db, () => repo.create(value(7))),
        },
      ),
    )
    out.push(
      await abba(
        `update [${strategy}]`,
        (i) => repo.update(a.id, { age: i % 1000 }),
        (i) => hand.change(b.id, TENANT, ACTOR, { age: i % 1000 }),
        {
          rounds: ROUNDS,
          statements: () => countStatements(db, () => repo.update(a.id, { age: 999 })),
        },
      ),
    )
    const victims = await repo.createMany(Array.from({ length: (ROUNDS * 2 + 60) * 2 }, (_, i) => value(i)))
    const mine = victims.slice(0, victims.length / 2)
    const theirs = victims.slice(victims.length / 2)
    let m = 0
    let t = 0
    out.push(
      await abba(
        `soft delete [${strategy}]`,
        () => repo.delete(mine[m++]!.id),
        () => hand.change(theirs[t++]!.id, TENANT, ACTOR, 'delete'),
        {
          rounds: ROUNDS,
          statements: () => countStatements(db, () => repo.delete(mine[m++]!.id)),
        },
      ),
    )
  }
  return out
}

async function bulk(db: Database): Promise<Comparison[]> {
  const Model = models.none
  const repo = db.repository(Model, { tenantId: TENANT, userId: ACTOR })
  const hand = handWritten(db, Model.def.table, 'none')
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ name: `bulk${i}`, age: i % 1000, price: '9.99' }))
  const pg = db.dialect.family === 'postgres'
  const options = { rounds: quick ? 2 : 4, warmup: 1 }
  return [
    // the fastest hand-written bulk insert: unnest on PostgreSQL, multi-row VALUES on MySQL
    await abba(
      `createMany 10,000 rows [none] vs ${pg ? 'unnest' : 'multi-row VALUES'}`,
      () => repo.createMany(rows),
      () => hand.bulkInsert(TENANT, ACTOR, rows, { unnest: pg }),
      options,
    ),
    // a bulk load that does not need the records back
    await abba(
      `createMany 10,000 rows [none] { returning: false } vs ${pg ? 'unnest' : 'multi-row VALUES'}`,
      () => repo.createMany(rows, { returning: false }),
      () => hand.bulkInsert(TENANT, ACTOR, rows, { unnest: pg }),
      options,
    ),
    // the same, returning the rows as createMany does
    await abba(
      `createMany 10,000 rows [none] vs the same returning rows`,
      () => repo.createMany(rows),
      () => hand.bulkInsert(TENANT, ACTOR, rows, { unnest: pg, returning: true }),
      options,
    ),
  ]
}

/** A record with `depth` versions, written directly as history rows (fast, and valid). */
async function withDepth(db: Database, tenant: string, depth: number): Promise<{ id: string; middle: Date }> {
  const repo = db.repository(models.scd2, { tenantId: tenant, userId: ACTOR })
  const r = await repo.create({ name: 'deep', age: 1, price: '1' })
  const start = r.validFrom.getTime() - depth * 10
  const t = (k: number) => new Date(start + k * 10)
  const h = 'b_scd2_history'
  const cols =
    'id, tenant_id, name, age, price, version, valid_from, valid_to, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by, closed_by'
  for (let k = 0; k < depth - 1; k += 500) {
    const n = Math.min(500, depth - 1 - k)
    const params: unknown[] = []
    const pg = db.dialect.family === 'postgres'
    const values = Array.from({ length: n }, (_, j) => {
      const v = k + j
      const base = params.length
      params.push(r.id, tenant, `v${v}`, v % 1000, '1.00', v + 1, t(v), t(v + 1), t(0), t(v), ACTOR, ACTOR)
      const q = (x: number) => (pg ? `$${base + x}` : '?')
      return `(${Array.from({ length: 12 }, (_, x) => q(x + 1)).join(', ')}, NULL, NULL, 'UPDATE')`
    })
    await db.run({ sql: `INSERT INTO ${h} (${cols}) VALUES ${values.join(', ')}`, parameters: params })
  }
  await db.run({
    sql:
      db.dialect.family === 'postgres'
        ? 'UPDATE b_scd2 SET version = $1, valid_from = $2 WHERE id = $3'
        : 'UPDATE b_scd2 SET version = ?, valid_from = ? WHERE id = ?',
    parameters: [depth, t(depth - 1), r.id],
  })
  return { id: r.id, middle: t(Math.floor(depth / 2)) }
}

async function timeTravel(db: Database): Promise<Comparison[]> {
  const out: Comparison[] = []
  if (db.dialect.family === 'postgres') await db.execute(sql`analyze`)
  for (const depth of [1, 100, 10_000]) {
    const tenant = `018f0000-0000-7000-8000-${String(depth).padStart(12, '0')}`
    const { id, middle } = await withDepth(db, tenant, depth)
    const repo = db.repository(models.scd2, { tenantId: tenant })
    const hand = handWritten(db, 'b_scd2', 'scd2')
    if (db.dialect.family === 'postgres') await db.execute(sql`analyze b_scd2_history`)
    const at = depth === 1 ? new Date() : middle
    out.push(
      await abba(
        `get asOf, ${depth} versions`,
        () => repo.get(id, { asOf: at }),
        () => hand.getAsOf(id, tenant, at),
        { rounds: ROUNDS },
      ),
    )
    out.push(
      await abba(
        `list asOf, ${depth} versions`,
        () => repo.list({ asOf: at }),
        () => hand.listAsOf(tenant, at),
        { rounds: ROUNDS },
      ),
    )
  }
  return out
}

async function planTimes(db: Database): Promise<string[]> {
  const lines: string[] = []
  // `alike`: models that differ only in their names; `distinct`: every model's columns and checks
  // differ (its name's length and its check), as in most real schemas. Tables alike in shape are
  // rendered once by plan(), so the two differ in cost.
  for (const [count, distinct] of [
    [20, false],
    [200, false],
    [200, true],
  ] as const) {
    const prefix = `p${count}${distinct ? 'd' : ''}`
    const many = Array.from({ length: count }, (_, i) =>
      defineModel({
        table: `${prefix}_m${i}`,
        temporal: (['none', 'copy_on_change', 'scd2'] as const)[i % 3]!,
        fields: {
          name: field(z.string().max(distinct ? 50 + i : 50), { unique: true }),
          n: field(z.int(), { index: true, check: distinct ? `n >= ${i}` : 'n >= 0' }),
          s: z.enum(['a', 'b']),
        },
      }),
    )
    const schema = new SchemaManager(db)
    await schema.sync(many)
    const times: number[] = []
    for (let i = 0; i < (quick ? 3 : 5); i++) {
      const started = performance.now()
      const plan = await schema.plan(many)
      times.push(performance.now() - started)
      if (!plan.isEmpty) throw new Error(`plan for ${count} synced models is not empty:\n${plan.toString()}`)
    }
    const s = summarize(times)
    lines.push(
      `| plan() on ${count} synced models, ${distinct ? 'each of its own shape' : 'alike but for their names'} (${count + Math.ceil((count * 2) / 3)} tables) | ${s.median.toFixed(0)} ms | ${s.p95.toFixed(0)} ms | empty |`,
    )
  }
  return lines
}

for (const engine of engines) {
  const { db, drop } = await freshDatabase(engine)
  try {
    await new SchemaManager(db).sync(Object.values(models))
    console.log(`\n## ${engine}: ${await versions(db)}\n`)
    console.log(TABLE_HEADER)
    if (!only || only === 'operations') for (const c of await operations(db)) console.log(formatRow(c))
    if (!only || only === 'bulk') for (const c of await bulk(db)) console.log(formatRow(c))
    if (!only || only === 'asof') for (const c of await timeTravel(db)) console.log(formatRow(c))
    if (!only || only === 'plan') {
      console.log('\n| schema | p50 | p95 | next plan |\n|---|---|---|---|')
      for (const line of await planTimes(db)) console.log(line)
    }
  } finally {
    await drop()
  }
}
