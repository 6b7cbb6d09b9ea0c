import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Database, memoryCache, redisCache } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, T2, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

describeEngines('read cache', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Audited, Versioned]))
  let n = 0

  it('serves repeated reads from the cache, as copies', async () => {
    const cached = ctx.db.repository(Audited, { tenantId: T1, cache: { ttlMs: 60_000 } })
    const r = await cached.create(sample(++n))
    const before = ctx.db.metrics().queries.total
    const first = await cached.get(r.id)
    const second = await cached.get(r.id)
    const third = await cached.list({ where: { id: r.id } })
    const fourth = await cached.list({ where: { id: r.id } })
    expect(ctx.db.metrics().queries.total - before).toBe(2) // one get, one list
    expect(second).toEqual(first)
    expect(fourth).toEqual(third)
    first!.name = 'mutated by the caller'
    expect((await cached.get(r.id))!.name).toBe(r.name)
    expect(second).not.toBe(first)
  })

  it('is invalidated by writes through any repository of the same db', async () => {
    const cached = ctx.db.repository(Audited, { tenantId: T1, cache: { ttlMs: 60_000 } })
    const plain = ctx.db.repository(Audited, { tenantId: T1, userId: U1 })
    const r = await plain.create(sample(++n))
    expect((await cached.get(r.id))!.age).toBe(r.age)
    expect(await cached.count({ where: { id: r.id } })).toBe(1)
    await plain.update(r.id, { age: 120 })
    expect((await cached.get(r.id))!.age).toBe(120)
    await plain.delete(r.id)
    expect(await cached.get(r.id)).toBeNull()
    expect(await cached.count({ where: { id: r.id } })).toBe(0)
    // inside a transaction: invalidated only once committed, and reads bypass the cache
    await plain.restore(r.id)
    expect((await cached.get(r.id))!.age).toBe(120)
    await ctx.db.transaction(async (tx) => {
      await tx.repository(Audited, { tenantId: T1 }).update(r.id, { age: 1 })
      expect((await tx.repository(Audited, { tenantId: T1, cache: {} }).get(r.id))!.age).toBe(1)
    })
    expect((await cached.get(r.id))!.age).toBe(1)
  })

  it('never shares cached results between tenants or scopes', async () => {
    const a = ctx.db.repository(Audited, { tenantId: T1, cache: {} })
    const b = ctx.db.repository(Audited, { tenantId: T2, cache: {} })
    const admin = ctx.db.repository(Audited, { tenantIds: [T1, T2], cache: {} })
    const ra = await a.create(sample(++n, { role: 'cache-scope' }))
    const rb = await b.create(sample(++n, { role: 'cache-scope' }))
    const where = { role: 'cache-scope' }
    expect((await a.list({ where })).map((r) => r.id)).toEqual([ra.id])
    expect((await b.list({ where })).map((r) => r.id)).toEqual([rb.id])
    expect((await admin.list({ where })).map((r) => r.id).sort()).toEqual([ra.id, rb.id].sort())
    expect(await b.get(ra.id)).toBeNull()
    expect((await a.get(ra.id))?.id).toBe(ra.id)
    expect(await b.get(ra.id)).toBeNull()
  })

  it('expires entries after ttlMs', async () => {
    const store = memoryCache()
    const cached = ctx.db.repository(Versioned, { tenantId: T1, cache: { ttlMs: 30, store } })
    const r = await cached.create(sample(++n))
    await cached.get(r.id)
    const before = ctx.db.metrics().queries.total
    await cached.get(r.id)
    expect(ctx.db.metrics().queries.total).toBe(before)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await cached.get(r.id)
    expect(ctx.db.metrics().queries.total).toBe(before + 1)
  })
})

/** Two `db` instances (two processes' worth of pools) share a Redis store, and its invalidation. */
describeEngines(
  'read cache shared through Redis',
  (ctx) => {
    let redis: Redis
    let other: Database
    const prefix = `ff-test-${Math.random().toString(36).slice(2)}:`
    beforeAll(async () => {
      redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
      await redis.connect()
      await createTables(ctx.db, [Audited])
      other = await ctx.open({ cache: redisCache(redis, { prefix }) })
    })
    afterAll(async () => {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    })

    it('invalidates across two db instances and keeps tenants apart', async () => {
      const store = redisCache(redis, { prefix })
      const reader = ctx.db.repository(Audited, { tenantId: T1, cache: { ttlMs: 60_000, store } })
      const writer = other.repository(Audited, { tenantId: T1, userId: U1 })
      const r = await writer.create(sample(1))
      expect((await reader.get(r.id))!.age).toBe(r.age)
      const before = ctx.db.metrics().queries.total
      const hit = await reader.get(r.id)
      expect(ctx.db.metrics().queries.total).toBe(before)
      expect(hit!.createdAt).toBeInstanceOf(Date)
      expect(hit).toEqual(await ctx.db.repository(Audited, { tenantId: T1 }).get(r.id))
      await writer.update(r.id, { age: 3 }) // another pool, same Redis store: the reader's entry is dead
      expect((await reader.get(r.id))!.age).toBe(3)
      const otherTenant = ctx.db.repository(Audited, { tenantId: T2, cache: { store } })
      expect(await otherTenant.get(r.id)).toBeNull()
      const many = await reader.getMany([r.id])
      expect(many).toBeInstanceOf(Map)
      expect(many.get(r.id)?.age).toBe(3)
    })
  },
  (id) => id !== 'pglite' && process.env.FF_REDIS_SELECTED === '1',
)
