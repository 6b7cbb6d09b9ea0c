import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Database,
  defineModel,
  field,
  type Repository,
  sql,
  TemporalStrategyError,
  ValidationError,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, HardAudited, Plain, pause, sample, T1, T2, U1, U2, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

type AnyModel = typeof Audited

describeEngines('set operations (updateMany, deleteMany, restoreMany, upsert)', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Plain, Audited, Versioned, HardAudited]))
  let n = 0
  // the loops run one body over models of every strategy: the untyped-strategy repository type
  const repo = (m: AnyModel, tenantId = T1, userId = U1, db: Database = ctx.db) =>
    db.repository(m, { tenantId, userId }) as Repository<AnyModel>
  /** A fresh batch of records, tagged by a role no other test uses. */
  const seed = async (m: AnyModel, count: number, role: string, tenantId = T1) =>
    repo(m, tenantId).createMany(Array.from({ length: count }, () => sample(++n, { role })))

  for (const Model of [Plain, Audited, Versioned] as AnyModel[]) {
    const strategy = Model.def.temporal
    it(`updateMany changes the matched records of the scope only, audited like update [${strategy}]`, async () => {
      const mine = await seed(Model, 4, `um-${strategy}`)
      const theirs = await seed(Model, 2, `um-${strategy}`, T2)
      // one record already has the patched value: it is not written
      await repo(Model).update(mine[0]!.id, { name: 'Same' })
      const before = await repo(Model).get(mine[0]!.id)
      await pause(5)
      const changed = await repo(Model, T1, U2).updateMany({ role: `um-${strategy}` }, { name: 'Same', age: 99 })
      expect(changed).toBe(4)
      const again = await repo(Model, T1, U2).updateMany({ role: `um-${strategy}` }, { name: 'Same', age: 99 })
      expect(again).toBe(0)
      const after = await repo(Model).list({ where: { role: `um-${strategy}` } })
      expect(after).toHaveLength(4)
      for (const r of after) {
        expect(r).toMatchObject({ name: 'Same', age: 99, updatedBy: U2 })
        expect(r.updatedAt.getTime()).toBeGreaterThan(before!.updatedAt.getTime())
      }
      // one timestamp for the operation
      expect(new Set(after.map((r) => r.updatedAt.getTime())).size).toBe(1)
      for (const t of theirs) {
        const r = await repo(Model, T2).get(t.id)
        expect(r).toMatchObject({ name: t.name, age: t.age, updatedBy: U1 })
      }
      if (strategy === 'copy_on_change') {
        const trail = await repo(Model).getAuditHistory(mine[0]!.id)
        const updates = trail.filter((e) => e.operation === 'UPDATE')
        // the earlier single update (name) and this one (age only: name was already equal)
        expect(updates.map((e) => [e.fieldName, e.oldValue, e.newValue])).toEqual([
          ['name', mine[0]!.name, 'Same'],
          ['age', mine[0]!.age, 99],
        ])
        const other = await repo(Model).getAuditHistory(mine[1]!.id)
        const last = other.filter((e) => e.operation === 'UPDATE')
        expect(last.map((e) => e.fieldName).sort()).toEqual(['age', 'name'])
        expect(new Set(last.map((e) => e.transactionId)).size).toBe(1)
        expect(last.every((e) => e.changedBy === U2)).toBe(true)
        expect(last[0]!.changedAt.getTime()).toBe(after[0]!.updatedAt.getTime())
      }
      if (strategy === 'scd2') {
        const versions = await repo(Model).getVersionHistory(mine[1]!.id)
        expect(versions.map((v) => (v as unknown as { version: number }).version)).toEqual([1, 2])
        const first = versions[0] as unknown as { validTo: Date }
        const second = versions[1] as unknown as { validFrom: Date; validTo: Date | null }
        expect(first.validTo.getTime()).toBe(second.validFrom.getTime())
        expect(second.validTo).toBeNull()
        expect(await repo(Model).getVersionCount(mine[0]!.id)).toBe(3)
      }
    })

    it(`deleteMany and restoreMany are soft and audited [${strategy}]`, async () => {
      const mine = await seed(Model, 3, `dm-${strategy}`)
      await seed(Model, 1, `dm-${strategy}`, T2)
      expect(await repo(Model).deleteMany({ role: `dm-${strategy}`, age: { gte: 0 } })).toBe(3)
      expect(await repo(Model).deleteMany({ role: `dm-${strategy}` })).toBe(0)
      expect(await repo(Model).count({ where: { role: `dm-${strategy}` } })).toBe(0)
      expect(await repo(Model, T2).count({ where: { role: `dm-${strategy}` } })).toBe(1)
      const deleted = await repo(Model).get(mine[0]!.id, { includeDeleted: true })
      expect(deleted?.deletedBy).toBe(U1)
      expect(await repo(Model, T1, U2).restoreMany({ deletedBy: U1, role: `dm-${strategy}` })).toBe(3)
      expect(await repo(Model).restoreMany({ role: `dm-${strategy}` })).toBe(0)
      const restored = await repo(Model).get(mine[0]!.id)
      expect(restored).toMatchObject({ deletedAt: null, deletedBy: null, updatedBy: U2 })
      if (strategy === 'copy_on_change') {
        const ops = (await repo(Model).getAuditHistory(mine[0]!.id)).map((e) => e.operation)
        expect(ops.filter((o) => o !== 'INSERT')).toEqual(['DELETE', 'RESTORE'])
      }
      if (strategy === 'scd2') expect(await repo(Model).getVersionCount(mine[0]!.id)).toBe(3)
    })
  }

  it('deleteMany hard-deletes models without soft delete, auditing the removed values', async () => {
    const hard = (tenantId = T1) => ctx.db.repository(HardAudited, { tenantId, userId: U1 })
    const rows = await hard().createMany([
      { name: 'hd-1', amount: '1.5' },
      { name: 'hd-2', amount: '2' },
      { name: 'keep', amount: '3' },
    ])
    await hard(T2).create({ name: 'hd-1', amount: '9' })
    expect(await hard().deleteMany({ name: { like: 'hd-%' } })).toBe(2)
    expect((await hard().list()).map((r) => r.name)).toContain('keep')
    expect(await hard(T2).count({ where: { name: 'hd-1' } })).toBe(1)
    const trail = await hard().getAuditHistory(rows[0]!.id)
    expect(trail.filter((e) => e.operation === 'DELETE').map((e) => [e.fieldName, e.oldValue])).toEqual([
      ['name', 'hd-1'],
      ['amount', '1.5000'],
    ])
    await expect(hard().restoreMany({ name: 'x' })).rejects.toThrow(TemporalStrategyError)
  })

  it('a hard deleteMany of several batches (MariaDB: 500 rows each) has one timestamp and one transaction', async () => {
    const hard = ctx.db.repository(HardAudited, { tenantId: T1, userId: U1 })
    await hard.createMany(
      Array.from({ length: 1_200 }, (_, i) => ({ name: `batch-${i}`, amount: '1' })),
      {
        returning: false,
      },
    )
    const [mark] = await ctx.db.query<{ m: unknown }>(sql`SELECT max(audit_id) AS m FROM hard_audited_audit`)
    expect(await hard.deleteMany({ name: { like: 'batch-%' } })).toBe(1_200)
    const [row] = await ctx.db.query<{ ts: unknown; tx: unknown; n: unknown }>(
      sql`SELECT count(DISTINCT changed_at) AS ts, count(DISTINCT transaction_id) AS tx, count(*) AS n
            FROM hard_audited_audit WHERE operation = 'DELETE' AND field_name = 'name' AND audit_id > ${mark?.m ?? 0}`,
    )
    expect([Number(row!.ts), Number(row!.tx), Number(row!.n)]).toEqual([1, 1, 1_200])
  })

  it('refuses an empty where without { all: true }, and bad input, before SQL', async () => {
    const mine = await seed(Audited, 2, 'all-test', T2)
    const r = repo(Audited, T2)
    await expect(r.updateMany({}, { age: 1 })).rejects.toThrow(ValidationError)
    await expect(r.updateMany({ role: undefined }, { age: 1 })).rejects.toThrow(/all: true/)
    await expect(r.deleteMany({})).rejects.toThrow(ValidationError)
    await expect(r.restoreMany({})).rejects.toThrow(ValidationError)
    await expect(r.updateMany({ nope: 1 } as never, { age: 1 })).rejects.toThrow(ValidationError)
    await expect(r.updateMany({ role: 'all-test' }, { age: -5 })).rejects.toThrow(ValidationError)
    await expect(r.updateMany({ role: 'all-test' }, { tenantId: T1 } as never)).rejects.toThrow(ValidationError)
    await expect(r.updateMany({ role: 'all-test' }, { age: 1 }, { all: 'yes' as never })).rejects.toThrow(
      ValidationError,
    )
    expect((await r.get(mine[0]!.id))?.age).toBe(mine[0]!.age)
    // a where on the tenant narrows, never widens
    expect(await r.updateMany({ tenantId: T1 }, { age: 1 })).toBe(0)
    const total = await r.count()
    expect(await r.updateMany({}, { score: 0.5 }, { all: true })).toBe(total)
    expect(await repo(Audited, T1).count({ where: { score: 0.5 } })).toBe(0)
  })

  it('changes more records than one batch, atomically', async () => {
    const role = 'bulk'
    await repo(Audited).createMany(
      Array.from({ length: 1_100 }, () => sample(++n, { role })),
      { returning: false },
    )
    expect(await repo(Audited).updateMany({ role }, { age: 7 })).toBe(1_100)
    expect(await repo(Audited).count({ where: { role, age: 7 } })).toBe(1_100)
    // atomic: a failure inside the transaction leaves nothing behind
    await expect(
      ctx.db.transaction(async (tx) => {
        await repo(Audited, T1, U1, tx).updateMany({ role }, { age: 8 })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await repo(Audited).count({ where: { role, age: 7 } })).toBe(1_100)
  })

  for (const Model of [Audited, Versioned] as AnyModel[]) {
    it(`upsert inserts, then updates the tenant's record with the same unique key [${Model.def.temporal}]`, async () => {
      const email = `upsert-${Model.def.temporal}@example.com`
      const a = await repo(Model).upsert({ email, name: 'First', age: 30, price: '1' }, { on: ['email'] })
      const b = await repo(Model, T1, U2).upsert({ email, name: 'Second', age: 30, price: '1' }, { on: ['email'] })
      expect(b.id).toBe(a.id)
      expect(b).toMatchObject({ name: 'Second', updatedBy: U2 })
      // another tenant's record with the same email is its own
      const c = await repo(Model, T2).upsert({ email, name: 'Other', age: 1, price: '1' }, { on: ['email'] })
      expect(c.id).not.toBe(a.id)
      expect((await repo(Model).get(a.id))?.name).toBe('Second')
      // unchanged input writes nothing
      const d = await repo(Model).upsert({ email, name: 'Second', age: 30, price: '1' }, { on: ['email'] })
      expect(d.updatedAt).toEqual(b.updatedAt)
      if (Model.def.temporal === 'copy_on_change') {
        const trail = await repo(Model).getAuditHistory(a.id)
        expect(trail.filter((e) => e.operation === 'UPDATE').map((e) => [e.fieldName, e.newValue])).toEqual([
          ['name', 'Second'],
        ])
        expect(trail[0]!.operation).toBe('INSERT')
      } else {
        expect(await repo(Model).getVersionCount(a.id)).toBe(2)
      }
      await expect(repo(Model).upsert({ email, name: 'x', age: 1, price: '1' }, { on: ['name'] })).rejects.toThrow(
        ValidationError,
      )
      await expect(repo(Model).upsert({ email, name: 'x', age: 1, price: '1' }, { on: [] as never })).rejects.toThrow(
        ValidationError,
      )
    })
  }

  it('upsert refuses a key whose unique index has a where (unique only among the rows it covers)', async () => {
    const Partial = defineModel({
      table: 'so_partial_keys',
      fields: {
        email: z.string().max(40),
        plan: z.string().max(10),
        code: field(z.string().max(10), { unique: true, indexWhere: "plan = 'pro'" }),
        a: z.string().max(5),
        b: z.string().max(5),
      },
      indexes: [{ columns: ['a', 'b'], unique: true, where: "plan <> 'x'" }],
    })
    const partial = ctx.db.repository(Partial, { tenantId: T1, userId: U1 })
    const input = { email: 'new', plan: 'pro', code: 'P', a: 'a', b: 'b' }
    // MariaDB has no partial indexes (the model cannot be synced there): the refusal comes first anyway
    if (ctx.family === 'postgres') {
      await createTables(ctx.db, [Partial])
      // two records outside both predicates hold the same key values
      await partial.create({ email: 'p1', plan: 'x', code: 'P', a: 'a', b: 'b' })
      await partial.create({ email: 'p2', plan: 'x', code: 'P', a: 'a', b: 'b' })
    }
    for (const on of [['code'], ['a', 'b']] as const) {
      await expect(partial.upsert(input, { on: [...on] })).rejects.toThrow(/its unique index has a where/)
    }
    if (ctx.family === 'postgres') {
      expect((await partial.list({ orderBy: { email: 'asc' } })).map((r) => [r.email, r.plan])).toEqual([
        ['p1', 'x'],
        ['p2', 'x'],
      ])
    }
  })

  // row locks between connections: the servers only (PGlite has one connection)
  if (ctx.id !== 'pglite')
    it('concurrent updateMany and single updates: no lost update, audit chain continuous', async () => {
      const other = await ctx.open()
      const role = 'concurrent'
      const rows = await seed(Audited, 20, role)
      const single = async (db: Database, round: number) => {
        for (const r of rows)
          await repo(Audited, T1, U2, db).update(r.id, { name: `single ${round} ${r.id.slice(-4)}` })
      }
      const many = async (db: Database) => {
        for (let age = 100; age < 106; age++) await repo(Audited, T1, U1, db).updateMany({ role }, { age })
      }
      await Promise.all([many(ctx.db), single(other, 1), many(other), single(ctx.db, 2)])
      for (const r of rows) {
        const current = await repo(Audited).get(r.id)
        expect(current?.age).toBe(105)
        const trail = await repo(Audited).getAuditHistory(r.id)
        for (const field of ['age', 'name']) {
          const entries = trail.filter((e) => e.fieldName === field)
          for (let i = 1; i < entries.length; i++) expect(entries[i]!.oldValue).toEqual(entries[i - 1]!.newValue)
          expect(entries.at(-1)!.newValue).toEqual((current as unknown as Record<string, unknown>)[field])
        }
      }
    })
})
