import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError, ConnectionError, connect, sql } from '../../src/index.js'

describe('connect()', () => {
  it('opens embedded PGlite in memory with no argument', async () => {
    const db = await connect()
    expect(db.dialect.name).toBe('pglite')
    expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
    await db.close()
  })

  it('says once, at info level, that no URL means embedded PGlite in memory', async () => {
    const infos: string[] = []
    const logger = { debug() {}, warn() {}, error() {}, info: (_: object, msg?: string) => infos.push(msg ?? '') }
    const db = await connect({ logger })
    await db.query(sql`select 1`)
    await db.query(sql`select 2`)
    await db.close()
    expect(infos.filter((m) => /no database URL given: using embedded PGlite in memory/.test(m))).toHaveLength(1)
    const named: string[] = []
    const explicit = await connect({
      url: 'pglite:memory',
      logger: { ...logger, info: (_: object, m?: string) => named.push(m ?? '') },
    })
    await explicit.close()
    expect(named.filter((m) => /no database URL/.test(m))).toHaveLength(0)
  })

  describe('under NODE_ENV=production', () => {
    let saved: string | undefined
    beforeEach(() => {
      saved = process.env.NODE_ENV
      process.env.NODE_ENV = 'production'
    })
    afterEach(() => {
      if (saved === undefined) delete process.env.NODE_ENV
      else process.env.NODE_ENV = saved
    })

    it.each([
      ['connect(undefined)', () => connect(undefined)],
      ["connect('')", () => connect('')],
      ['connect({ url: undefined })', () => connect({ url: undefined })],
    ])('%s (an unset DATABASE_URL) is a ConfigurationError, not a throwaway database', async (_, open) => {
      const error = await open().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/no database URL \(is DATABASE_URL set\?\).*embedded: true/)
    })

    it('connect() and { embedded: true } still open embedded PGlite', async () => {
      for (const db of [await connect(), await connect({ url: undefined, embedded: true })]) {
        expect(db.dialect.name).toBe('pglite')
        await db.close()
      }
    })
  })

  it('connect(undefined) outside production stays the embedded default', async () => {
    const db = await connect(undefined)
    expect(db.dialect.name).toBe('pglite')
    await db.close()
  })

  it('creates the parent directories of a pglite:<dir> database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-pglite-'))
    try {
      const db = await connect(`pglite:${join(dir, '.data', 'app')}`)
      await db.execute(sql`create table t (v int)`)
      await db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('persists a pglite:<dir> database across connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-pglite-'))
    try {
      const first = await connect(`pglite:${dir}`)
      await first.execute(sql`create table kept (v text)`)
      await first.execute(sql`insert into kept values ('still here')`)
      await first.close()
      const second = await connect(`pglite:${dir}`)
      expect(await second.query(sql`select v from kept`)).toEqual([{ v: 'still here' }])
      await second.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.each([
    ['an unknown scheme', 'oracle://scott@localhost/db', /unknown scheme "oracle:"/],
    ['text that is no URL', 'not a url', /is not a database URL/],
    ['a URL without host', 'postgres://', /names no host|invalid database URL/],
    ['a malformed URL', 'postgres://a b@:x', /invalid database URL/],
  ])('rejects %s with a ConfigurationError naming the problem', async (_, url, message) => {
    const error = await connect(url).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toMatch(message)
  })

  it('refuses statementTimeoutMs on PGlite, which cannot enforce it', async () => {
    for (const url of [undefined, 'pglite:']) {
      const error = await connect({ ...(url && { url }), statementTimeoutMs: 100 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/statementTimeoutMs.*PGlite/)
    }
  })

  it('never prints the password of a URL', async () => {
    const error = await connect('postgres://me:s3cret@127.0.0.1:1/db').catch((e: unknown) => e)
    expect((error as Error).message).not.toContain('s3cret')
    expect((error as Error).message).toContain('me:***@')
  })

  it.each([
    ['postgres', 'postgres://postgres@127.0.0.1:1/test'],
    ['mysql', 'mysql://root@127.0.0.1:1/test'],
  ])('fails fast with a ConnectionError when a %s server refuses', async (_, url) => {
    const started = Date.now()
    const error = await connect({ url, connectTimeoutMs: 2_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toMatch(/Could not connect to .*127\.0\.0\.1:1.*ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(2_500)
  })

  it('gives up within connectTimeoutMs when a server never answers', async () => {
    // a listening socket that never speaks the protocol
    const net = await import('node:net')
    const server = net.createServer(() => {})
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    try {
      for (const url of [`postgres://postgres@127.0.0.1:${port}/test`, `mysql://root@127.0.0.1:${port}/test`]) {
        const started = Date.now()
        const error = await connect({ url, connectTimeoutMs: 500 }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConnectionError)
        expect(Date.now() - started).toBeLessThan(2_000)
      }
    } finally {
      server.close()
    }
  })
})
