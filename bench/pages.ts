/**
 * npx tsx bench/pages.ts [--engines pglite,postgres,mariadb] [--rows 1000000] [--rounds 10] [--explain]
 *
 * Keyset pages at depth: `repository.page({ limit: 100, after })` against the hand-written keyset
 * statement (ABBA-alternated), and `list({ limit: 100, offset })` at the same depth, on one
 * tenant's `rows` records ordered by the default order (`createdAt desc, id desc`; records share a
 * createdAt in groups of 1,000). The rows are loaded with one INSERT … SELECT over a generated
 * series (not through the repository), plus 20,000 rows of another tenant in the same table. The
 * table has the index a keyset page needs: (tenant_id, created_at, id). `--explain` prints the
 * plan of page() at mid depth (EXPLAIN FORMAT=JSON on MySQL/MariaDB, EXPLAIN ANALYZE on PostgreSQL).
 * Prints Markdown for bench/RESULTS.md.
 */
import { z } from 'zod'
import { type Database, defineModel, SchemaManager, type Statement, sql } from '../src/index.js'
import { ModelContext } from '../src/mapping/model-context.js'
import { Keyset } from '../src/repository/keyset.js'
import { freshDatabase } from './common.js'
import { abba, summarize } from './harness.js'

const args = process.argv.slice(2)
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const engines = (arg('--engines') ?? 'pglite,postgres,mariadb').split(',')
const ROWS = Number(arg('--rows') ?? 1_000_000)
const ROUNDS = Number(arg('--rounds') ?? 10)
const EXPLAIN = args.includes('--explain')
const LIMIT = 100
const TENANT = '018f0000-0000-7000-8000-00000000a9e5'
const OTHER = '018f0000-0000-7000-8000-00000000a9e6'
const START = new Date('2025-01-01T00:00:00Z')

const Item = defineModel({
  table: 'b_pages',
  temporal: 'none',
  fields: { name: z.string().max(100), n: z.int() },
  indexes: [{ columns: ['tenantId', 'createdAt', 'id'] }],
})

const ms = (v: number) => v.toFixed(2)

/** `count` rows of `tenant` in one statement: createdAt one second apart per 1,000 rows, random ids. */
async function load(db: Database, tenant: string, count: number): Promise<void> {
  if (db.dialect.family === 'postgres') {
    await db.execute(sql`INSERT INTO b_pages (id, tenant_id, name, n, created_at, updated_at)
      SELECT gen_random_uuid(), ${tenant}::uuid, 'item ' || g, g, t, t
      FROM generate_series(0, ${count - 1}) AS g, LATERAL (SELECT ${START}::timestamptz + (g / 1000) * interval '1 second' AS t) AS x`)
    return
  }
  // MySQL/MariaDB: a cross join of as many digit tables as `count` has digits is the series
  const digits = Math.max(1, Math.ceil(Math.log10(count)))
  const tables = Array.from({ length: digits }, (_, i) => `d d${i}`).join(', ')
  const series = Array.from({ length: digits }, (_, i) => `${10 ** i} * d${i}.v`).join(' + ')
  await db.execute(sql`INSERT INTO b_pages (id, tenant_id, name, n, created_at, updated_at)
    WITH d AS (SELECT 0 AS v UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
    s AS (SELECT ${sql.raw(series)} AS g FROM ${sql.raw(tables)})
    SELECT UUID(), ${tenant}, CONCAT('item ', g), g, t, t
    FROM (SELECT g, ${START} + INTERVAL (g DIV 1000) SECOND AS t FROM s WHERE g < ${count}) AS x`)
}

