import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { runCli } from '../../src/cli/run.js'
import { defineModel, type Studio, serveStudio, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { createTables } from '../helpers/models.js'
import { ACME, GLOBEX, OPERATOR, seedStudio } from '../helpers/studio-seed.js'

type Seed = Awaited<ReturnType<typeof seedStudio>>
type Body = Record<string, unknown>

async function call(studio: Studio, path: string, init?: RequestInit) {
  const res = await fetch(`${studio.url}${path}`, init)
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: (text.startsWith('{') ? JSON.parse(text) : text) as Body }
}

/** Models whose tenant and user ids are bigints, and text ids (Clerk-style). */
const BigTenant = defineModel({
  table: 'sth2_big',
  temporal: 'copy_on_change',
  tenantIdType: z.bigint(),
  actorIdType: z.bigint(),
  fields: { name: z.string().max(50) },
})
const TextTenant = defineModel({
  table: 'sth2_text',
  temporal: 'scd2',
  tenantIdType: z.string().max(64),
  fields: { name: z.string().max(50) },
})
const ORG = 'org_2abCDe'

describeEngines('studio hardening', (ctx) => {
  let seed: Seed
  let bigId: string
  const studios: Studio[] = []
  const start = async (...args: Parameters<typeof serveStudio>) => {
    const s = await serveStudio(...args)
    studios.push(s)
    return s
  }
  beforeAll(async () => {
    seed = await seedStudio(ctx.db, 'sth2_', 0)
    await createTables(ctx.db, [BigTenant, TextTenant])
    const big = ctx.db.repository(BigTenant, { tenantId: 42n, userId: 7n })
    bigId = (await big.create({ name: 'forty-two' })).id
    await big.create({ name: 'gone' }).then((r) => big.delete(r.id))
    await ctx.db.repository(BigTenant, { tenantId: 43n, userId: 7n }).create({ name: 'forty-three' })
    await ctx.db.repository(TextTenant, { tenantId: ORG }).create({ name: 'clerk org' })
  })
  afterAll(async () => {
    for (const s of studios) await s.close()
  })

  it('tenants must be an array of non-empty strings, each a tenant id of the models (checked at start)', async () => {
    for (const tenants of [ACME, [1], [null], [ACME, ''], 'org_acme', ['not-a-uuid']]) {
      await expect(serveStudio(ctx.db, seed.models, { tenants } as never), JSON.stringify(tenants)).rejects.toThrow(
        ValidationError,
      )
    }
    // a string is not a list of its characters (each of which is a text tenant id)
    await expect(serveStudio(ctx.db, [TextTenant], { tenants: ORG } as never)).rejects.toThrow(/array/)
    // a tenant id of some model is fine (a bigint in decimal, a text id)
    const mixed = await start(ctx.db, [...seed.models, BigTenant, TextTenant], { tenants: ['42', ORG, ACME] })
    expect((await call(mixed, 'api/meta')).body.tenants).toEqual(['42', ORG, ACME])
  })

  it('serves bigint and text tenant ids, converted per model; /counts reports per model', async () => {
    const studio = await start(ctx.db, [...seed.models, BigTenant, TextTenant])
    const list = await call(studio, 'api/models/sth2_big/records?tenant=42')
    expect(list.status, JSON.stringify(list.body)).toBe(200)
    expect((list.body.records as { name: string; tenantId: string }[]).map((r) => [r.name, r.tenantId])).toEqual([
      ['forty-two', '42'],
    ])
    expect((await call(studio, `api/models/sth2_big/records/${bigId}/audit?tenant=42`)).status).toBe(200)
    expect((await call(studio, 'api/models/sth2_big/changes?tenant=42&user=7')).status).toBe(200)
    expect((await call(studio, `api/models/sth2_text/records?tenant=${ORG}`)).body.records).toHaveLength(1)
    // not a bigint: 400 naming the model's tenant ids
    const bad = await call(studio, 'api/models/sth2_big/records?tenant=forty-two')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/bigint/)
    // counts: each model counted, or why not (the other models' tenant ids), never the whole response failing
    const big = await call(studio, 'api/counts?tenant=42')
    expect(big.status).toBe(200)
    expect(big.body.sth2_countries).toBe(0)
    expect(big.body.sth2_big).toBe(1)
    expect(big.body.sth2_text).toBe(0) // '42' is a text id too
    expect(big.body.sth2_customers).toMatchObject({ error: expect.stringMatching(/UUID/) })
    const acme = await call(studio, `api/counts?tenant=${ACME}`)
    expect(acme.status).toBe(200)
    expect(acme.body).toMatchObject({ sth2_customers: 60, sth2_contracts: 1, sth2_text: 0 })
    expect(acme.body.sth2_big).toMatchObject({ error: expect.stringMatching(/bigint/) })
    expect((await call(studio, 'api/counts')).body.sth2_big).toBeNull()
  })

  it('the allowlist compares ids as the scopes normalize them (UUIDs in any case, bigints by value)', async () => {
    const studio = await start(ctx.db, [...seed.models, BigTenant], { tenants: [ACME.toUpperCase(), '42'] })
    for (const tenant of [ACME, ACME.toUpperCase()]) {
      const r = await call(studio, `api/models/sth2_customers/records?tenant=${tenant}&limit=1`)
      expect(r.status, tenant).toBe(200)
    }
    expect((await call(studio, `api/models/sth2_customers/records?tenant=${GLOBEX}`)).status).toBe(403)
    expect((await call(studio, `api/counts?tenant=${GLOBEX}`)).status).toBe(403)
    expect((await call(studio, 'api/models/sth2_big/records?tenant=042')).status).toBe(200)
    expect((await call(studio, 'api/models/sth2_big/records?tenant=43')).status).toBe(403)
  })

  it('caps limit at 500 and rebuilds an as-of list at most 8 records at a time', async () => {
    const studio = await start(ctx.db, seed.models)
    const path = `api/models/sth2_customers/records?tenant=${ACME}`
    const over = await call(studio, `${path}&limit=501`)
    expect(over.status).toBe(400)
    expect(over.body.error).toMatch(/1 to 500/)
    expect((await call(studio, `api/models/sth2_customers/changes?tenant=${ACME}&user=x&limit=100000`)).status).toBe(
      400,
    )
    expect((await call(studio, `${path}&limit=500`)).status).toBe(200)
    // the statements in flight while a 61-record list is rebuilt as of now
    // (counted on the prototype every repository of db.repository() shares)
    const proto = Object.getPrototypeOf(ctx.db.repository(seed.Customer, { tenantId: ACME })) as {
      getStateAt: (...args: unknown[]) => Promise<unknown>
    }
    const original = proto.getStateAt
    let inFlight = 0
    let most = 0
    proto.getStateAt = async function (this: unknown, ...args: unknown[]) {
      most = Math.max(most, ++inFlight)
      try {
        return await original.apply(this, args)
      } finally {
        inFlight--
      }
    }
    try {
      const rebuilt = await call(studio, `${path}&limit=500&asOf=${new Date().toISOString()}`)
      expect(rebuilt.status).toBe(200)
      expect(rebuilt.body.records).toHaveLength(60)
    } finally {
      proto.getStateAt = original
    }
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(8)
  })

  it('accepts only strict ISO 8601 instants (with a zone, or a date for UTC midnight)', async () => {
    const studio = await start(ctx.db, seed.models)
    const records = `api/models/sth2_customers/records?tenant=${ACME}&limit=1&asOf=`
    for (const asOf of ['1', '2024', 'May 1 2024', '2024-05-01T00:00:00', '2024-13-01', '2024-02-30T00:00:00Z']) {
      const r = await call(studio, `${records}${encodeURIComponent(asOf)}`)
      expect(r.status, asOf).toBe(400)
      expect(r.body.error, asOf).toMatch(/ISO 8601/)
    }
    for (const asOf of [
      '2024-05-01',
      '2024-05-01T12:00:00Z',
      '2024-05-01T14:00:00.123+02:00',
      new Date().toISOString(),
    ])
      expect((await call(studio, `${records}${encodeURIComponent(asOf)}`)).status, asOf).toBe(200)
    const grace = `api/models/sth2_customers/records/${seed.ada.id}`
    expect((await call(studio, `${grace}/compare?tenant=${ACME}&a=1&b=2`)).status).toBe(400)
    expect((await call(studio, `api/models/sth2_customers/changes?tenant=${ACME}&user=x&from=1`)).status).toBe(400)
    expect((await call(studio, `${grace}?tenant=${ACME}&asOf=1`)).status).toBe(400)
  })

  it('checks the actor against the models it can write at start; bigint actors restore', async () => {
    for (const actor of ['not-a-uuid', '', 7])
      await expect(serveStudio(ctx.db, seed.models, { allowWrites: true, actor } as never)).rejects.toThrow(
        ValidationError,
      )
    await expect(serveStudio(ctx.db, [BigTenant], { allowWrites: true, actor: OPERATOR })).rejects.toThrow(/bigint/)
    const studio = await start(ctx.db, [BigTenant], { allowWrites: true, actor: '7', tenants: ['42'] })
    const deleted = await ctx.db.repository(BigTenant, { tenantId: 42n }).list({ includeDeleted: true })
    const gone = deleted.find((r) => r.deletedAt !== null)!
    const restored = await call(studio, `api/models/sth2_big/records/${gone.id}/restore?tenant=42`, {
      method: 'POST',
      headers: { 'x-ff-studio': '1' },
    })
    expect(restored.status, JSON.stringify(restored.body)).toBe(200)
    expect(restored.body.record).toMatchObject({ deletedAt: null, updatedBy: '7' })
  })

  it('refusals (401, 403, 405) carry no-store, nosniff and no-referrer', async () => {
    const studio = await start(ctx.db, seed.models)
    const base = `http://127.0.0.1:${studio.port}`
    for (const [url, init, status] of [
      [`${base}/`, undefined, 401],
      [`${base}/${'A'.repeat(43)}/`, undefined, 403],
      [`${studio.url}api/meta`, { method: 'DELETE' }, 405],
    ] as const) {
      const res = await fetch(url, init)
      expect(res.status).toBe(status)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    }
  })
})

