import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, type Model } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/**
 * createMany and update return the records as stored. Where values read back exactly as bound,
 * the library writes them out instead of reading them back; whichever way, they must equal what
 * `getMany` then reads, for every type, on every engine, and the audit trail must hold the same values.
 */
const exactFields = {
  text: z.string().max(40),
  maybe: z.string().max(10).nullable(),
  ref: z.uuid(),
  small: z.int().min(-2_147_483_648).max(2_147_483_647),
  wide: z.int(),
  huge: z.bigint(),
  amount: field(z.string(), { precision: 12, scale: 3 }),
  flag: z.boolean(),
  at: z.date(),
  kind: z.enum(['a', 'b', 'c d']),
}
const mixedFields = {
  ...exactFields,
  doc: z.object({ zeta: z.string(), alpha: z.number(), list: z.array(z.boolean()) }),
  ratio: z.number(),
  cents: field(z.number(), { precision: 8, scale: 2 }),
  day: z.iso.date(),
}
const models = {
  exactNone: defineModel({ table: 'fidelity_none', temporal: 'none', fields: exactFields }),
  exactAudited: defineModel({ table: 'fidelity_coc', temporal: 'copy_on_change', fields: exactFields }),
  exactVersioned: defineModel({ table: 'fidelity_scd2', temporal: 'scd2', fields: exactFields }),
  mixed: defineModel({ table: 'fidelity_mixed', temporal: 'copy_on_change', fields: mixedFields }),
  // written out on MySQL (JSON keeps its text there), read back on PostgreSQL (jsonb reorders keys)
  withJson: defineModel({ table: 'fidelity_json', temporal: 'none', fields: { ...exactFields, doc: mixedFields.doc } }),
}

// any text, often with spaces at either end (kept by every engine, and easy to lose)
const text = (max: number) =>
  fc
    .tuple(fc.string({ unit: 'grapheme', maxLength: max }), fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' '))
    .map(([s, before, after]) => `${before}${s.replaceAll('\u0000', '')}${after}`)
    .filter((s) => s.length <= max)
const decimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 999_999_999n }), fc.nat(999), fc.nat(2), fc.boolean())
  .map(([negative, int, frac, zeros, dot]) => {
    const digits = `${'0'.repeat(zeros)}${int}`
    return `${negative ? '-' : ''}${digits}${dot ? `.${String(frac).padStart(3, '0').replace(/0+$/, '') || '0'}` : ''}`
  })
const exactRecord = {
  text: text(40),
  maybe: fc.option(text(10), { nil: null }),
  ref: fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u)),
  small: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
  wide: fc.maxSafeInteger(),
  huge: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  amount: decimal,
  flag: fc.boolean(),
  at: fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
  kind: fc.constantFrom('a' as const, 'b' as const, 'c d' as const),
}
const doc = fc.record({
  zeta: text(8),
  alpha: fc.double({ noNaN: true, noDefaultInfinity: true }),
  list: fc.array(fc.boolean()),
})
const mixedRecord = {
  ...exactRecord,
  doc,
  ratio: fc.double({ noNaN: true, noDefaultInfinity: true }),
  cents: fc.integer({ min: -99_999_99, max: 99_999_99 }).map((n) => n / 100),
  day: fc
    .date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
}

describeEngines('bulk fidelity', (ctx) => {
  beforeAll(() => createTables(ctx.db, Object.values(models)))

  const check = async (Model: Model, arbitrary: fc.Arbitrary<Record<string, unknown>>) => {
    const repo = ctx.db.repository(Model, { tenantId: T1, userId: U1 })
    await fc.assert(
      fc.asyncProperty(fc.array(arbitrary, { minLength: 2, maxLength: 12 }), async (inputs) => {
        const made = (await repo.createMany(inputs as never)) as Record<string, unknown>[]
        const stored = await repo.getMany(made.map((r) => r.id as string))
        expect(made).toEqual(made.map((r) => stored.get(r.id as string)))
        // an update returns what is stored too
        const updated = (await repo.update(made[0]!.id as string, inputs[1] as never)) as Record<string, unknown>
        expect(updated).toEqual(await repo.get(made[0]!.id as string))
        // one record from a single create agrees too
        const single = (await repo.create(inputs[0] as never)) as Record<string, unknown>
        const { id: _a, createdAt: _b, updatedAt: _c, validFrom: _d, ...rest } = single
        expect(made[0]).toMatchObject(rest)
        if (Model.def.temporal === 'copy_on_change') {
          // the trail replays to the stored record: inserted values, then the update's changes
          const trail = await ctx.db.repository(Model, { tenantId: T1 }).getAuditHistory(made[0]!.id as string)
          const values = Object.fromEntries(trail.map((e) => [e.fieldName, e.newValue]))
          for (const name of Object.keys(inputs[0]!)) expect(values[name]).toEqual(updated[name])
        }
      }),
      { numRuns: ctx.id === 'pglite' ? 12 : 8 },
    )
  }

  it('createMany and update return exactly what is stored: strategy none', () =>
    check(models.exactNone, fc.record(exactRecord)))
  it('createMany and update return exactly what is stored: copy_on_change, with the audit trail', () =>
    check(models.exactAudited, fc.record(exactRecord)))
  it('createMany and update return exactly what is stored: scd2', () =>
    check(models.exactVersioned, fc.record(exactRecord)))
  it('createMany and update return exactly what is stored: JSON, doubles, decimals as numbers, dates', () =>
    check(models.mixed, fc.record(mixedRecord)))
  it('createMany and update return exactly what is stored: JSON documents', () =>
    check(models.withJson, fc.record({ ...exactRecord, doc })))
})
