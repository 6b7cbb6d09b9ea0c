import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Studio, serveStudio, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { ACME, GLOBEX, OPERATOR, seedStudio } from '../helpers/studio-seed.js'

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

  it('shows the tenants it was given and no other: the list comes from the options, never from the tables', async () => {
    // started without tenants: no list at all (the page asks for a typed id); no tenant id leaks
    const open = await call(studio, 'api/meta')
    expect((open.body as { tenants: unknown }).tenants).toBeNull()
    expect(JSON.stringify(open.body)).not.toContain(ACME)
    expect(JSON.stringify(open.body)).not.toContain(GLOBEX)
    // started for Acme: Acme only, and every view of Globex is refused before any read
    const acmeOnly = await call(writable, 'api/meta')
    expect((acmeOnly.body as { tenants: unknown }).tenants).toEqual([ACME])
    expect(JSON.stringify(acmeOnly.body)).not.toContain(GLOBEX)
    // the page itself carries the same meta (a JSON data block): Acme, and no Globex
    const page = (await call(writable, '')).body as string
    expect(page).toContain(`"tenants":["${ACME}"]`)
    expect(page).not.toContain(GLOBEX)
    const grace = `api/models/sth_customers/records/${seed.grace.id}`
    for (const path of [
      'api/counts',
      'api/models/sth_customers/records',
      'api/models/sth_customers/range',
      'api/models/sth_customers/changes?user=x',
      grace,
      `${grace}/audit`,
      `${grace}/compare?a=2020-01-01T00:00:00Z&b=2030-01-01T00:00:00Z`,
      `api/models/sth_contracts/records/${seed.deal.id}/versions`,
    ]) {
      const r = await call(writable, `${path}${path.includes('?') ? '&' : '?'}tenant=${GLOBEX}`)
      expect(r.status, path).toBe(403)
      expect(JSON.stringify(r.body), path).not.toContain('Grace')
    }
    // the same tenant twice is one; an empty list or an empty id is a mistake, refused before listening
    const twice = await serveStudio(ctx.db, seed.models, { tenants: [ACME, ACME] })
    try {
      expect((await call(twice, 'api/meta')).body).toMatchObject({ tenants: [ACME] })
    } finally {
      await twice.close()
    }
    await expect(serveStudio(ctx.db, seed.models, { tenants: [] })).rejects.toBeInstanceOf(ValidationError)
    await expect(serveStudio(ctx.db, seed.models, { tenants: [''] })).rejects.toBeInstanceOf(ValidationError)
  })

  it('refuses bad options before listening', async () => {
    await expect(serveStudio(ctx.db, [])).rejects.toBeInstanceOf(ValidationError)
    await expect(serveStudio(ctx.db, seed.models, { allowWrites: true })).rejects.toBeInstanceOf(ValidationError)
    await expect(serveStudio(ctx.db, seed.models, { token: 'short' })).rejects.toBeInstanceOf(ValidationError)
  })
})

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
    const args = ['--models', modelsFile, '--url', `pglite:${join(dir, 'db')}`, '--tenants', ACME]
    const child = spawn(tsx, [main, 'studio', ...args], {
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
      // --tenants: the tenants offered, and the only ones served
      expect(await (await fetch(`${url}api/meta`)).json()).toMatchObject({ tenants: [ACME] })
      expect((await fetch(`${url}api/counts?tenant=${GLOBEX}`)).status).toBe(403)
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
      ['--models', modelsFile, '--url', 'pglite:x', '--tenants', `${ACME},`],
    ]) {
      const { code, stderr } = await run(args)
      expect(code).toBe(1)
      expect(stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 60_000)
})
