import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineModel,
  field,
  NotFoundError,
  TemporalStrategyError,
  TenantIsolationError,
  TenantNotConfiguredError,
  UniqueViolationError,
  ValidationError,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import {
  ALL_STRATEGIES,
  Audited,
  Global,
  HardAudited,
  MISSING,
  Plain,
  pause,
  sample,
  T1,
  T2,
  T3,
  U1,
  U2,
  Versioned,
} from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

describeEngines('repository', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Plain, Audited, Versioned, HardAudited, Global]))

  for (const Model of ALL_STRATEGIES) {
    describe(Model.def.temporal, () => {
      const repo = (tenantId = T1) => ctx.db.repository(Model, { tenantId, userId: U1 })
      let n = 0
      const next = () => ++n + Model.def.temporal.length * 1000

      it('creates a record with system fields, defaults and exact values', async () => {
        const before = Date.now()
        const r = await repo().create(
          sample(next(), { meta: { theme: 'dark' }, birthday: new Date('1990-05-01T00:00:00.000Z') }),
        )
        expect(r.id).toMatch(/^[0-9a-f-]{36}$/)
        expect(r.tenantId).toBe(T1)
        expect(r.role).toBe('user')
        expect(r.price).toMatch(/^\d+\.50$/)
        expect(r.meta).toEqual({ theme: 'dark' })
        expect(r.birthday).toEqual(new Date('1990-05-01T00:00:00.000Z'))
        expect(r.score).toBeUndefined()
        expect(r.createdBy).toBe(U1)
        expect(r.updatedBy).toBe(U1)
        expect(r.createdAt.getTime()).toBe(r.updatedAt.getTime())
        expect(Math.abs(r.createdAt.getTime() - before)).toBeLessThan(60_000)
        expect(r.deletedAt).toBeNull()
        if (Model === Versioned) {
          const v = r as unknown as { version: number; validFrom: Date; validTo: Date | null }
          expect(v.version).toBe(1)
          expect(v.validFrom.getTime()).toBe(r.createdAt.getTime())
          expect(v.validTo).toBeNull()
        }
        expect(await repo().get(r.id)).toEqual(r)
      })

      it('updates with one timestamp and writes nothing when nothing changes', async () => {
        const r = await repo().create(sample(next(), { meta: { theme: 'dark', flags: ['a'] } }))
        await pause()
        const u = await repo().update(r.id, { age: 99, price: '7' }, { userId: U2 })
        expect(u.age).toBe(99)
        expect(u.price).toBe('7.00')
        expect(u.updatedBy).toBe(U2)
        expect(u.createdBy).toBe(U1)
        expect(u.updatedAt.getTime()).toBeGreaterThan(r.updatedAt.getTime())
        // same values, JSON in another key order, decimals in another notation: no change
        const same = await repo().update(u.id, { age: 99, price: '7.0', meta: { flags: ['a'], theme: 'dark' } })
        expect(same.updatedAt).toEqual(u.updatedAt)
        if (Model === Versioned) expect((same as unknown as { version: number }).version).toBe(2)
        expect(await repo().update(u.id, {})).toEqual(same)
      })

      it('throws NotFoundError for absent, deleted and other-tenant records', async () => {
        await expect(repo().update(MISSING, { age: 1 })).rejects.toBeInstanceOf(NotFoundError)
        const r = await repo().create(sample(next()))
        await expect(repo(T2).update(r.id, { age: 1 })).rejects.toBeInstanceOf(NotFoundError)
        expect(await repo().delete(r.id)).toBe(true)
        await expect(repo().update(r.id, { age: 1 })).rejects.toBeInstanceOf(NotFoundError)
      })

      it('soft-deletes, hides deleted records, and restores them', async () => {
        const r = await repo().create(sample(next()))
        expect(await repo(T2).delete(r.id)).toBe(false)
        expect(await repo().delete(r.id, { userId: U2 })).toBe(true)
        expect(await repo().delete(r.id)).toBe(false)
        expect(await repo().get(r.id)).toBeNull()
        const deleted = await repo().get(r.id, { includeDeleted: true })
        expect(deleted?.deletedAt).toBeInstanceOf(Date)
        expect(deleted?.deletedBy).toBe(U2)
        expect(deleted?.updatedAt).toEqual(deleted?.deletedAt)
        expect((await repo().list({ where: { id: r.id } })).length).toBe(0)
        expect(await repo().count({ where: { id: r.id } })).toBe(0)
        expect(await repo().count({ where: { id: r.id }, includeDeleted: true })).toBe(1)
        expect(await repo(T2).restore(r.id)).toBeNull()
        const restored = await repo().restore(r.id)
        expect(restored?.deletedAt).toBeNull()
        expect(restored?.deletedBy).toBeNull()
        expect(await repo().restore(r.id)).toEqual(restored)
        expect(await repo().restore(MISSING)).toBeNull()
      })

      it('lets a deleted record’s unique value be reused', async () => {
        const a = await repo().create(sample(next(), { email: `reuse-${Model.def.table}@x.io` }))
        await expect(repo().create(sample(next(), { email: `reuse-${Model.def.table}@x.io` }))).rejects.toBeInstanceOf(
          UniqueViolationError,
        )
        await repo().delete(a.id)
        const b = await repo().create(sample(next(), { email: `reuse-${Model.def.table}@x.io` }))
        expect(b.id).not.toBe(a.id)
        // unique per tenant: another tenant may use the same value
        await repo(T2).create(sample(next(), { email: `reuse-${Model.def.table}@x.io` }))
      })

      it('gets many in the order asked, null for missing or out-of-scope ids', async () => {
        const a = await repo().create(sample(next()))
        const b = await repo().create(sample(next()))
        const other = await repo(T2).create(sample(next()))
        const got = await repo().getMany([b.id, MISSING, a.id, other.id])
        expect([...got.keys()]).toEqual([b.id, MISSING, a.id, other.id])
        expect(got.get(a.id)?.id).toBe(a.id)
        expect(got.get(b.id)?.id).toBe(b.id)
        expect(got.get(MISSING)).toBeNull()
        expect(got.get(other.id)).toBeNull()
        expect((await repo().getMany([])).size).toBe(0)
      })

      it('filters with every operator, orders and pages', async () => {
        const tag = `list-${Model.def.temporal}`
        const made = []
        for (let i = 0; i < 6; i++) {
          made.push(
            await repo(T3).create({
              ...sample(next()),
              name: `${tag} ${i}`,
              age: 10 + i,
              role: i % 2 ? 'admin' : 'user',
              score: i === 5 ? undefined : i / 2,
            }),
          )
        }
        const r = repo(T3)
        const names = async (o: Parameters<typeof r.list>[0]) => (await r.list(o)).map((x) => x.name)
        expect(await names({ where: { age: 12 } })).toEqual([`${tag} 2`])
        expect(await names({ where: { age: [11, 13] }, orderBy: { age: 'asc' } })).toEqual([`${tag} 1`, `${tag} 3`])
        expect(await names({ where: { age: { gte: 13, lt: 15 } }, orderBy: { age: 'asc' } })).toEqual([
          `${tag} 3`,
          `${tag} 4`,
        ])
        expect(await names({ where: { age: { gt: 14 } } })).toEqual([`${tag} 5`])
        expect(await names({ where: { age: { lte: 10 } } })).toEqual([`${tag} 0`])
        expect((await names({ where: { age: { ne: 10 } } })).length).toBe(5)
        expect((await names({ where: { role: { notIn: ['admin'] } } })).length).toBe(3)
        expect((await names({ where: { role: { in: [] } } })).length).toBe(0)
        expect(await names({ where: { score: null } })).toEqual([`${tag} 5`])
        expect((await names({ where: { score: { isNull: false } } })).length).toBe(5)
        expect((await names({ where: { name: { like: `${tag} %` } } })).length).toBe(6)
        expect((await names({ where: { name: { like: `LIST-%` } } })).length).toBe(0)
        expect((await names({ where: { name: { ilike: `LIST-${Model.def.temporal.toUpperCase()} %` } } })).length).toBe(
          6,
        )
        expect(await names({ orderBy: [{ role: 'desc' }, { age: 'asc' }], limit: 2, offset: 1 })).toEqual([
          `${tag} 2`,
          `${tag} 4`,
        ])
        // default order: newest first
        expect((await r.list({ limit: 2 })).map((x) => x.id)).toEqual([made[5]!.id, made[4]!.id])
        expect(await r.count({ where: { role: 'admin' } })).toBe(3)
        expect(await r.count()).toBe(6)
        expect((await r.list({ where: { createdAt: { gte: made[3]!.createdAt } } })).length).toBeGreaterThanOrEqual(3)
      })

      it('moves a record to another tenant with transferOwnership', async () => {
        const r = await repo().create(sample(next()))
        const moved = await repo().transferOwnership(r.id, T2, { userId: U2 })
        expect(moved.tenantId).toBe(T2)
        expect(await repo().get(r.id)).toBeNull()
        expect((await repo(T2).get(r.id))?.name).toBe(r.name)
        await expect(repo().transferOwnership(r.id, T3)).rejects.toBeInstanceOf(NotFoundError)
      })

      it('purges a record and everything recorded about it', async () => {
        const r = await repo().create(sample(next()))
        await repo().update(r.id, { age: 5 })
        await repo().delete(r.id)
        expect(await repo(T2).purge(r.id)).toBe(false)
        expect(await repo().purge(r.id)).toBe(true)
        expect(await repo().get(r.id, { includeDeleted: true })).toBeNull()
        expect(await repo().purge(r.id)).toBe(false)
        if (Model === Audited)
          expect(await ctx.db.repository(Audited, { tenantId: T1 }).getAuditHistory(r.id)).toEqual([])
        if (Model === Versioned)
          expect(await ctx.db.repository(Versioned, { tenantId: T1 }).getVersionHistory(r.id)).toEqual([])
      })

      it('creates many in batches, all or nothing per invalid input', async () => {
        const inputs = Array.from({ length: 25 }, () => sample(next()))
        const made = await repo(T3).createMany(inputs, { batchSize: 10 })
        expect(made.map((m) => m.email)).toEqual(inputs.map((i) => i.email))
        expect(new Set(made.map((m) => m.id)).size).toBe(25)
        const bad = [sample(next()), { ...sample(next()), age: -1 }, { ...sample(next()), email: 'nope' }]
        const error = await repo(T3)
          .createMany(bad)
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).issues.map((i) => i.path.join('.'))).toEqual(['1.age', '2.email'])
        expect(await repo(T3).count({ where: { email: bad[0]!.email } })).toBe(0)
      })

      it('creates many without sending the records back when returning is false', async () => {
        const inputs = Array.from({ length: 12 }, () => sample(next(), { role: `bulk-${Model.def.temporal}` }))
        const count = await repo(T3).createMany(inputs, { batchSize: 5, returning: false })
        expect(count).toBe(12)
        const stored = await repo(T3).list({ where: { role: `bulk-${Model.def.temporal}` }, orderBy: { email: 'asc' } })
        expect(stored.map((r) => r.email)).toEqual(inputs.map((i) => i.email).sort())
        expect(stored.every((r) => r.createdBy === U1 && r.tenantId === T3)).toBe(true)
        if (Model === Audited) {
          const trail = await ctx.db.repository(Audited, { tenantId: T3 }).getAuditHistory(stored[0]!.id)
          expect(trail.map((e) => e.fieldName)).toContain('email')
        }
        expect(await repo(T3).createMany([], { returning: false })).toBe(0)
      })

      it('runs inside db.transaction and rolls back with it', async () => {
        const email = `tx-${Model.def.table}@x.io`
        await expect(
          ctx.db.transaction(async (tx) => {
            const r = tx.repository(Model, { tenantId: T1, userId: U1 })
            const made = await r.create(sample(next(), { email }))
            await r.update(made.id, { age: 1 })
            throw new Error('abort')
          }),
        ).rejects.toThrow('abort')
        expect(await repo().count({ where: { email }, includeDeleted: true })).toBe(0)
        const kept = await ctx.db.transaction(async (tx) =>
          tx.repository(Model, { tenantId: T1 }).create(sample(next(), { email })),
        )
        expect((await repo().get(kept.id))?.email).toBe(email)
      })

      it('rejects strategy-specific methods of other strategies', async () => {
        const r = repo()
        const made = await r.create(sample(next()))
        if (Model !== Audited) {
          await expect(r.getAuditHistory(made.id)).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.getStateAt(made.id, new Date())).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.getChangesByUser(U1)).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.getFieldHistory(made.id, 'age')).rejects.toBeInstanceOf(TemporalStrategyError)
        }
        if (Model !== Versioned) {
          await expect(r.getVersionHistory(made.id)).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.compareVersions(made.id, 1, 2)).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.revertTo(made.id, 1)).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.get(made.id, { asOf: new Date() })).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.list({ asOf: new Date() })).rejects.toBeInstanceOf(TemporalStrategyError)
          await expect(r.update(made.id, { age: 1 }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
            TemporalStrategyError,
          )
        }
      })
    })
  }

  describe('bulk inserts store exactly what single inserts store', () => {
    const Texts = defineModel({
      table: 'bulk_texts',
      temporal: 'none',
      fields: {
        text: z.string().max(200),
        code: field(z.string(), { type: 'varchar(5)' }),
        fixed: field(z.string(), { type: 'char(3)' }),
        amount: field(z.string(), { precision: 6, scale: 2 }),
        flag: z.boolean(),
        n: z.int().nullable(),
      },
    })
    beforeAll(() => createTables(ctx.db, [Texts]))
    const texts = () => ctx.db.repository(Texts, { tenantId: T1, userId: U1 })
    const tricky = [
      'plain',
      'a "quoted" word',
      'back\\slash \\"',
      '{braces}',
      'comma, here',
      'NULL',
      '',
      ' spaced ',
      'ünï €',
    ]

    it('keeps quotes, backslashes, braces, commas, NULL-looking and empty text', async () => {
      const inputs = tricky.map((text, i) => ({
        text,
        code: `c${i}`,
        fixed: 'ab',
        amount: `${i}.5`,
        flag: i % 2 === 0,
        n: i % 3 === 0 ? null : i,
      }))
      const bulk = await texts().createMany(inputs)
      const single = await Promise.all(inputs.slice(0, 2).map((input) => texts().create(input)))
      const strip = ({ text, code, fixed, amount, flag, n }: (typeof bulk)[number]) => ({
        text,
        code,
        fixed,
        amount,
        flag,
        n,
      })
      expect(bulk.map((r) => r.text)).toEqual(tricky)
      expect(bulk.map((r) => r.amount)).toEqual(tricky.map((_, i) => `${i}.50`))
      expect(strip(bulk[0]!)).toEqual(strip(single[0]!))
      expect(strip(bulk[1]!)).toEqual(strip(single[1]!))
      const stored = await texts().getMany(bulk.map((r) => r.id))
      expect(bulk.map((r) => strip(stored.get(r.id)!))).toEqual(bulk.map(strip))
      // the same value in every row (bound once) and text that looks like an array literal
      const same = await texts().createMany([
        { text: '{"a","b"}', code: 'same', fixed: 'xyz', amount: '1', flag: true, n: 1 },
        { text: '{"a","b"}', code: 'same', fixed: 'xyz', amount: '1', flag: true, n: 1 },
      ])
      expect(same.map((r) => [r.text, r.code, r.fixed])).toEqual([
        ['{"a","b"}', 'same', 'xyz'],
        ['{"a","b"}', 'same', 'xyz'],
      ])
    })

    it('fails on a value too long for its column instead of cutting it, as a single insert does', async () => {
      const row = (code: string) => ({ text: `too-long ${code}`, code, fixed: 'ab', amount: '1', flag: true, n: 1 })
      await expect(texts().create(row('sixsix'))).rejects.toThrow()
      await expect(texts().createMany([row('sixsix'), row('ok')])).rejects.toThrow()
      await expect(texts().createMany([row('sixsix'), row('sixsix')])).rejects.toThrow()
      await expect(texts().createMany([row('ok'), { ...row('ok2'), fixed: 'abcd' }])).rejects.toThrow()
      expect(await texts().count({ where: { text: { like: 'too-long %' } } })).toBe(0)
    })
  })

  describe('models without tenant or soft delete', () => {
    it('works without a scope and hard-deletes', async () => {
      const countries = ctx.db.repository(Global)
      const de = await countries.create({ code: 'DE', name: 'Germany' })
      expect(de).not.toHaveProperty('tenantId')
      expect(de).not.toHaveProperty('deletedAt')
      expect(await countries.delete(de.id)).toBe(true)
      expect(await countries.get(de.id, { includeDeleted: true })).toBeNull()
      await expect(countries.restore(de.id)).rejects.toBeInstanceOf(TemporalStrategyError)
      expect(() => ctx.db.repository(Global, { tenantId: T1 })).toThrow(TenantNotConfiguredError)
    })

    it('records removed values when a copy_on_change model hard-deletes', async () => {
      const repo = ctx.db.repository(HardAudited, { tenantId: T1, userId: U1 })
      const r = await repo.create({ name: 'gone', amount: '1.5' })
      expect(r.amount).toBe('1.5000')
      expect(await repo.delete(r.id, { userId: U2 })).toBe(true)
      const trail = await repo.getAuditHistory(r.id)
      expect(trail.map((e) => [e.operation, e.fieldName, e.oldValue, e.newValue])).toEqual([
        ['INSERT', 'name', null, 'gone'],
        ['INSERT', 'amount', null, '1.5000'],
        ['DELETE', 'name', 'gone', null],
        ['DELETE', 'amount', '1.5000', null],
      ])
      expect(trail[2]!.changedBy).toBe(U2)
      expect(await repo.getStateAt(r.id, trail[0]!.changedAt)).toMatchObject({ name: 'gone', amount: '1.5000' })
      expect(await repo.getStateAt(r.id, trail[2]!.changedAt)).toBeNull()
    })
  })

  describe('tenant scopes', () => {
    it('requires a scope for multi-tenant models', () => {
      expect(() => ctx.db.repository(Audited)).toThrow(TenantNotConfiguredError)
      expect(() => ctx.db.repository(Audited, { tenantIds: [] })).toThrow(TenantNotConfiguredError)
      expect(() => ctx.db.repository(Audited, { tenantId: T1, tenantIds: [T1] })).toThrow(TenantNotConfiguredError)
      expect(() => ctx.db.repository(Audited, { tenantId: 'not-a-uuid' })).toThrow(ValidationError)
    })

    it('checks the tenant of create input against the scope', async () => {
      const strict = ctx.db.repository(Plain, { tenantId: T1 })
      await expect(strict.create({ ...sample(9001), tenantId: T2 })).rejects.toBeInstanceOf(TenantIsolationError)
      expect((await strict.create({ ...sample(9002), tenantId: T1 })).tenantId).toBe(T1)
      const admin = ctx.db.repository(Plain, { tenantIds: [T1, T2] })
      await expect(admin.create(sample(9003))).rejects.toBeInstanceOf(TenantIsolationError)
      await expect(admin.create({ ...sample(9004), tenantId: T3 })).rejects.toBeInstanceOf(TenantIsolationError)
      expect((await admin.create({ ...sample(9005), tenantId: T2 })).tenantId).toBe(T2)
    })

    it('lets a permissive scope read and change every record in its list, and nothing else', async () => {
      for (const Model of ALL_STRATEGIES) {
        const a = await ctx.db.repository(Model, { tenantId: T1 }).create(sample(9100 + Model.def.table.length))
        const c = await ctx.db.repository(Model, { tenantId: T3 }).create(sample(9200 + Model.def.table.length))
        const admin = ctx.db.repository(Model, { tenantIds: [T1, T2], userId: U2 })
        expect((await admin.get(a.id))?.id).toBe(a.id)
        expect(await admin.get(c.id)).toBeNull()
        expect((await admin.update(a.id, { age: 77 })).age).toBe(77)
        await expect(admin.update(c.id, { age: 77 })).rejects.toBeInstanceOf(NotFoundError)
        expect(await admin.delete(a.id)).toBe(true)
        expect(await admin.delete(c.id)).toBe(false)
        expect((await admin.restore(a.id))?.id).toBe(a.id)
        const ids = (await admin.list({ limit: 1000 })).map((r) => r.tenantId)
        expect(new Set(ids)).toEqual(new Set([T1, T2].filter((t) => ids.includes(t))))
        expect(ids).not.toContain(T3)
        if (Model === Audited) expect((await admin.getAuditHistory(a.id)).length).toBeGreaterThan(0)
        if (Model === Audited) expect(await admin.getAuditHistory(c.id)).toEqual([])
        if (Model === Versioned) expect((await admin.getVersionHistory(a.id)).length).toBe(4)
        if (Model === Versioned) expect(await admin.getVersionHistory(c.id)).toEqual([])
      }
    })

    it('treats a where on the tenant field as a narrowing, never a widening', async () => {
      const mine = ctx.db.repository(Plain, { tenantId: T1 })
      const theirs = await ctx.db.repository(Plain, { tenantId: T2 }).create(sample(9301))
      expect(await mine.list({ where: { tenantId: T2 } })).toEqual([])
      expect(await mine.count({ where: { tenantId: { in: [T1, T2] }, id: theirs.id } })).toBe(0)
      expect(await mine.list({ where: { id: theirs.id, tenantId: { ne: T1 } } })).toEqual([])
      const admin = ctx.db.repository(Plain, { tenantIds: [T1] })
      expect(await admin.count({ where: { tenantId: T2 } })).toBe(0)
    })
  })
})
