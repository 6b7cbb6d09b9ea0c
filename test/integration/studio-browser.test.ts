// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright locators (innerText waits for the element), not DOM nodes

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Studio, serveStudio } from '../../src/index.js'
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js'
import { describeEngines } from '../helpers/engines.js'
import { ACME, ALICE, BOB, GLOBEX, OPERATOR, seedStudio } from '../helpers/studio-seed.js'

const SHOTS = join(process.cwd(), 'test-output', 'studio')

type Seed = Awaited<ReturnType<typeof seedStudio>>

// The page in a real browser (Debian's Chromium, driven by playwright-core; no browser download), on
// every selected engine: one browser for the file, a context and a page per engine, screenshots
// per engine in test-output/studio/<engine>-<step>.png.
/**
 * The browser tests need Debian's Chromium: required when FF_ENGINES lists engines (CI, whose
 * .ci/run installs it), skipped with a note on a machine that has none (`npm test` on a laptop).
 */
const browserWanted = hasChromium() || process.env.FF_ENGINES !== undefined
if (!browserWanted) it.skip(`history studio in Chromium: ${CHROMIUM} is not installed (apt-get install -y chromium)`)

let browser: Promise<Browser> | undefined
/** The file's one browser, launched by the first engine's suite that needs it. */
const sharedBrowser = () => {
  browser ??= launchChromium()
  return browser
}
afterAll(async () => {
  await (await browser)?.close()
})

