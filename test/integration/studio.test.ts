// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright locators (innerText waits for the element), not DOM nodes

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Database, type Studio, serveStudio, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { ACME, ALICE, BOB, GLOBEX, OPERATOR, seedStudio } from '../helpers/studio-seed.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(process.cwd(), 'test-output', 'studio')

type Seed = Awaited<ReturnType<typeof seedStudio>>

async function call(studio: Studio, path: string, init?: RequestInit) {
  const res = await fetch(`${studio.url}${path}`, init)
  const text = await res.text()
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text }
}

describeEngines('history studio over HTTP', (ctx) => {
  let seed: Seed
  let studio: Studio
  let writable: Studio
  beforeAll(async () => {
    seed = await seedStudio(ctx.db, 'sth_', 30)
    studio = await serveStudio(ctx.db, seed.models)
    writable = await serveStudio(ctx.db, seed.models, { allowWrites: true, actor: OPERATOR, tenants: [ACME] })
  })
  afterAll(async () => {
    await studio?.close()
    await writable?.close()
  })

  it('listens on 127.0.0.1 only, with a long random token', () => {
    expect(studio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\/$/)
    expect(studio.token).not.toBe(writable.token)
  })

  it('refuses every route without the token (401) or with a wrong one (403), static assets and API alike', async () => {
    const base = `http://127.0.0.1:${studio.port}`
    const wrong = 'A'.repeat(studio.token.length)
    for (const path of [
      '',
      'app.js',
      'vendor/preact.mjs',
      'api/meta',
      `api/models/sth_customers/records?tenant=${ACME}`,
    ]) {
      expect((await fetch(`${base}/${path}`)).status).toBe(401)
      expect((await fetch(`${base}/${wrong}/${path}`)).status).toBe(403)
      expect((await fetch(`${base}/${studio.token.slice(0, -1)}/${path}`)).status).toBe(403)
      expect((await fetch(`${base}/${studio.token}/${path}`)).status).toBe(200)
    }
    // another Host header (DNS rebinding) is refused too
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${studio.url}api/meta`, { headers: { host: `evil.example:${studio.port}` } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.end()
    })
    expect(rebound).toBe(403)
  })

  it('is read-only without allowWrites: every other method is refused before any route', async () => {
    const restore = `api/models/sth_customers/records/${seed.gone.id}/restore?tenant=${ACME}`
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await call(studio, restore, { method, headers: { 'x-ff-studio': '1' } })
      expect(r.status).toBe(405)
    }
    const still = await ctx.db.repository(seed.Customer, { tenantId: ACME }).get(seed.gone.id, { includeDeleted: true })
    expect((still as { deletedAt: Date | null }).deletedAt).not.toBeNull()
  })

  it('scopes every view to the chosen tenant through the repositories', async () => {
    const acme = await call(studio, `api/models/sth_customers/records?tenant=${ACME}&limit=100`)
    const ids = (acme.body as { records: { id: string; tenantId: string }[] }).records
    expect(ids).toHaveLength(60)
    expect(ids.every((r) => r.tenantId === ACME)).toBe(true)
    // Globex's record is invisible from Acme, in every view
    for (const path of ['', '/audit', '/compare?a=2020-01-01T00:00:00Z&b=2030-01-01T00:00:00Z']) {
      const r = await call(
        studio,
        `api/models/sth_customers/records/${seed.grace.id}${path}${path.includes('?') ? '&' : '?'}tenant=${ACME}`,
      )
      expect(r.status).toBe(200)
      expect(JSON.stringify(r.body)).not.toContain('Grace')
    }
    const counts = await call(studio, `api/counts?tenant=${GLOBEX}`)
    expect(counts.body).toEqual({ sth_countries: 0, sth_customers: 1, sth_contracts: 1 })
    // a where on the tenant narrows, never widens
    const widened = await call(
      studio,
      `api/models/sth_customers/records?tenant=${GLOBEX}&where=${encodeURIComponent(JSON.stringify({ tenantId: ACME }))}`,
    )
    expect((widened.body as { records: unknown[] }).records).toHaveLength(0)
    // a studio started for Acme only refuses Globex
    expect((await call(writable, `api/models/sth_customers/records?tenant=${GLOBEX}`)).status).toBe(403)
    expect((await call(studio, 'api/models/sth_customers/records')).status).toBe(400)
    expect((await call(studio, `api/models/nope/records?tenant=${ACME}`)).status).toBe(404)
    const bad = await call(
      studio,
      `api/models/sth_customers/records?tenant=${ACME}&where=${encodeURIComponent('{"nope":1}')}`,
    )
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION' } })
  })

  it('with allowWrites: restore and revert, recorded with the acting user; writes only from the page', async () => {
    const restore = `api/models/sth_customers/records/${seed.gone.id}/restore?tenant=${ACME}`
    expect((await call(writable, restore, { method: 'POST' })).status).toBe(403) // no x-ff-studio header
    expect(
      (
        await call(writable, restore, {
          method: 'POST',
          headers: { 'x-ff-studio': '1', origin: 'http://evil.example' },
        })
      ).status,
    ).toBe(403)
    const ok = await call(writable, restore, { method: 'POST', headers: { 'x-ff-studio': '1' } })
    expect(ok.status).toBe(200)
    const trail = await ctx.db.repository(seed.Customer, { tenantId: ACME }).getAuditHistory(seed.gone.id)
    expect(trail.at(-1)).toMatchObject({ operation: 'RESTORE', changedBy: OPERATOR })
    const revert = await call(
      writable,
      `api/models/sth_contracts/records/${seed.deal.id}/revert?tenant=${ACME}&version=1`,
      {
        method: 'POST',
        headers: { 'x-ff-studio': '1' },
      },
    )
    expect(revert.status).toBe(200)
    const current = await ctx.db.repository(seed.Contract, { tenantId: ACME }).get(seed.deal.id)
    expect(current).toMatchObject({ version: 4, title: 'Support', monthlyFee: '100.00', updatedBy: OPERATOR })
  })

  it('refuses bad options before listening', async () => {
    await expect(serveStudio(ctx.db, [])).rejects.toBeInstanceOf(ValidationError)
    await expect(serveStudio(ctx.db, seed.models, { allowWrites: true })).rejects.toBeInstanceOf(ValidationError)
    await expect(serveStudio(ctx.db, seed.models, { token: 'short' })).rejects.toBeInstanceOf(ValidationError)
  })
})

// The page in a real browser (Debian's Chromium, driven by playwright-core; no browser download).
/**
 * The browser tests need Debian's Chromium: required when FF_ENGINES lists engines (CI, whose
 * .ci/run installs it), skipped with a note on a machine that has none (`npm test` on a laptop).
 */
const browserWanted = existsSync(CHROMIUM) || process.env.FF_ENGINES !== undefined
if (!browserWanted) it.skip(`history studio in Chromium: ${CHROMIUM} is not installed (apt-get install -y chromium)`)

describeEngines(
  'history studio in Chromium',
  (ctx) => {
    let seed: Seed
    let studio: Studio
    let context: BrowserContext
    let page: Page
    let profile: string
    const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${ctx.id}-${name}.png`), fullPage: true })
    const text = (testId: string) => page.getByTestId(testId).first().innerText()

    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
      mkdirSync(SHOTS, { recursive: true })
      seed = await seedStudio(ctx.db, 'stb_', 700)
      studio = await serveStudio(ctx.db as Database, seed.models, { allowWrites: true, actor: OPERATOR })
      profile = mkdtempSync(join(tmpdir(), 'ff-studio-chromium-'))
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
        viewport: { width: 1400, height: 900 },
      })
      page = context.pages()[0] ?? (await context.newPage())
    }, 120_000)
    afterAll(async () => {
      await context?.close()
      await studio?.close()
      if (profile) rmSync(profile, { recursive: true, force: true })
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

    it('read-only studio: no write buttons, and a POST from the page itself is refused (405)', async () => {
      const readOnly = await serveStudio(ctx.db, seed.models)
      try {
        await page.goto(readOnly.url)
        await expect.poll(() => text('mode')).toBe('read-only')
        await page.getByTestId('tenant-select').selectOption(ACME)
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
  (id) => id === 'pglite' && browserWanted,
)

describe('ff-storage studio (the command)', () => {
  const root = resolve(import.meta.dirname, '../..')
  const tsx = join(root, 'node_modules/.bin/tsx')
  const main = join(root, 'src/cli/main.ts')
  let dir: string
  let modelsFile: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ff-studio-cli-'))
    modelsFile = join(dir, 'models.ts')
    writeFileSync(
      modelsFile,
      `import { demoModels } from ${JSON.stringify(join(root, 'src/cli/demo.ts'))}\nconst m = demoModels('stc_')\nexport const all = [m.Country, m.Customer, m.Contract]\n`,
    )
    const db = await connect(`pglite:${join(dir, 'db')}`)
    await seedStudio(db, 'stc_', 0)
    await db.close()
  }, 60_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prints the tokened URL, serves it read-only, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(tsx, [main, 'studio', '--models', modelsFile, '--url', `pglite:${join(dir, 'db')}`], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
    })
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /ff-storage studio: (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/)/.exec(out)
          if (m) resolveUrl(m[1]!)
        })
        child.once('exit', (code) => reject(new Error(`studio exited ${code}: ${out}`)))
        setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 45_000)
      })
      const counts = await (await fetch(`${url}api/counts?tenant=${ACME}`)).json()
      expect(counts).toEqual({ stc_countries: 0, stc_customers: 60, stc_contracts: 1 })
      const post = await fetch(`${url}api/models/stc_contracts/records/x/revert`, { method: 'POST' })
      expect(post.status).toBe(405)
      expect((await fetch(url.replace(/\/[^/]+\/$/, '/'))).status).toBe(401)
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  }, 60_000)

  it('usage errors are one line and exit 1', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((r) => {
        const child = spawn(tsx, [main, 'studio', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: '' } })
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString()
        })
        child.once('exit', (code) => r({ code, stderr }))
      })
    for (const args of [
      [],
      ['--models', modelsFile],
      ['--models', modelsFile, '--url', 'pglite:x', '--allow-writes'],
    ]) {
      const { code, stderr } = await run(args)
      expect(code).toBe(1)
      expect(stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 60_000)
})
