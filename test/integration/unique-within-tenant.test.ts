import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, SchemaManager, UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, T2 } from '../helpers/fixtures.js'

const Accounts = defineModel({
  table: 'uq_accounts',
  temporal: 'copy_on_change',
  fields: {
    email: field(z.string().max(100), { unique: true }),
    handle: field(z.string().max(40), { unique: 'global' }),
    code: z.string().max(10),
    region: z.string().max(10),
    slot: z.string().max(10),
  },
  indexes: [
    { columns: ['code'], unique: true },
    { columns: ['region', 'slot'], unique: 'global' },
  ],
})
const Versioned = defineModel({
  table: 'uq_versioned',
  temporal: 'scd2',
  fields: { code: z.string().max(10) },
  indexes: [{ columns: ['code'], unique: true }],
})

let n = 0
const input = (extra: Record<string, string> = {}) => {
  n++
  return { email: `e${n}@x.test`, handle: `h${n}`, code: `c${n}`, region: `r${n}`, slot: `s${n}`, ...extra }
}

/** What an error could reveal: its message, its values and what the driver said. */
const revealed = (e: unknown) => {
  const err = e as UniqueViolationError & { cause?: { detail?: string; message?: string; sqlMessage?: string } }
  return [err.message, JSON.stringify(err.parameters ?? []), err.cause?.detail ?? '', err.cause?.message ?? ''].join(
    '\n',
  )
}

/**
 * SPEC §6: on multi-tenant models `unique: true` (field or model index) is unique within the tenant,
 * among live rows on soft-delete models; `unique: 'global'` spans tenants. Regression: model-level
 * unique indexes spanned tenants and counted deleted rows.
 */
describeEngines('uniqueness within the tenant', (ctx) => {
  beforeAll(async () => {
    await new SchemaManager(ctx.db).sync([Accounts, Versioned])
  })
  const a = () => ctx.db.repository(Accounts, { tenantId: T1 })
  const b = () => ctx.db.repository(Accounts, { tenantId: T2 })

  it('a unique field is unique within the tenant only, among live rows', async () => {
    const first = await a().create(input({ email: 'same@x.test' }))
    await expect(b().create(input({ email: 'same@x.test' }))).resolves.toBeDefined()
    await expect(a().create(input({ email: 'same@x.test' }))).rejects.toBeInstanceOf(UniqueViolationError)
    await a().delete(first.id)
    await expect(a().create(input({ email: 'same@x.test' }))).resolves.toBeDefined()
  })

  it('a model-level unique index is unique within the tenant, among live rows', async () => {
    const first = await a().create(input({ code: 'SAME' }))
    await expect(b().create(input({ code: 'SAME' }))).resolves.toBeDefined()
    await expect(a().create(input({ code: 'SAME' }))).rejects.toBeInstanceOf(UniqueViolationError)
    await a().delete(first.id)
    await expect(a().create(input({ code: 'SAME' }))).resolves.toBeDefined()
    const v = ctx.db.repository(Versioned, { tenantId: T1 })
    const kept = await v.create({ code: 'V1' })
    await expect(ctx.db.repository(Versioned, { tenantId: T2 }).create({ code: 'V1' })).resolves.toBeDefined()
    await expect(v.create({ code: 'V1' })).rejects.toBeInstanceOf(UniqueViolationError)
    await v.delete(kept.id)
    await expect(v.create({ code: 'V1' })).resolves.toBeDefined()
  })

  it("unique: 'global' spans tenants (fields and model indexes), among live rows", async () => {
    const first = await a().create(input({ handle: 'taken', region: 'eu', slot: '1' }))
    await expect(b().create(input({ handle: 'taken' }))).rejects.toBeInstanceOf(UniqueViolationError)
    await expect(b().create(input({ region: 'eu', slot: '1' }))).rejects.toBeInstanceOf(UniqueViolationError)
    await a().delete(first.id)
    await expect(b().create(input({ handle: 'taken', region: 'eu', slot: '1' }))).resolves.toBeDefined()
  })

  it('a unique violation carries no other tenant’s id or row data', async () => {
    const theirs = await a().create(input({ email: 'secret@x.test', code: 'SECRET', handle: 'only-theirs' }))
    const mine = await b().create(input({ email: 'mine@x.test' }))
    for (const attempt of [
      () => b().create(input({ email: 'mine@x.test' })),
      () => b().update(mine.id, { email: 'mine@x.test', handle: 'only-theirs' }),
      () => b().create(input({ handle: 'only-theirs' })),
    ]) {
      const error = await attempt().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UniqueViolationError)
      const text = revealed(error)
      expect(text).not.toContain(T1)
      expect(text).not.toContain(theirs.id)
      expect(text).not.toContain('secret@x.test')
      expect(text).not.toContain('SECRET')
      expect((error as UniqueViolationError).message).not.toContain('mine@x.test')
    }
  })
})
