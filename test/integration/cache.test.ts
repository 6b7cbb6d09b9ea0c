import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { connect, type Database, defineModel, memoryCache, redisCache, SchemaManager, sql } from '../../src/index.js'
import { describeEngines, withDatabase } from '../helpers/engines.js'
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

/**
 * Regression: cache keys named the table only, so two models of the same table in two PostgreSQL
 * schemas, or the same table in two databases sharing a store (one memory store given to both, or
 * one Redis), returned each other's rows.
 */
describeEngines('read cache keys identify database, schema and table', (ctx) => {
  const S1 = defineModel({ table: 'same_name', schema: 'cache_a', fields: { label: z.string().max(20) } })
  const S2 = defineModel({ table: 'same_name', schema: 'cache_b', fields: { label: z.string().max(20) } })
  const Narrow = defineModel({ table: 'same_name', schema: 'cache_a', fields: {} })
  let redis: Redis | undefined
  let second: Database
  let secondName: string | undefined
  const prefix = `ff-test-${Math.random().toString(36).slice(2)}:`
  beforeAll(async () => {
    if (process.env.FF_REDIS_SELECTED === '1') {
      redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
      await redis.connect()
    }
    if (ctx.family === 'postgres') await new SchemaManager(ctx.db).sync([S1, S2])
    await createTables(ctx.db, [Audited])
    if (ctx.id === 'pglite') {
      second = await connect()
    } else {
      secondName = `ff_t2_${Math.random().toString(36).slice(2, 10)}`
      await ctx.db.execute(sql`create database ${sql.id(secondName)}`)
      second = await connect(withDatabase(ctx.url!, secondName))
    }
    await createTables(second, [Audited])
  })
  afterAll(async () => {
    await second?.close()
    if (secondName) {
      await ctx.db.execute(
        ctx.family === 'postgres'
          ? sql`drop database if exists ${sql.id(secondName)} with (force)`
          : sql`drop database if exists ${sql.id(secondName)}`,
      )
    }
    if (redis) {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    }
  })
  const stores = () => [
    ['memory', memoryCache()] as const,
    ...(redis ? [['redis', redisCache(redis, { prefix })] as const] : []),
  ]

  it('two databases sharing one store never see each other’s entries', async () => {
    for (const [, store] of stores()) {
      const here = ctx.db.repository(Audited, { tenantId: T1, cache: { store } })
      const there = second.repository(Audited, { tenantId: T1, cache: { store } })
      const mine = await here.create(sample(500 + Math.floor(Math.random() * 1e6)))
      const theirs = await there.create(sample(500 + Math.floor(Math.random() * 1e6)))
      const where = { id: [mine.id, theirs.id] }
      expect((await here.list({ where })).map((r) => r.id)).toEqual([mine.id])
      expect((await there.list({ where })).map((r) => r.id)).toEqual([theirs.id])
      expect(await there.get(mine.id)).toBeNull()
      expect((await here.get(mine.id))?.id).toBe(mine.id)
      expect(await here.count({ where })).toBe(1)
      expect(await there.count({ where })).toBe(1)
      // a write in one database does not need to, and a write in the other must not, serve stale data
      await there.update(theirs.id, { age: 99 })
      expect((await there.get(theirs.id))?.age).toBe(99)
    }
  })

  it('a model without schema and one naming the schema it resolves to are one table: writes through either invalidate both', async () => {
    const Plain = defineModel({ table: 'cache_resolved', fields: { label: z.string().max(20) } })
    // PostgreSQL: the default schema; MySQL/MariaDB: schema is ignored (the connection's database)
    const Named = defineModel({ table: 'cache_resolved', schema: 'public', fields: { label: z.string().max(20) } })
    await createTables(ctx.db, [Plain])
    for (const [, store] of stores()) {
      const plain = ctx.db.repository(Plain, { tenantId: T1, cache: { store } })
      const named = ctx.db.repository(Named, { tenantId: T1, cache: { store } })
      const r = await plain.create({ label: 'v1' })
      expect((await named.get(r.id))?.label).toBe('v1')
      await plain.update(r.id, { label: 'v2' })
      expect((await named.get(r.id))?.label).toBe('v2')
      await named.update(r.id, { label: 'v3' })
      expect((await plain.get(r.id))?.label).toBe('v3')
    }
  })

  // schemas exist on the PostgreSQL family only (a model's schema is ignored on MySQL/MariaDB)
  if (ctx.family !== 'postgres') return
  it('two models of one table name in two schemas keep their rows apart', async () => {
    for (const [, store] of stores()) {
      const a = ctx.db.repository(S1, { tenantId: T1, cache: { store } })
      const b = ctx.db.repository(S2, { tenantId: T1, cache: { store } })
      const ra = await a.create({ label: 'in a' })
      const rb = await b.create({ label: 'in b' })
      expect((await a.list()).map((r) => r.label)).toContain('in a')
      expect((await b.list()).map((r) => r.label)).not.toContain('in a')
      expect(await b.get(ra.id)).toBeNull()
      expect((await a.get(ra.id))?.label).toBe('in a')
      expect((await b.get(rb.id))?.label).toBe('in b')
      // another shape of the same table: its own entries, invalidated by writes through either
      const narrow = ctx.db.repository(Narrow, { tenantId: T1, cache: { store } })
      const seen = await narrow.get(ra.id)
      expect(seen && 'label' in seen).toBe(false)
      expect((await a.get(ra.id)) && 'label' in (await a.get(ra.id))!).toBe(true)
      await a.delete(ra.id)
      expect(await narrow.get(ra.id)).toBeNull()
    }
  })
})
