import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, NotFoundError, VersionConflictError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { pause, sample, T1, T2, T3, U1, U2, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

const Sparse = defineModel({
  table: 'scd2_sparse',
  temporal: 'scd2',
  fields: {
    name: z.string().max(20),
    extra: z.string().max(10).optional(),
    doc: z.object({ a: z.int() }).optional(),
    note: z.string().max(10).nullable(),
  },
})

describeEngines('scd2', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Versioned, Sparse]))

  it('revertTo(n) gives a version equal to n: optional fields unset then are cleared; null clears an optional field', async () => {
    const repo = ctx.db.repository(Sparse, { tenantId: T1, userId: U1 })
    const r = await repo.create({ name: 'v1', note: null })
    await repo.update(r.id, { name: 'v2', extra: 'x', doc: { a: 1 }, note: 'y' })
    const reverted = await repo.revertTo(r.id, 1)
    expect(reverted.version).toBe(3)
    const diff = await repo.compareVersions(r.id, 1, 3)
    expect(Object.entries(diff).filter(([, d]) => d.changed)).toEqual([])
    expect(await repo.get(r.id)).toMatchObject({ name: 'v1', note: null })
    expect((await repo.get(r.id))?.extra ?? null).toBeNull()
    // a patch clears an optional field with null (undefined leaves it as it is)
    await repo.update(r.id, { extra: 'z' })
    expect((await repo.update(r.id, { extra: undefined })).extra).toBe('z')
    expect((await repo.update(r.id, { extra: null })).extra ?? null).toBeNull()
  })
  const repo = (tenantId = T1, userId = U1) => ctx.db.repository(Versioned, { tenantId, userId })
  let n = 0

  const history = async (id: string) => {
    const rows = await repo().getVersionHistory(id)
    return rows.map((r) => ({ v: r.version, from: r.validFrom.getTime(), to: r.validTo?.getTime() ?? null }))
  }

  it('keeps the current version in the table and closed versions contiguous in history', async () => {
    const r = await repo().create(sample(++n, { age: 1 }))
    await pause()
    const v2 = await repo().update(r.id, { age: 2 })
    const v3 = await repo(T1, U2).update(r.id, { age: 3 }) // same millisecond is fine: intervals stay increasing
    expect([r.version, v2.version, v3.version]).toEqual([1, 2, 3])
    expect(v3.updatedBy).toBe(U2)
    expect(v3.createdAt).toEqual(r.createdAt)
    const h = await history(r.id)
    expect(h.map((x) => x.v)).toEqual([1, 2, 3])
    expect(h[0]!.to).toBe(h[1]!.from)
    expect(h[1]!.to).toBe(h[2]!.from)
    expect(h[2]!.to).toBeNull()
    for (const x of h) if (x.to !== null) expect(x.to).toBeGreaterThan(x.from)
    expect(await repo().getVersionCount(r.id)).toBe(3)
    expect((await repo().getVersion(r.id, 2))?.age).toBe(2)
    expect(await repo().getVersion(r.id, 9)).toBeNull()
    expect((await repo().getCurrentVersion(r.id))?.version).toBe(3)
    // the main table holds one row per id; counts count records, not versions
    expect(await repo().count({ where: { id: r.id }, includeDeleted: true })).toBe(1)
  })

  it('travels in time with asOf: boundaries, before creation, after deletion', async () => {
    const r = await repo().create(sample(++n, { age: 10 }))
    await pause()
    const v2 = await repo().update(r.id, { age: 20 })
    await pause()
    await repo().delete(r.id)
    const deleted = await repo().getCurrentVersion(r.id)
    expect(deleted?.version).toBe(3)
    expect(deleted?.deletedAt).toBeInstanceOf(Date)
    const at = async (t: Date, includeDeleted = false) =>
      (await repo().get(r.id, { asOf: t, includeDeleted }))?.age ?? null
    expect(await at(new Date(r.validFrom.getTime() - 1))).toBeNull()
    expect(await at(r.validFrom)).toBe(10)
    expect(await at(new Date(v2.validFrom.getTime() - 1))).toBe(10)
    expect(await at(v2.validFrom)).toBe(20) // the boundary belongs to the newer version
    expect(await at(new Date(deleted!.validFrom.getTime() - 1))).toBe(20)
    expect(await at(deleted!.validFrom)).toBeNull()
    expect(await at(deleted!.validFrom, true)).toBe(20)
    expect(await at(new Date(Date.now() + 1_000))).toBeNull()
    const many = await repo().getMany([r.id], { asOf: v2.validFrom })
    expect(many.get(r.id)?.version).toBe(2)
  })

  it('lists and counts records as they were at an instant', async () => {
    const tag = `asof-${++n}`
    const a = await repo(T2).create({ ...sample(++n), name: `${tag} a`, age: 1 })
    await pause()
    const b = await repo(T2).create({ ...sample(++n), name: `${tag} b`, age: 1 })
    await pause()
    await repo(T2).update(a.id, { age: 2 })
    await pause()
    const afterUpdate = new Date()
    await pause()
    await repo(T2).delete(b.id)
    const where = { name: { like: `${tag} %` } }
    expect(await repo(T2).count({ where, asOf: new Date(a.validFrom.getTime() - 1) })).toBe(0)
    expect(await repo(T2).count({ where, asOf: a.validFrom })).toBe(1)
    expect(await repo(T2).count({ where, asOf: b.validFrom })).toBe(2)
    const past = await repo(T2).list({ where, asOf: b.validFrom, orderBy: { name: 'asc' } })
    expect(past.map((x) => [x.name, x.age, x.version])).toEqual([
      [`${tag} a`, 1, 1],
      [`${tag} b`, 1, 1],
    ])
    const later = await repo(T2).list({ where: { ...where, age: 2 }, asOf: afterUpdate })
    expect(later.map((x) => x.name)).toEqual([`${tag} a`])
    expect(await repo(T2).count({ where })).toBe(1)
    expect(await repo(T2).count({ where, asOf: new Date(), includeDeleted: true })).toBe(2)
    expect(await repo().count({ where, asOf: afterUpdate })).toBe(0)
  })

  /** What list/count/getMany asOf must return, worked out from each record's version history. */
  const expectedAt = async (ids: readonly string[], t: Date, tenant: string) => {
    const out: { id: string; age: number; version: number }[] = []
    for (const id of ids) {
      const versions = [
        ...(await repo(T1).getVersionHistory(id)),
        ...(await repo(T2).getVersionHistory(id)),
        ...(await repo(T3).getVersionHistory(id)),
      ]
      const v = versions.find(
        (x) => x.validFrom.getTime() <= t.getTime() && (x.validTo === null || x.validTo.getTime() > t.getTime()),
      )
      if (v && v.tenantId === tenant && v.deletedAt === null) out.push({ id, age: v.age, version: v.version })
    }
    return out.sort((a, b) => a.id.localeCompare(b.id))
  }
  const seen = (rows: readonly { id: string; age: number; version: number }[]) =>
    rows.map((r) => ({ id: r.id, age: r.age, version: r.version })).sort((a, b) => a.id.localeCompare(b.id))

  it('agrees with the version history at every instant of a random sequence of changes', async () => {
    const tag = `walk-${++n}`
    const where = { name: { like: `${tag} %` } }
    const ids: string[] = []
    const instants: Date[] = []
    let seed = 7
    const random = (k: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % k
    }
    for (let step = 0; step < 40; step++) {
      const owner = [T1, T2][random(2)]!
      const id = ids.length > 0 ? ids[random(ids.length)]! : undefined
      const current = id
        ? await ctx.db.repository(Versioned, { tenantIds: [T1, T2] }).get(id, { includeDeleted: true })
        : null
      const action = ids.length < 3 ? 0 : random(5)
      if (action === 0 || !current) {
        ids.push((await repo(owner).create({ ...sample(++n), name: `${tag} ${ids.length}`, age: random(100) })).id)
      } else if (current.deletedAt !== null) {
        await repo(current.tenantId).restore(current.id)
      } else if (action === 1) {
        await repo(current.tenantId).delete(current.id)
      } else if (action === 2) {
        await repo(current.tenantId).transferOwnership(current.id, current.tenantId === T1 ? T2 : T1)
      } else {
        await repo(current.tenantId).update(current.id, { age: random(100) })
      }
      await pause(2)
      instants.push(new Date())
      await pause(2)
    }
    for (const t of instants.filter((_, i) => i % 4 === 3)) {
      for (const tenant of [T1, T2]) {
        const want = await expectedAt(ids, t, tenant)
        expect(seen(await repo(tenant).list({ where, asOf: t }))).toEqual(want)
        expect(await repo(tenant).count({ where, asOf: t })).toBe(want.length)
        const many = await repo(tenant).getMany(ids, { asOf: t })
        expect(seen([...many.values()].filter((x) => x !== null))).toEqual(want)
      }
    }
  })

  it('lists at an instant when more than a thousand records changed since', async () => {
    const tag = `wide-${++n}`
    const where = { name: { like: `${tag} %` } }
    const old = await repo(T3).createMany(
      Array.from({ length: 5 }, (_, i) => ({ ...sample(++n), name: `${tag} old ${i}`, age: i })),
    )
    await pause()
    const t = new Date()
    await pause()
    for (const r of old.slice(0, 3)) await repo(T3).update(r.id, { age: r.age + 50 })
    await repo(T3).transferOwnership(old[3]!.id, T1)
    // created after the instant: changed since then too, and not listed
    await repo(T3).createMany(
      Array.from({ length: 1_100 }, (_, i) => ({ ...sample(++n), name: `${tag} new ${i}`, age: 1 })),
    )
    const want = old.map((r) => ({ id: r.id, age: r.age, version: 1 })).sort((a, b) => a.id.localeCompare(b.id))
    expect(seen(await repo(T3).list({ where, asOf: t }))).toEqual(want)
    expect(await repo(T3).count({ where, asOf: t })).toBe(5)
    const many = await repo(T3).getMany(
      [...old.map((r) => r.id), ...(await repo(T3).list({ where, limit: 1_100 })).map((r) => r.id)],
      { asOf: t },
    )
    expect(seen([...many.values()].filter((x) => x !== null))).toEqual(want)
  })

  it('lists at an instant while a record changes between the statements of the read', async () => {
    const tag = `race-${++n}`
    const where = { name: { like: `${tag} %` } }
    const [a, b] = await repo(T3).createMany([
      { ...sample(++n), name: `${tag} a`, age: 1 },
      { ...sample(++n), name: `${tag} b`, age: 2 },
    ])
    await pause()
    const t = new Date()
    await pause()
    await repo(T3).update(a!.id, { age: 11 })
    // right after the first statement of the next read, b changes and a moves to another tenant
    const db = ctx.db as { run: typeof ctx.db.run }
    const run = db.run
    let fired = false
    db.run = async function (this: typeof ctx.db, ...args: Parameters<typeof run>) {
      const result = await run.apply(this, args)
      if (!fired) {
        fired = true
        db.run = run
        await repo(T3).update(b!.id, { age: 12 })
        await repo(T3).transferOwnership(a!.id, T2)
      }
      return result
    } as typeof run
    try {
      const then = await repo(T3).list({ where, asOf: t, orderBy: { name: 'asc' } })
      expect(then.map((r) => [r.name, r.age])).toEqual([
        [`${tag} a`, 1],
        [`${tag} b`, 2],
      ])
    } finally {
      db.run = run
    }
    expect(fired).toBe(true)
    expect(seen(await repo(T3).list({ where, asOf: t }))).toEqual(await expectedAt([a!.id, b!.id], t, T3))
  })

  it('restores with a new version, compares versions, reverts, and never rewrites history', async () => {
    const r = await repo().create(sample(++n, { age: 1, meta: { theme: 'a' } }))
    await repo().update(r.id, { age: 2, meta: { theme: 'b' } })
    await repo().delete(r.id)
    const restored = await repo().restore(r.id)
    expect(restored?.version).toBe(4)
    expect(restored?.deletedAt).toBeNull()
    const diff = await repo().compareVersions(r.id, 1, 2)
    expect(diff.age).toEqual({ old: 1, new: 2, changed: true })
    expect(diff.meta).toEqual({ old: { theme: 'a' }, new: { theme: 'b' }, changed: true })
    expect(diff.name).toEqual({ old: r.name, new: r.name, changed: false })
    await expect(repo().compareVersions(r.id, 1, 42)).rejects.toBeInstanceOf(NotFoundError)
    const before = await repo().getVersionHistory(r.id)
    const reverted = await repo().revertTo(r.id, 1, { userId: U2 })
    expect(reverted).toMatchObject({ version: 5, age: 1, meta: { theme: 'a' }, updatedBy: U2 })
    const after = await repo().getVersionHistory(r.id)
    expect(after.slice(0, 4).map((v) => ({ ...v, validTo: null }))).toEqual(
      before.map((v) => ({ ...v, validTo: null })),
    )
    const timeline = await repo().getVersionTimeline(r.id)
    expect(timeline.map((t) => [t.version, t.isCurrent, t.isDeleted])).toEqual([
      [1, false, false],
      [2, false, false],
      [3, false, true],
      [4, false, false],
      [5, true, false],
    ])
    expect(timeline.at(-1)?.validTo).toBeNull()
  })

  it('turns expectedVersion into optimistic locking', async () => {
    const r = await repo().create(sample(++n))
    const v2 = await repo().update(r.id, { age: 50 }, { expectedVersion: 1 })
    expect(v2.version).toBe(2)
    const conflict = await repo()
      .update(r.id, { age: 51 }, { expectedVersion: 1 })
      .catch((e: unknown) => e)
    expect(conflict).toBeInstanceOf(VersionConflictError)
    expect((conflict as VersionConflictError).actualVersion).toBe(2)
    expect((await repo().get(r.id))?.age).toBe(50)
    expect((await repo().update(r.id, { age: 50 }, { expectedVersion: 2 })).version).toBe(2)
  })

  it('lists a record under the tenant it belonged to at the instant, also after a transfer', async () => {
    const tag = `moved-${++n}`
    const r = await repo().create({ ...sample(++n), name: `${tag} r` })
    await pause()
    await repo().update(r.id, { age: 7 })
    await pause()
    const before = new Date()
    await pause()
    await repo().update(r.id, { age: 8 })
    await repo().transferOwnership(r.id, T2)
    await repo(T2).update(r.id, { age: 9 })
    const where = { name: { like: `${tag} %` } }
    const then = await repo().list({ where, asOf: before })
    expect(then.map((x) => [x.tenantId, x.age])).toEqual([[T1, 7]])
    expect(await repo().count({ where, asOf: before })).toBe(1)
    expect(await repo(T2).list({ where, asOf: before })).toEqual([])
    expect((await repo(T2).list({ where, asOf: new Date() })).map((x) => x.age)).toEqual([9])
    expect(await repo().list({ where, asOf: new Date() })).toEqual([])
    const admin = ctx.db.repository(Versioned, { tenantIds: [T1, T2] })
    expect((await admin.list({ where, asOf: before })).map((x) => x.tenantId)).toEqual([T1])
    expect((await repo().getMany([r.id], { asOf: before })).get(r.id)?.age).toBe(7)
    expect((await repo(T2).getMany([r.id], { asOf: before })).get(r.id)).toBeNull()
  })

  it('moves ownership as a new version whose history stays with the old tenant', async () => {
    const r = await repo().create(sample(++n))
    const moved = await repo().transferOwnership(r.id, T2)
    expect(moved).toMatchObject({ version: 2, tenantId: T2 })
    expect((await repo(T2).getVersionHistory(r.id)).map((v) => v.version)).toEqual([2])
    expect((await repo().getVersionHistory(r.id)).map((v) => v.version)).toEqual([1])
    expect(await repo(T2).get(r.id, { asOf: r.validFrom })).toBeNull()
  })
})
