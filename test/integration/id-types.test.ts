import { beforeAll, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  defineModel,
  field,
  type ModelRecord,
  memoryCache,
  SchemaManager,
  TenantIsolationError,
  ValidationError,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'

/** Ids from real auth providers: Clerk organisations, Auth0 users; and bigint ids of an existing schema. */
const ORG_A = 'org_2abCDe'
const ORG_B = 'org_2xyZ'
const AUTH0 = 'auth0|123'
const CLERK = 'user_2NNfe'

const textIds = { tenantIdType: z.string().max(64), actorIdType: z.string().max(128) } as const
const fields = {
  email: field(z.email().max(255), { unique: true }),
  age: z.int().min(0).max(150),
}
const TextAudited = defineModel({ table: 'text_id_audited', temporal: 'copy_on_change', ...textIds, fields })
const TextVersioned = defineModel({ table: 'text_id_versioned', temporal: 'scd2', ...textIds, fields })
const bigIds = { tenantIdType: z.bigint(), actorIdType: z.bigint() } as const
const BigAudited = defineModel({ table: 'big_id_audited', temporal: 'copy_on_change', ...bigIds, fields })
const BigVersioned = defineModel({ table: 'big_id_versioned', temporal: 'scd2', ...bigIds, fields })
const MODELS = [TextAudited, TextVersioned, BigAudited, BigVersioned]

it('types tenant and actor ids by tenantIdType / actorIdType, and audit values by field', () => {
  type Big = ModelRecord<typeof BigAudited>
  expectTypeOf<Big['tenantId']>().toEqualTypeOf<bigint>()
  expectTypeOf<Big['createdBy']>().toEqualTypeOf<bigint | null>()
  expectTypeOf<ModelRecord<typeof TextAudited>['tenantId']>().toEqualTypeOf<string>()
})

describeEngines('text and bigint tenant and actor ids', (ctx) => {
  let n = 0
  const email = () => `u${++n}@example.com`
  beforeAll(async () => {
    await new SchemaManager(ctx.db).sync(MODELS)
  })

  it('syncs with no phantom changes afterwards', async () => {
    const plan = await new SchemaManager(ctx.db).plan(MODELS)
    expect(plan.changes.map((c) => c.description)).toEqual([])
  })

  it('text ids: records, audit entries and changes by user carry the ids as given', async () => {
    const users = ctx.db.repository(TextAudited, { tenantId: ORG_A, userId: AUTH0 })
    const r = await users.create({ email: email(), age: 30 })
    expect(r).toMatchObject({ tenantId: ORG_A, createdBy: AUTH0, updatedBy: AUTH0 })
    const updated = await users.update(r.id, { age: 31 }, { userId: CLERK })
    expect(updated).toMatchObject({ tenantId: ORG_A, createdBy: AUTH0, updatedBy: CLERK })
    const ages = await users.getFieldHistory(r.id, 'age')
    expectTypeOf(ages[0]!.newValue).toEqualTypeOf<number | null>()
    expect(ages.map((e) => [e.operation, e.oldValue, e.newValue, e.tenantId, e.changedBy])).toEqual([
      ['INSERT', null, 30, ORG_A, AUTH0],
      ['UPDATE', 30, 31, ORG_A, CLERK],
    ])
    expect((await users.getChangesByUser(CLERK)).map((e) => [e.recordId, e.fieldName])).toEqual([[r.id, 'age']])
    expect(await users.getStateAt(r.id, new Date())).toMatchObject({ tenantId: ORG_A, updatedBy: CLERK, age: 31 })
    await users.delete(r.id, { userId: CLERK })
    expect((await users.get(r.id, { includeDeleted: true }))?.deletedBy).toBe(CLERK)
  })

  it('text ids compare exactly: no case folding, no trailing-space padding', async () => {
    const a = ctx.db.repository(TextAudited, { tenantId: ORG_A, userId: AUTH0 })
    const r = await a.create({ email: email(), age: 1 })
    for (const other of [ORG_A.toLowerCase(), ORG_A.toUpperCase(), `${ORG_A} `, ` ${ORG_A}`]) {
      const near = ctx.db.repository(TextAudited, { tenantId: other, userId: AUTH0 })
      expect(await near.get(r.id), JSON.stringify(other)).toBeNull()
      expect(await near.count(), JSON.stringify(other)).toBe(0)
      expect(await near.getAuditHistory(r.id), JSON.stringify(other)).toEqual([])
      await expect(near.update(r.id, { age: 2 })).rejects.toThrow()
    }
    expect(await a.count({ where: { tenantId: `${ORG_A} `, email: r.email } })).toBe(0)
    expect(await a.count({ where: { tenantId: ORG_A, email: r.email } })).toBe(1)
    // a unique value is unique within the tenant: the padded tenant is another tenant
    const padded = ctx.db.repository(TextAudited, { tenantId: `${ORG_A} `, userId: AUTH0 })
    await expect(padded.create({ email: r.email, age: 1 })).resolves.toMatchObject({ tenantId: `${ORG_A} ` })
    expect(await a.getChangesByUser(`${AUTH0} `)).toEqual([])
  })

  it('text ids through set operations: updateMany and deleteMany record the text actor', async () => {
    const users = ctx.db.repository(TextAudited, { tenantId: 'org_sets', userId: AUTH0 })
    const r = await users.create({ email: email(), age: 70 })
    expect(await users.updateMany({ age: 70 }, { age: 71 }, { userId: CLERK })).toBe(1)
    expect(await users.deleteMany({ age: 71 }, { userId: CLERK })).toBe(1)
    const trail = await users.getAuditHistory(r.id)
    expect(trail.slice(-2).map((e) => [e.operation, e.changedBy, e.tenantId])).toEqual([
      ['UPDATE', CLERK, 'org_sets'],
      ['DELETE', CLERK, 'org_sets'],
    ])
  })

  it('text ids in a permissive scope: reads within the list, creates need a listed tenant', async () => {
    const admin = ctx.db.repository(TextAudited, { tenantIds: [ORG_A, ORG_B], userId: AUTH0 })
    const b = await admin.create({ email: email(), age: 5, tenantId: ORG_B })
    expect(b.tenantId).toBe(ORG_B)
    await expect(admin.create({ email: email(), age: 5, tenantId: 'org_other' })).rejects.toBeInstanceOf(
      TenantIsolationError,
    )
    expect((await admin.get(b.id))?.tenantId).toBe(ORG_B)
    expect((await admin.update(b.id, { age: 6 })).age).toBe(6)
    const onlyA = ctx.db.repository(TextAudited, { tenantId: ORG_A, userId: AUTH0 })
    expect(await onlyA.get(b.id)).toBeNull()
  })

  it('text ids: cached scopes whose tenants contain commas do not share entries', async () => {
    const cache = { store: memoryCache() }
    const one = ctx.db.repository(TextAudited, { tenantIds: ['c,d', 'e'], userId: AUTH0, cache })
    const other = ctx.db.repository(TextAudited, { tenantIds: ['c', 'd,e'], userId: AUTH0, cache })
    await one.create({ email: email(), age: 9, tenantId: 'c,d' })
    expect(await one.count()).toBe(1)
    expect(await other.count()).toBe(0)
  })

  it('text ids on scd2: versions and history rows keep tenant and actor', async () => {
    const contracts = ctx.db.repository(TextVersioned, { tenantId: ORG_A, userId: AUTH0 })
    const c = await contracts.create({ email: email(), age: 1 })
    await contracts.update(c.id, { age: 2 }, { userId: CLERK })
    const versions = await contracts.getVersionHistory(c.id)
    expect(versions.map((v) => [v.version, v.tenantId, v.updatedBy])).toEqual([
      [1, ORG_A, AUTH0],
      [2, ORG_A, CLERK],
    ])
    expect((await contracts.get(c.id, { asOf: versions[0]!.validFrom }))?.updatedBy).toBe(AUTH0)
    const padded = ctx.db.repository(TextVersioned, { tenantId: `${ORG_A} ` })
    expect(await padded.getVersionHistory(c.id)).toEqual([])
    const moved = await contracts.transferOwnership(c.id, ORG_B)
    expect(moved).toMatchObject({ tenantId: ORG_B, version: 3 })
  })

  it('bigint ids: records, audit entries, versions and transfers carry bigints', async () => {
    const users = ctx.db.repository(BigAudited, { tenantId: 42n, userId: 7n })
    const r = await users.create({ email: email(), age: 30 })
    expect(r).toMatchObject({ tenantId: 42n, createdBy: 7n })
    await users.update(r.id, { age: 31 }, { userId: 9007199254740993n }) // beyond Number.MAX_SAFE_INTEGER
    const trail = await users.getAuditHistory(r.id)
    expect(trail.every((e) => e.tenantId === 42n)).toBe(true)
    expect(trail.at(-1)).toMatchObject({ fieldName: 'age', newValue: 31, changedBy: 9007199254740993n })
    expect((await users.getChangesByUser(9007199254740993n)).length).toBe(1)
    expect(await ctx.db.repository(BigAudited, { tenantId: 43n }).get(r.id)).toBeNull()
    const admin = ctx.db.repository(BigAudited, { tenantIds: [42n, 43n], userId: 7n })
    const moved = await admin.transferOwnership(r.id, 43n)
    expect(moved.tenantId).toBe(43n)
    expect((await admin.getAuditHistory(r.id)).at(-1)).toMatchObject({ operation: 'TRANSFER', tenantId: 43n })

    const contracts = ctx.db.repository(BigVersioned, { tenantId: 42n, userId: 7n })
    const c = await contracts.create({ email: email(), age: 1 })
    await contracts.update(c.id, { age: 2 }, { userId: 8n })
    expect((await contracts.getVersionHistory(c.id)).map((v) => [v.version, v.tenantId, v.updatedBy])).toEqual([
      [1, 42n, 7n],
      [2, 42n, 8n],
    ])
  })

  it('ids of the wrong type are a ValidationError before any SQL', async () => {
    const uuid = '00000000-0000-4000-8000-000000000001'
    expect(() => ctx.db.repository(BigAudited, { tenantId: uuid as never })).toThrow(ValidationError)
    expect(() => ctx.db.repository(BigAudited, { tenantId: 1n, userId: 'x' as never })).toThrow(
      /userId must be a bigint id/,
    )
    expect(() => ctx.db.repository(TextAudited, { tenantId: 'x'.repeat(65) })).toThrow(
      /is not a text id of at most 64 characters/,
    )
    const users = ctx.db.repository(TextAudited, { tenantId: ORG_A })
    await expect(users.create({ email: email(), age: 1 }, { userId: 'u'.repeat(129) })).rejects.toBeInstanceOf(
      ValidationError,
    )
    await expect(users.getChangesByUser(1n as never)).rejects.toBeInstanceOf(ValidationError)
  })
})

it('refuses id types that cannot be a tenant or actor column', () => {
  expect(() => defineModel({ table: 't1', tenantIdType: z.string(), fields })).toThrow(/maximum length/)
  expect(() => defineModel({ table: 't2', actorIdType: z.boolean() as never, fields })).toThrow(/actorIdType/)
  expect(() => defineModel({ table: 't3', tenantIdType: z.string().max(64).optional(), fields })).toThrow(
    /cannot be optional/,
  )
})
