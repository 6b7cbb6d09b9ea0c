import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { connect, type Database, defineModel, FFStorageError, field, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, T2, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** Every field type a filter or a value check knows about. */
const Typed = defineModel({
  table: 'typed_values',
  fields: {
    name: z.string().max(100),
    day: z.iso.date().optional(),
    n: z.int().optional(),
    small: field(z.int().min(0).max(1000).optional()),
    big: z.bigint().optional(),
    ratio: z.number().optional(),
    at: z.date().optional(),
    ref: z.uuid().optional(),
    doc: z.json().optional(),
    tags: z.array(z.string()).optional(),
  },
})

// biome-ignore lint/suspicious/noExplicitAny: hostile input on purpose
type AnyRepo = any

/**
 * Regressions of issue 12 (input validation), one block per class of bad input. Refusals must be
 * ValidationErrors before any SQL: each is also tried on a closed database, where any statement would
 * fail with a connection error instead.
 */
describeEngines('input hardening', (ctx) => {
  let closed: Database
  beforeAll(async () => {
    await createTables(ctx.db, [Audited, Versioned, Typed])
    closed = ctx.id === 'pglite' ? await connect() : await ctx.open()
    await closed.close()
  })

  /** A ValidationError, on the live database and (so: before any SQL) on a closed one. */
  async function refused(run: (db: Database) => Promise<unknown>, message?: RegExp): Promise<void> {
    for (const db of [ctx.db, closed]) {
      const error = await run(db).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, `on the ${db === closed ? 'closed' : 'live'} database`).toBeInstanceOf(ValidationError)
      if (message) expect((error as Error).message).toMatch(message)
    }
  }
  const typed = (db: Database): AnyRepo => db.repository(Typed, { tenantId: T1, userId: U1 })
  const audited = (db: Database): AnyRepo => db.repository(Audited, { tenantId: T1, userId: U1 })
  const versioned = (db: Database): AnyRepo => db.repository(Versioned, { tenantId: T1, userId: U1 })

  describe('own data properties only', () => {
    it('a patch parsed from JSON with a __proto__ key sets nothing', async () => {
      const r = await audited(ctx.db).create(sample(1))
      const patch = JSON.parse('{"__proto__": {"age": 99, "name": "Mallory"}}')
      await refused((db) => audited(db).update(r.id, patch), /__proto__/)
      expect(await audited(ctx.db).get(r.id)).toMatchObject({ age: r.age, name: r.name })
    })

    it('fields on an input prototype are not read', async () => {
      const input = Object.assign(Object.create({ score: 5, birthday: new Date(0) }), sample(2))
      const r = await audited(ctx.db).create(input)
      expect(r.score).toBeUndefined()
      expect(r.birthday).toBeUndefined()
      const patch = Object.create({ age: 99 })
      expect((await audited(ctx.db).update(r.id, patch)).age).toBe(r.age)
    })

    it('options on a prototype are not read (includeDeleted stays false)', async () => {
      const r = await audited(ctx.db).create(sample(3))
      await audited(ctx.db).delete(r.id)
      const options = Object.create({ includeDeleted: true })
      expect(await audited(ctx.db).get(r.id, options)).toBeNull()
      const listed = await audited(ctx.db).list(Object.assign(Object.create({ includeDeleted: true }), { limit: 1000 }))
      expect(listed.map((x: { id: string }) => x.id)).not.toContain(r.id)
    })

    it('set operations read own options only: an inherited all: true changes nothing', async () => {
      const r = await audited(ctx.db).create(sample(300))
      await refused((db) => audited(db).updateMany({}, { age: 1 }, Object.create({ all: true })), /empty where/)
      await refused((db) => audited(db).deleteMany({}, Object.create({ all: true })), /empty where/)
      await refused((db) => audited(db).deleteMany({}, { all: 'yes' }), /all must be true or false/)
      await refused((db) => audited(db).updateMany({ id: r.id }, { age: 1 }, { userid: U1 }), /unknown option "userid"/)
      await refused((db) => audited(db).upsert(sample(301), Object.create({ on: ['email'] })), /upsert needs/)
      expect((await audited(ctx.db).get(r.id)).age).toBe(r.age)
    })

    it('getters are refused, never run', async () => {
      let runs = 0
      const input = { ...sample(4) }
      Object.defineProperty(input, 'age', { enumerable: true, get: () => ++runs })
      await refused((db) => audited(db).create(input), /getter/)
      expect(runs).toBe(0)
    })
  })

  describe('options are type-checked', () => {
    it("includeDeleted: 'false' is refused (it used to show deleted rows)", async () => {
      const r = await audited(ctx.db).create(sample(5))
      await audited(ctx.db).delete(r.id)
      await refused((db) => audited(db).get(r.id, { includeDeleted: 'false' }), /includeDeleted must be true or false/)
      await refused((db) => audited(db).list({ includeDeleted: 'false' }), /includeDeleted/)
      await refused((db) => audited(db).count({ includeDeleted: 1 }), /includeDeleted/)
    })

    it('every option of every method, all issues listed at once', async () => {
      const id = (await audited(ctx.db).create(sample(6))).id
      await refused(
        (db) => audited(db).list({ limit: '10', offset: -1, includeDelted: true }),
        /limit[\s\S]*offset[\s\S]*unknown option "includeDelted"/,
      )
      await refused((db) => versioned(db).get(id, { asOf: 'yesterday' }), /asOf must be a Date/)
      await refused((db) => versioned(db).list({ asOf: new Date(Number.NaN) }), /asOf/)
      await refused((db) => versioned(db).update(id, { age: 1 }, { expectedVersion: '2' }), /expectedVersion/)
      await refused((db) => versioned(db).update(id, { age: 1 }, { expectedVersion: 0 }), /expectedVersion/)
      await refused((db) => audited(db).createMany([sample(7)], { batchSize: '10' }), /batchSize/)
      await refused((db) => audited(db).createMany([sample(7)], { returning: 'no' }), /returning/)
      await refused(
        (db) => audited(db).getChangesByUser(U1, { from: 'x', to: 5, limit: -1 }),
        /from[\s\S]*to[\s\S]*limit/,
      )
      await refused((db) => audited(db).getStateAt(id, 'now'), /at must be a Date/)
      await refused((db) => audited(db).getStateAt(id, new Date(), { includeDeleted: 'yes' }), /includeDeleted/)
      await refused((db) => audited(db).getMany(new Set([id])), /array/)
      await refused((db) => audited(db).getMany(id), /array/)
      await refused((db) => audited(db).update(id, { age: 1 }, 'fast'), /options must be an object/)
    })
  })

  describe('filter values per field type', () => {
    it.each([
      ['a date that is no date', { day: 'yesterday' }, /not a date/],
      ['an impossible date', { day: '2024-02-30' }, /not a date/],
      ['a fraction for an integer', { n: 1.5 }, /expected an integer/],
      ['a fraction in an IN list', { small: [1, 2.5] }, /expected an integer/],
      ['Infinity for a number', { ratio: { gt: Number.POSITIVE_INFINITY } }, /finite/],
      ['a bigint past 64 bits', { big: 2n ** 64n }, /64-bit/],
      ['LIKE on a uuid', { id: { like: '0000%' } }, /like applies to text/],
      ['ILIKE on a date', { day: { ilike: '2024%' } }, /ilike applies to text/],
      ['a NUL in a text filter', { name: 'a\u0000b' }, /NUL/],
      ['a lone surrogate in a pattern', { name: { like: '\uD800%' } }, /surrogate/],
      ['a timestamp out of range', { at: { lt: new Date('+010000-01-01T00:00:00Z') } }, /range/],
      ['a string that is no timestamp', { createdAt: { gt: '1' } }, /expected a Date/],
    ])('refuses %s', async (_, where, message) => {
      await refused((db) => typed(db).list({ where }), message)
    })

    it('accepts what the types hold', async () => {
      const r = await typed(ctx.db).create({ name: 'ok', day: '2024-02-29', n: 3, small: 7, big: 5n, ratio: 0.5 })
      const found = await typed(ctx.db).list({
        where: { day: '2024-02-29', n: { gte: 3 }, small: [7, 8], big: 5, ratio: { lt: 1 }, name: { like: 'o%' } },
      })
      expect(found.map((x: { id: string }) => x.id)).toEqual([r.id])
    })
  })

  describe('values the engines cannot store', () => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    it.each([
      ['a NUL in text', { name: 'a\u0000b' }, /NUL/],
      ['a lone surrogate in text', { name: 'x\uDC00' }, /surrogate/],
      ['a NUL in a JSON string', { doc: { k: 'a\u0000' } }, /NUL/],
      ['a NUL in a JSON key', { doc: { 'a\u0000': 1 } }, /key that contains a NUL/],
      ['a lone surrogate in JSON', { doc: ['\uD83D'] }, /surrogate/],
      ['a timestamp after 9999', { at: new Date('+010000-01-01T00:00:00Z') }, /range/],
      ['a timestamp before 1000', { at: new Date('0999-12-31T23:59:59Z') }, /range/],
      ['a date before 1000', { day: '0001-01-01' }, /range/],
      ['a bigint past 64 bits', { big: 2n ** 63n }, /64-bit/],
      ['a NUL in an array element', { tags: ['ok', '\u0000'] }, /NUL/],
    ])('refuses %s', async (_, values, message) => {
      await refused((db) => typed(db).create({ name: 'v', ...values }), message)
      const r = await typed(ctx.db).create({ name: 'v' })
      await refused((db) => typed(db).update(r.id, values), message)
    })

    it.each([
      ['a BigInt in JSON', { doc: { n: 1n } } as unknown, /BigInt/],
      ['a cycle in JSON', { doc: cycle } as unknown, /cycle/],
      [
        'a throwing toJSON',
        {
          doc: {
            toJSON: () => {
              throw new Error('nope')
            },
          },
        } as unknown,
        /toJSON\(\) failed/,
      ],
      ['NaN in JSON', { doc: { n: Number.NaN } } as unknown, /not a JSON number/],
    ])('refuses %s (z.json() and z.any() alike)', async (_, values, message) => {
      const Loose = defineModel({ table: 'typed_values', fields: { name: z.string(), doc: z.any() } })
      await refused(
        (db) => db.repository(Loose, { tenantId: T1 }).create({ name: 'j', ...(values as object) }),
        message,
      )
    })

    it('stores z.json() values as JSON and reads them back', async () => {
      const doc = { a: [1, 'x', null, { b: true }], n: 2.5, s: 'ü\u00e9' }
      const r = await typed(ctx.db).create({ name: 'json', doc })
      expect((await typed(ctx.db).get(r.id)).doc).toEqual(doc)
      expect((await typed(ctx.db).update(r.id, { doc: 'just a string' })).doc).toBe('just a string')
    })

    it('checks every row of createMany before writing any', async () => {
      const before = await typed(ctx.db).count()
      await refused(
        (db) => typed(db).createMany([{ name: 'a' }, { name: 'b\u0000' }, { name: 'c', at: new Date(8.64e15) }]),
        /1\.name[\s\S]*2\.at/,
      )
      expect(await typed(ctx.db).count()).toBe(before)
    })

    it('stores the edges of the range exactly', async () => {
      const low = new Date('1000-01-01T00:00:00.000Z')
      const high = new Date('9999-12-31T23:59:59.999Z')
      const a = await typed(ctx.db).create({ name: 'low', at: low, day: '1000-01-01' })
      const b = await typed(ctx.db).create({ name: 'high', at: high, day: '9999-12-31', big: 2n ** 63n - 1n })
      expect((await typed(ctx.db).get(a.id)).at.toISOString()).toBe(low.toISOString())
      expect(await typed(ctx.db).get(b.id)).toMatchObject({ at: high, day: '9999-12-31', big: 2n ** 63n - 1n })
    })
  })

  describe('IN lists and getMany of any length', () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)

    it('a 70,000-value IN list works on PostgreSQL and is a ValidationError past the limit on MySQL', async () => {
      const r = await typed(ctx.db).create({ name: 'in' })
      const ids = [...many(70_000), r.id]
      const run = (db: Database) => typed(db).list({ where: { id: ids, name: { notIn: ['x', 'y'] } } })
      if (ctx.family === 'postgres') {
        expect((await run(ctx.db)).map((x: { id: string }) => x.id)).toEqual([r.id])
        expect(await typed(ctx.db).count({ where: { id: { notIn: ids } }, includeDeleted: true })).toBe(
          await typed(ctx.db).count({ where: { id: { notIn: [r.id] } }, includeDeleted: true }),
        )
      } else {
        await refused(run, /at most 10000 values/)
        expect((await typed(ctx.db).list({ where: { id: [...many(9_999), r.id] } })).length).toBe(1)
      }
    })

    it('getMany of 70,000 ids answers for each (chunked on MySQL)', async () => {
      const r = await typed(ctx.db).create({ name: 'many' })
      const ids = [...many(70_000), r.id]
      const found = await typed(ctx.db).getMany(ids)
      expect(found.size).toBe(70_001)
      expect(found.get(r.id)?.name).toBe('many')
      expect(found.get(ids[0])).toBeNull()
    })

    it('getMany with asOf on scd2, past the per-record lookup limit', async () => {
      const created = await versioned(ctx.db).createMany(Array.from({ length: 3 }, (_, i) => sample(100 + i)))
      const ids = [...many(1_500), ...created.map((c: { id: string }) => c.id)]
      const found = await versioned(ctx.db).getMany(ids, { asOf: new Date() })
      expect(created.every((c: { id: string }) => found.get(c.id)?.id === c.id)).toBe(true)
    })
  })

  describe('UUIDs compare case-insensitively', () => {
    it('an upper-case id, tenant id or user id finds the same record and tenant', async () => {
      const r = await audited(ctx.db).create(sample(200))
      const upper = r.id.toUpperCase()
      expect((await audited(ctx.db).get(upper))?.id).toBe(r.id)
      expect((await audited(ctx.db).getMany([upper])).get(r.id)?.id).toBe(r.id)
      expect((await audited(ctx.db).list({ where: { id: upper } })).map((x: { id: string }) => x.id)).toEqual([r.id])
      const shouting = ctx.db.repository(Audited, { tenantId: T1.toUpperCase(), userId: U1.toUpperCase() })
      expect((await shouting.get(r.id))?.id).toBe(r.id)
      const made = await shouting.create(sample(201, { tenantId: T1.toUpperCase() }))
      expect(made).toMatchObject({ tenantId: T1, createdBy: U1 })
      expect((await audited(ctx.db).get(made.id))?.id).toBe(made.id)
      expect((await shouting.update(upper, { age: 44 }, { userId: U1.toUpperCase() })).updatedBy).toBe(U1)
      const trail = await audited(ctx.db).getAuditHistory(upper)
      expect(trail.filter((e: { operation: string }) => e.operation === 'UPDATE')).toMatchObject([
        { fieldName: 'age', newValue: 44, changedBy: U1 },
      ])
      // an upper-case id of another tenant stays another tenant's
      const other = ctx.db.repository(Audited, { tenantId: T2.toUpperCase() })
      expect(await other.get(upper)).toBeNull()
      expect(await other.count({ where: { tenantId: T1.toUpperCase() } })).toBe(0)
    })

    it('uuid field values are stored in lower case', async () => {
      const ref = 'ABCDEF00-0000-4000-8000-0000000000AA'
      const r = await typed(ctx.db).create({ name: 'ref', ref })
      expect(r.ref).toBe(ref.toLowerCase())
      expect((await typed(ctx.db).list({ where: { ref } })).map((x: { id: string }) => x.id)).toEqual([r.id])
    })
  })

  it('refusals are never another error class', async () => {
    const error = await typed(ctx.db)
      .list({ where: { doc: { eq: 1 } } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FFStorageError)
    expect(error).toBeInstanceOf(ValidationError)
  })
})