describeEngines(
  'history studio in Chromium',
  (ctx) => {
    let seed: Seed
    let studio: Studio
    let context: BrowserContext
    let page: Page
    const consoleErrors: string[] = []
    const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${ctx.id}-${name}.png`), fullPage: true })
    const text = (testId: string) => page.getByTestId(testId).first().innerText()

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true })
      seed = await seedStudio(ctx.db, 'stb_', 700)
      studio = await serveStudio(ctx.db, seed.models, {
        allowWrites: true,
        actor: OPERATOR,
        tenants: [ACME, GLOBEX],
      })
      context = await (await sharedBrowser()).newContext({ viewport: { width: 1400, height: 900 } })
      page = await context.newPage()
      page.on('console', (m) => {
        // the studio's own page and files (the 401/403 pages' favicon requests are the browser's own)
        if (m.type() === 'error' && m.location().url.startsWith(studio.url))
          consoleErrors.push(`${m.text()} ${m.location().url}`)
      })
    }, 120_000)
    afterAll(async () => {
      await context?.close()
      await studio?.close()
    })

    it('without the token the browser gets 401, with a wrong one 403', async () => {
      const none = await page.goto(`http://127.0.0.1:${studio.port}/`)
      expect(none?.status()).toBe(401)
      const wrong = await page.goto(studio.url.replace(studio.token, 'B'.repeat(studio.token.length)))
      expect(wrong?.status()).toBe(403)
    })

    it('loads fast, lists models with counts, picks a tenant', async () => {
      const started = Date.now()
      await page.goto(studio.url)
      await page.getByTestId('record-row').first().waitFor()
      await expect.poll(() => text('count-stb_customers')).not.toBe('–')
      const firstPaintMs = Date.now() - started
      expect(firstPaintMs).toBeGreaterThan(0) // reported below, not asserted (timings go to bench/)
      console.log(`studio: first list rendered ${firstPaintMs} ms after navigation [${ctx.id}]`)
      // the picker offers the tenants the studio was started for, nothing read from the tables
      const offered = await page
        .getByTestId('tenant-select')
        .locator('option')
        .evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value))
      expect(offered).toEqual([ACME, GLOBEX])
      expect(consoleErrors).toEqual([]) // nothing refused by the Content-Security-Policy, no failed request
      await page.getByTestId('model-select').selectOption('stb_customers')
      await page.getByTestId('tenant-select').selectOption(GLOBEX)
      await expect.poll(() => text('count-stb_customers')).toBe('1')
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(1)
      await page.getByTestId('tenant-select').selectOption(ACME)
      await expect.poll(() => text('count-stb_customers')).toBe('60')
      await expect.poll(() => text('count-stb_contracts')).toBe('1')
      await shot('models')
    })

    it('pages through the list with keyset cursors and filters it', async () => {
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(25)
      const seen = new Set<string>()
      const collect = async () => {
        for (const id of await page
          .getByTestId('record-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id'))))
          seen.add(id!)
      }
      await collect()
      await page.getByTestId('page-next').click()
      await expect.poll(() => text('page-number')).toBe('page 2')
      await expect
        .poll(async () => (await page.getByTestId('record-row').first().getAttribute('data-id')) ?? '')
        .not.toBe([...seen][0])
      await collect()
      await page.getByTestId('page-next').click()
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(10)
      await collect()
      expect(seen.size).toBe(60)
      expect(await page.getByTestId('page-next').isDisabled()).toBe(true)
      await page.getByTestId('page-first').click()
      await expect.poll(() => text('page-number')).toBe('page 1')
      await page.getByTestId('filter-field').selectOption('name')
      await page.getByTestId('filter-op').selectOption('like')
      await page.getByTestId('filter-value').fill('Ada%')
      await page.getByTestId('filter-apply').click()
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(1)
      await shot('list-filtered')
    })

    it('opens a record: current state and its audit trail grouped by transaction', async () => {
      await page.getByTestId('record-row').first().click()
      await expect.poll(() => text('value-name')).toBe('Ada King')
      expect(await text('value-creditLimit')).toBe('2500.50')
      const txs = page.getByTestId('transaction')
      await expect.poll(() => txs.count()).toBe(3)
      // INSERT by alice, then name+tier by alice in one transaction, then creditLimit by bob
      expect(await txs.nth(1).getByTestId('change').count()).toBe(2)
      expect(await txs.nth(1).innerText()).toContain('Ada Lovelace')
      expect(await txs.nth(1).innerText()).toContain('Ada King')
      expect(await txs.nth(1).getByTestId('changed-by').innerText()).toBe(ALICE)
      expect(await txs.nth(2).getByTestId('changed-by').innerText()).toBe(BOB)
      expect(await txs.nth(2).innerText()).toMatch(/1000\.00\s*→\s*2500\.50/)
      await shot('audit-timeline')
    })

    it('drags the time slider back and sees the older values, record and list', async () => {
      const slider = page.getByTestId('time-slider')
      const box = (await slider.boundingBox())!
      await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2)
      await page.mouse.down()
      // the seed spreads its changes over the range's last part: a point before the first change
      const min = Number(await slider.getAttribute('min'))
      const max = Number(await slider.getAttribute('max'))
      const target = (seed.changedAt.getTime() - 300 - min) / (max - min)
      await page.mouse.move(box.x + box.width * target, box.y + box.height / 2, { steps: 12 })
      await page.mouse.up()
      await expect.poll(() => text('as-of')).not.toBe('now')
      const asOf = Date.parse(`${(await text('as-of')).replace(' ', 'T')}Z`)
      expect(asOf).toBeLessThan(seed.changedAt.getTime())
      await expect.poll(() => text('value-name')).toBe('Ada Lovelace')
      expect(await text('value-creditLimit')).toBe('1000.00')
      expect(await text('value-tier')).toBe('free')
      // the list shows the records as they were then too
      await expect.poll(() => page.getByTestId('record-row').first().innerText()).toContain('Ada Lovelace')
      expect(await page.getByTestId('list-as-of').count()).toBe(1)
      await shot('slider-past')
      await page.getByTestId('now').click()
      await expect.poll(() => text('value-name')).toBe('Ada King')
    })

    it('compares two states of a copy_on_change record side by side', async () => {
      await page.getByTestId('tab-compare').click()
      const options = await page
        .getByTestId('compare-a')
        .locator('option')
        .evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value))
      await page.getByTestId('compare-a').selectOption(options[0]!)
      await page.getByTestId('compare-b').selectOption(options[2]!)
      await page.getByTestId('compare-run').click()
      const name = page.locator('[data-testid=compare-row][data-field=name]')
      await expect.poll(() => name.innerText()).toMatch(/Ada Lovelace\s+Ada King/)
      expect(await name.getAttribute('class')).toContain('changed')
      expect(await page.locator('[data-testid=compare-row][data-field=email]').getAttribute('class')).not.toContain(
        'changed',
      )
    })

    it('shows what one user changed', async () => {
      await page.getByTestId('user-id').fill(BOB)
      await page.getByTestId('user-run').click()
      await expect.poll(() => text('user-count')).toBe('1 transaction(s)')
      expect(await page.getByTestId('user-transaction').innerText()).toMatch(/creditLimit[\s\S]*2500\.50/)
      await shot('user-changes')
    })

    it('scd2: versions on a timeline, the slider, compare two versions, revert recorded with the operator', async () => {
      await page.getByTestId('model-stb_contracts').click()
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(1)
      await page.getByTestId('record-row').first().click()
      await expect.poll(() => page.getByTestId('version').count()).toBe(3)
      expect(await text('value-title')).toBe('Premium support')
      // click version 1 on the timeline: the slider jumps to its start, the record shows it
      await page.locator('[data-testid=version][data-version="1"]').click()
      await expect.poll(() => text('value-monthlyFee')).toBe('100.00')
      expect(await text('value-title')).toBe('Support')
      expect(await text('value-version')).toBe('1')
      await shot('versions-timeline')
      await page.getByTestId('now').click()
      await page.getByTestId('tab-compare').click()
      await page.getByTestId('compare-a').selectOption('1')
      await page.getByTestId('compare-b').selectOption('3')
      await page.getByTestId('compare-run').click()
      const fee = page.locator('[data-testid=compare-row][data-field=monthlyFee]')
      await expect.poll(() => fee.innerText()).toMatch(/100\.00\s+120\.00/)
      await shot('compare-versions')
      await page.getByTestId('tab-versions').click()
      await page.getByTestId('revert-1').click()
      await expect.poll(() => text('write-done')).toBe('Reverted to version 1')
      await expect.poll(() => page.getByTestId('version').count()).toBe(4)
      await expect.poll(() => text('value-title')).toBe('Support')
      const current = await ctx.db.repository(seed.Contract, { tenantId: ACME }).get(seed.deal.id)
      expect(current).toMatchObject({ version: 4, title: 'Support', updatedBy: OPERATOR })
    })

    it('restores a deleted record, recorded with the operator', async () => {
      await page.getByTestId('model-stb_customers').click()
      await page.getByTestId('include-deleted').check()
      await page.getByTestId('filter-field').selectOption('name')
      await page.getByTestId('filter-op').selectOption('eq')
      await page.getByTestId('filter-value').fill('Gone Away')
      await page.getByTestId('filter-apply').click()
      await expect.poll(() => page.getByTestId('record-row').count()).toBe(1)
      await page.getByTestId('record-row').first().click()
      await page.getByTestId('restore').click()
      await expect.poll(() => text('write-done')).toBe('Restored')
      await expect.poll(() => text('value-deletedAt')).toBe('∅')
      const trail = await ctx.db.repository(seed.Customer, { tenantId: ACME }).getAuditHistory(seed.gone.id)
      expect(trail.at(-1)).toMatchObject({ operation: 'RESTORE', changedBy: OPERATOR })
      await shot('restored')
    })

    it('a studio started for one tenant offers and serves that tenant only', async () => {
      const acmeOnly = await serveStudio(ctx.db, seed.models, { tenants: [ACME] })
      try {
        await page.goto(acmeOnly.url)
        await page.getByTestId('model-stb_customers').click()
        await expect.poll(() => page.getByTestId('record-row').count()).toBe(25)
        await expect.poll(() => text('count-stb_customers')).toBe('61') // 60 and the one restored above
        const offered = await page
          .getByTestId('tenant-select')
          .locator('option')
          .evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value))
        expect(offered).toEqual([ACME])
        expect(await page.content()).not.toContain(GLOBEX)
        // asked for by hand from the page, Globex's records and counts are refused
        const statuses = await page.evaluate(
          async (paths) => Promise.all(paths.map(async (p) => (await fetch(p)).status)),
          [
            `./api/models/stb_customers/records?tenant=${GLOBEX}`,
            `./api/counts?tenant=${GLOBEX}`,
            `./api/models/stb_customers/records/${seed.grace.id}?tenant=${GLOBEX}`,
          ],
        )
        expect(statuses).toEqual([403, 403, 403])
        await shot('one-tenant')
      } finally {
        await acmeOnly.close()
      }
    })

    it('read-only studio: no write buttons, and a POST from the page itself is refused (405)', async () => {
      const readOnly = await serveStudio(ctx.db, seed.models)
      try {
        await page.goto(readOnly.url)
        await expect.poll(() => text('mode')).toBe('read-only')
        // started without tenants: no list, the operator types a tenant id
        expect(await page.getByTestId('tenant-select').count()).toBe(0)
        await expect.poll(() => text('no-tenant')).toContain('Type a tenant id')
        await page.getByTestId('tenant-input').fill(ACME)
        await page.getByTestId('tenant-open').click()
        await page.getByTestId('model-stb_contracts').click()
        await page.getByTestId('record-row').first().click()
        await expect.poll(() => page.getByTestId('version').count()).toBe(4)
        expect(await page.locator('[data-testid^=revert-]').count()).toBe(0)
        const status = await page.evaluate(
          async (path) => (await fetch(path, { method: 'POST', headers: { 'x-ff-studio': '1' } })).status,
          `./api/models/stb_contracts/records/${seed.deal.id}/revert?tenant=${ACME}&version=2`,
        )
        expect(status).toBe(405)
        await shot('read-only')
      } finally {
        await readOnly.close()
      }
    })
  },
  () => browserWanted,
)
