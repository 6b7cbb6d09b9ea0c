/**
 * npx tsx bench/pages.ts [--engines pglite,postgres,mariadb] [--rows 100000] [--rounds 30]
 *
 * Keyset pages at depth: `repository.page({ limit: 100, after })` against the hand-written keyset
 * statement (row-value comparison on the same index), ABBA-alternated, and `list({ limit: 100,
 * offset })` at the same depth, on one tenant's `rows` records ordered by the default order
 * (`createdAt desc, id desc`; records created in batches of 1,000 share a createdAt). The table has
 * the index a keyset page needs: (tenant_id, created_at, id). Prints Markdown for bench/RESULTS.md.
 */
import { z } from 'zod'
import { defineModel, SchemaManager, sql } from '../src/index.js'
import { freshDatabase } from './common.js'
import { abba, summarize } from './harness.js'

const args = process.argv.slice(2)
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const engines = (arg('--engines') ?? 'pglite,postgres,mariadb').split(',')
const ROWS = Number(arg('--rows') ?? 100_000)
const ROUNDS = Number(arg('--rounds') ?? 30)
const LIMIT = 100
const TENANT = '018f0000-0000-7000-8000-00000000a9e5'
const OTHER = '018f0000-0000-7000-8000-00000000a9e6'

const Item = defineModel({
  table: 'b_pages',
  temporal: 'none',
  fields: { name: z.string().max(100), n: z.int() },
  indexes: [{ columns: ['tenantId', 'createdAt', 'id'] }],
})

const ms = (v: number) => v.toFixed(2)

for (const engine of engines) {
  const { db, drop } = await freshDatabase(engine)
  try {
    await new SchemaManager(db).sync([Item])
    const repo = db.repository(Item, { tenantId: TENANT })
    const loadStart = performance.now()
    for (let i = 0; i < ROWS; i += 1_000) {
      const n = Math.min(1_000, ROWS - i)
      await repo.createMany(
        Array.from({ length: n }, (_, j) => ({ name: `item ${i + j}`, n: i + j })),
        { returning: false },
      )
    }
    // another tenant's rows in the same table, as in a shared table
    await db.repository(Item, { tenantId: OTHER }).createMany(
      Array.from({ length: Math.min(ROWS, 20_000) }, (_, j) => ({ name: `other ${j}`, n: j })),
      {
        returning: false,
      },
    )
    if (engine !== 'mariadb') await db.execute(sql`analyze b_pages`)
    else await db.execute(sql`analyze table b_pages`)
    const loaded = ((performance.now() - loadStart) / 1000).toFixed(1)
    console.log(`\n### ${engine}: ${ROWS.toLocaleString('en')} rows of one tenant (loaded in ${loaded} s)\n`)
    console.log(
      '| depth (rows before the page) | page() median ms | hand-written keyset ms | ratio | list offset median ms | offset / page |',
    )
    console.log('|---|---|---|---|---|---|')
    const depths = [0, Math.floor(ROWS * 0.1), Math.floor(ROWS * 0.5), ROWS - LIMIT]
    for (const depth of depths) {
      // the cursor at this depth: one page of `depth` records (its next cursor), fetched once
      const after = depth === 0 ? null : (await repo.page({ limit: depth })).next
      const key =
        depth === 0
          ? undefined
          : ((await repo.list({ limit: 1, offset: depth - 1 }))[0] as { createdAt: Date; id: string })
      const handWritten = () =>
        key
          ? db.query(
              sql`select * from b_pages where tenant_id = ${TENANT} and deleted_at is null and (created_at, id) < (${key.createdAt}, ${key.id}) order by created_at desc, id desc limit ${LIMIT}`,
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
      const c = await abba(`depth ${depth}`, () => repo.page({ limit: LIMIT, after }), handWritten, {
        rounds: ROUNDS,
        warmup: 5,
      })
      const offsets: number[] = []
      for (let r = 0; r < Math.max(5, Math.floor(ROUNDS / 3)); r++) {
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
