/**
 * npx tsx bench/studio.ts [--engines pglite,postgres,mariadb] [--rows 100000] [--loads 15]
 *
 * The studio's first paint on a tenant with `rows` customers (copy_on_change, the demo's models):
 * Chromium (Debian's /usr/bin/chromium, headless) loads the page `loads` times in fresh contexts
 * and reads the paint timings and the page's own marks: first contentful paint, the record list
 * shown, the model counts shown; and how long each API call of the first load took. Medians (and
 * the slowest load) as Markdown for bench/RESULTS.md. Records are seeded with createMany in
 * batches of 1,000 through the repository (audit rows included), plus a second tenant.
 */

import { demoModels } from '../src/cli/demo-models.js'
import { type Database, type Model, SchemaManager, serveStudio, sql } from '../src/index.js'
import { launchChromium } from '../test/helpers/chromium.js'
import { freshDatabase } from './common.js'
import { summarize } from './harness.js'

const args = process.argv.slice(2)
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const engines = (arg('--engines') ?? 'pglite,postgres,mariadb').split(',')
const ROWS = Number(arg('--rows') ?? 100_000)
const LOADS = Number(arg('--loads') ?? 15)
const ACME = '018f0000-0000-7000-8000-0000000000a1'
const GLOBEX = '018f0000-0000-7000-8000-0000000000a2'
const ALICE = '018f0000-0000-7000-8000-0000000000b1'

async function seed(db: Database, engine: string): Promise<Model[]> {
  const { Country, Customer, Contract } = demoModels('bst_')
  const models: Model[] = [Country, Customer, Contract]
  await new SchemaManager(db).sync(models)
  for (const [tenant, rows] of [
    [ACME, ROWS],
    [GLOBEX, Math.min(ROWS, 10_000)],
  ] as const) {
    const repo = db.repository(Customer, { tenantId: tenant, userId: ALICE })
    for (let i = 0; i < rows; i += 1_000) {
      const n = Math.min(1_000, rows - i)
      await repo.createMany(
        Array.from({ length: n }, (_, j) => ({
          email: `c${i + j}@${tenant.slice(-2)}.example`,
          name: `Customer ${i + j}`,
          creditLimit: String((i + j) % 5_000),
          country: null,
        })),
        { returning: false },
      )
    }
  }
  for (const m of models) {
    const t = sql.id(m.def.table)
    await db.execute(engine === 'mariadb' ? sql`analyze table ${t}` : sql`analyze ${t}`)
  }
  return models
}

const ms = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(0))

const browser = await launchChromium()
try {
  for (const engine of engines) {
    const { db, drop } = await freshDatabase(engine)
    try {
      const loadStart = performance.now()
      const models = await seed(db, engine)
      const loaded = ((performance.now() - loadStart) / 1000).toFixed(1)
      // the tenant with 100k records first: the page opens on it
      const studio = await serveStudio(db, models, { tenants: [ACME, GLOBEX] })
      const fcp: number[] = []
      const list: number[] = []
      const counts: number[] = []
      let calls: Record<string, number> = {}
      try {
        for (let i = 0; i < LOADS; i++) {
          const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
          const page = await context.newPage()
          await page.goto(studio.url)
          await page.getByTestId('record-row').first().waitFor()
          await page.waitForFunction(() => performance.getEntriesByName('ff-studio:counts').length > 0)
          const t = await page.evaluate(() => ({
            fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
            list: performance.getEntriesByName('ff-studio:list')[0]?.startTime,
            counts: performance.getEntriesByName('ff-studio:counts')[0]?.startTime,
            calls: performance
              .getEntriesByType('resource')
              .filter((e) => e.name.includes('/api/'))
              .map((e) => [new URL(e.name).pathname.replace(/^\/[^/]+\/api\//, ''), e.duration] as const),
          }))
          await context.close()
          if (i === 0) continue // the first load warms the server's caches (prepared statements, pages)
          if (t.fcp !== undefined) fcp.push(t.fcp)
          if (t.list !== undefined) list.push(t.list)
          if (t.counts !== undefined) counts.push(t.counts)
          if (i === 1) calls = Object.fromEntries(t.calls)
        }
      } finally {
        await studio.close()
      }
      const f = summarize(fcp)
      const l = summarize(list)
      const c = summarize(counts)
      console.log(
        `\n### ${engine}: ${ROWS.toLocaleString('en')} customers in one tenant (seeded in ${loaded} s), ${fcp.length} loads\n`,
      )
      console.log('| ms after navigation | median | slowest |')
      console.log('|---|---|---|')
      console.log(`| first contentful paint | ${ms(f.median)} | ${ms(Math.max(...fcp))} |`)
      console.log(`| record list shown | ${ms(l.median)} | ${ms(Math.max(...list))} |`)
      console.log(`| model counts shown | ${ms(c.median)} | ${ms(Math.max(...counts))} |`)
      console.log(
        `\nAPI calls of one load (ms): ${Object.entries(calls)
          .map(([k, v]) => `${k} ${ms(v)}`)
          .join(', ')}`,
      )
    } finally {
      await drop()
    }
  }
} finally {
  await browser.close()
}