for (const engine of engines) {
  const { db, drop } = await freshDatabase(engine)
  try {
    await new SchemaManager(db).sync([Item])
    const repo = db.repository(Item, { tenantId: TENANT })
    const pg = db.dialect.family === 'postgres'
    const loadStart = performance.now()
    await load(db, TENANT, ROWS)
    // another tenant's rows in the same table, as in a shared table
    await load(db, OTHER, Math.min(ROWS, 20_000))
    if (engine !== 'mariadb') await db.execute(sql`analyze b_pages`)
    else await db.execute(sql`analyze table b_pages`)
    const loaded = ((performance.now() - loadStart) / 1000).toFixed(1)
    const v = await db.queryOne<{ v: string }>(sql`select version() as v`)
    console.log(
      `\n### ${engine} (${String(v?.v).split(' on ')[0]!.split(',')[0]}): ${ROWS.toLocaleString('en')} rows of one tenant (loaded in ${loaded} s)\n`,
    )
    console.log(
      '| depth (rows before the page) | page() median ms | hand-written keyset ms | ratio | list offset median ms | offset / page |',
    )
    console.log('|---|---|---|---|---|---|')
    // the cursor page() issues after a record: the repository's own Keyset for this query and scope
    const keyset = new Keyset(new ModelContext(Item.def, db.dialect), {
      where: undefined,
      orderBy: undefined,
      tenants: [TENANT],
      strict: true,
      asOf: undefined,
      includeDeleted: false,
    })
    const depths = [0, Math.floor(ROWS * 0.1), Math.floor(ROWS * 0.5), ROWS - LIMIT]
    for (const depth of depths) {
      const key =
        depth === 0
          ? undefined
          : ((await repo.list({ limit: 1, offset: depth - 1 }))[0] as { createdAt: Date; id: string })
      const after = key ? keyset.cursor(key) : null
      // the best a hand-writer does: a row comparison on PostgreSQL; on MySQL/MariaDB (where a row
      // comparison only ranges over the tenant) the expanded comparison on the forced index
      const handWritten = () =>
        key && pg
          ? db.query(
              sql`select * from b_pages where tenant_id = ${TENANT} and deleted_at is null and (created_at, id) < (${key.createdAt}, ${key.id}) order by created_at desc, id desc limit ${LIMIT}`,
            )
          : key
            ? db.query(
                sql`select * from b_pages force index (b_pages_tenant_id_created_at_id_idx) where tenant_id = ${TENANT} and deleted_at is null and created_at <= ${key.createdAt} and (created_at < ${key.createdAt} or (created_at = ${key.createdAt} and id < ${key.id})) order by created_at desc, id desc limit ${LIMIT}`,
              )
            : db.query(
                sql`select * from b_pages where tenant_id = ${TENANT} and deleted_at is null order by created_at desc, id desc limit ${LIMIT}`,
              )
      const page = await repo.page({ limit: LIMIT, after })
      const hand = await handWritten()
      if (
        page.records.length !== hand.length ||
        (page.records[0] as { id: string }).id !== (hand[0] as { id: string }).id
      ) {
        throw new Error(`page() and the hand-written keyset disagree at depth ${depth}`)
      }
      if (EXPLAIN && depth === depths[2]) await explain(db, () => repo.page({ limit: LIMIT, after }))
      const c = await abba(`depth ${depth}`, () => repo.page({ limit: LIMIT, after }), handWritten, {
        rounds: ROUNDS,
        warmup: 5,
      })
      const offsets: number[] = []
      for (let r = 0; r < Math.max(3, Math.floor(ROUNDS / 6)); r++) {
        const started = performance.now()
        await repo.list({ limit: LIMIT, offset: depth })
        offsets.push(performance.now() - started)
      }
      const offset = summarize(offsets).median
      console.log(
        `| ${depth.toLocaleString('en')} | ${ms(c.library.median)} | ${ms(c.handWritten.median)} | ${c.ratio.toFixed(2)} | ${ms(offset)} | ${(offset / c.library.median).toFixed(1)}× |`,
      )
    }
  } finally {
    await drop()
  }
}

/** The plan of the one statement `op` sends. */
async function explain(db: Database, op: () => Promise<unknown>): Promise<void> {
  const run = db.run.bind(db)
  let seen: Statement | undefined
  db.run = ((statement: Statement, control?: boolean) => {
    seen ??= statement
    return run(statement, control)
  }) as typeof db.run
  try {
    await op()
  } finally {
    db.run = run
  }
  const pg = db.dialect.family === 'postgres'
  const { rows } = await db.run({
    sql: `${pg ? 'EXPLAIN (ANALYZE, BUFFERS)' : 'ANALYZE FORMAT=JSON'} ${seen!.sql}`,
    parameters: seen!.parameters,
  })
  console.log(`\n${seen!.sql}\n`)
  const text = rows.map((row) => Object.values(row).join('\n')).join('\n')
  if (pg) console.log(text)
  else {
    // MariaDB's JSON is not always valid JSON (ANSI quotes in conditions): the lines that matter
    const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]).join(', ')
    console.log(
      `access ${all(/"access_type": "(\w+)"/g)}; key ${all(/"key": "(\w+)"/g)}; key parts ${all(/"used_key_parts": \[([^\]]*)\]/g)}; r_rows ${all(/"r_rows": ([\d.]+)/g)}; r_total_time_ms ${all(/"r_total_time_ms": ([\d.]+)/g)}`,
    )
  }
  console.log()
}