describe('ff-storage studio: usage errors', () => {
  const cli = async (args: string[]) => {
    let stdout = ''
    let stderr = ''
    const sink = (add: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, done) {
          add(String(chunk))
          done()
        },
      })
    const code = await runCli(args, {
      stdout: sink((s) => (stdout += s)),
      stderr: sink((s) => (stderr += s)),
      env: {},
    })
    return { code, stdout, stderr }
  }

  it('an unknown option, a missing or empty value is one line pointing at --help, exit 1', async () => {
    for (const [args, text] of [
      [['--bogus'], /Unknown option '--bogus'/],
      [['--models'], /--models/],
      [['--models', 'm.ts', '--url', 'pglite:x', '--port', ''], /--port needs a value/],
      [['--models', 'm.ts', '--url', 'pglite:x', '--port', '1e3'], /--port must be an integer/],
      [['--models', '', '--url', 'pglite:x'], /--models needs a value/],
      [['--models', 'm.ts', '--url', 'pglite:x', '--tenant', ''], /--tenant needs a value/],
      [['--models', 'm.ts', 'extra'], /Unexpected argument/],
    ] as const) {
      const r = await cli(['studio', ...args])
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1)
      expect(r.stderr).toMatch(/^ff-storage: /)
      expect(r.stderr).not.toMatch(/TypeError/)
      expect(r.stderr).toMatch(text)
      expect(r.stderr).toMatch(/see ff-storage studio --help/)
    }
  })

  it('help studio prints the studio options', async () => {
    const r = await cli(['help', 'studio'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: ff-storage studio --models/)
    expect(r.stdout).toContain('--allow-writes')
  })
})
