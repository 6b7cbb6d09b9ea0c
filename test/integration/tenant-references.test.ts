import { randomUUID } from 'node:crypto'
import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, ForeignKeyViolationError, field, SchemaManager, sql, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, T2 } from '../helpers/fixtures.js'

const Parent = defineModel({ table: 'tref_parents', fields: { name: z.string().max(40) } })
const Shared = defineModel({ table: 'tref_shared', multiTenant: false, fields: { name: z.string().max(40) } })
const Child = defineModel({
  table: 'tref_children',
  temporal: 'copy_on_change',
  fields: {
    code: field(z.string().max(40), { unique: true }),
    parentId: field(z.uuid().nullable().optional(), { references: { model: () => Parent } }),
    sharedId: field(z.uuid().nullable().optional(), { references: { model: () => Shared } }),
  },
})
const Versioned = defineModel({
  table: 'tref_versioned',
  temporal: 'scd2',
  fields: { parentId: field(z.uuid().nullable().optional(), { references: { model: () => Parent } }) },
})

let n = 0
const code = () => `c${++n}`

/** What a refusal tells the caller: class, message and issues (no existence oracle when equal). */
async function refusal(p: Promise<unknown>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ValidationError)
  const v = error as ValidationError
  return { name: v.constructor.name, message: v.message, issues: v.issues }
}

/**
 * References between multi-tenant models stay within the tenant: the foreign key is on the id
 * alone, so without the check tenant A could attach rows to tenant B's record (and learn whether
 * B's id exists from the answer). Regression of a hostile review.
 */
describeEngines('references never reach another tenant', (ctx) => {
  beforeAll(async () => {
    await new SchemaManager(ctx.db).sync([Parent, Shared, Child, Versioned])
  })
  const a = () => ctx.db.repository(Child, { tenantId: T1 })
  const parentsA = () => ctx.db.repository(Parent, { tenantId: T1 })
  const parentsB = () => ctx.db.repository(Parent, { tenantId: T2 })
  const count = async (table: string) => {
    const row = await ctx.db.queryOne<{ n: unknown }>(sql`select count(*) as n from ${sql.id(table)}`)
    return Number(row!.n)
  }
  const counts = async () => [await count('tref_children'), await count('tref_children_audit')]

  it("create refuses another tenant's parent with the error of an unused id, and writes nothing", async () => {
    const theirs = await parentsB().create({ name: 'B' })
    const before = await counts()
    const foreign = await refusal(a().create({ code: code(), parentId: theirs.id }))
    const unused = await refusal(a().create({ code: code(), parentId: randomUUID() }))
    expect(foreign).toEqual(unused)
    expect(foreign.issues).toEqual([expect.objectContaining({ path: ['parentId'] })])
    expect(foreign.message).toContain('field "parentId": no tref_parents record with this id in this tenant')
    expect(await counts()).toEqual(before)
    // B's record is B's alone: its purge is not blocked by A
    expect(await parentsB().purge(theirs.id)).toBe(true)
  })

  it("createMany refuses another tenant's parent (every batch) before writing any row", async () => {
    const ours = await parentsA().create({ name: 'A' })
    const theirs = await parentsB().create({ name: 'B' })
    const before = await counts()
    const inputs = [
      { code: code(), parentId: ours.id },
      { code: code(), parentId: theirs.id },
      { code: code(), parentId: ours.id },
    ]
    const foreign = await refusal(a().createMany(inputs, { batchSize: 1 }))
    const unused = await refusal(
      a().createMany([inputs[0]!, { ...inputs[1]!, parentId: randomUUID() }, inputs[2]!], { batchSize: 1 }),
    )
    expect(foreign).toEqual(unused)
    expect(foreign.issues).toEqual([expect.objectContaining({ path: [1, 'parentId'] })])
    expect(await counts()).toEqual(before)
    await expect(
      a().createMany(
        inputs.filter((_, i) => i !== 1),
        { returning: false },
      ),
    ).resolves.toBe(2)
  })

  it('createMany checks more distinct parents than one query holds (chunks of 500)', async () => {
    const parents = (await parentsA().createMany(Array.from({ length: 600 }, (_, i) => ({ name: `p${i}` })))) as {
      id: string
    }[]
    const theirs = await parentsB().create({ name: 'B' })
    const inputs = parents.map((p) => ({ code: code(), parentId: p.id }))
    const refused = await refusal(a().createMany(inputs.map((x, i) => (i === 550 ? { ...x, parentId: theirs.id } : x))))
    expect(refused.issues.map((i) => i.path)).toEqual([[550, 'parentId']])
    await expect(a().createMany(inputs, { returning: false })).resolves.toBe(600)
  })

  it("update and updateMany refuse another tenant's parent and change nothing", async () => {
    const ours = await parentsA().create({ name: 'A' })
    const theirs = await parentsB().create({ name: 'B' })
    const child = await a().create({ code: code(), parentId: ours.id })
    const before = await counts()
    const foreign = await refusal(a().update(child.id, { parentId: theirs.id }))
    expect(foreign).toEqual(await refusal(a().update(child.id, { parentId: randomUUID() })))
    const many = await refusal(a().updateMany({ id: child.id }, { parentId: theirs.id }))
    expect(many).toEqual(await refusal(a().updateMany({ id: child.id }, { parentId: randomUUID() })))
    expect(await counts()).toEqual(before)
    expect((await a().get(child.id))!.parentId).toBe(ours.id)
    // scd2: no version is written
    const v = ctx.db.repository(Versioned, { tenantId: T1 })
    const record = await v.create({ parentId: ours.id })
    await refusal(v.update(record.id, { parentId: theirs.id }))
    expect(await v.getVersionCount(record.id)).toBe(1)
  })

  it("upsert refuses another tenant's parent on both its create and its update", async () => {
    const theirs = await parentsB().create({ name: 'B' })
    const key = code()
    await refusal(a().upsert({ code: key, parentId: theirs.id }, { on: ['code'] }))
    expect(await a().count({ where: { code: key } })).toBe(0)
    await a().upsert({ code: key, parentId: null }, { on: ['code'] })
    const before = await counts()
    await refusal(a().upsert({ code: key, parentId: theirs.id }, { on: ['code'] }))
    expect(await counts()).toEqual(before)
  })

  it("the tenant's own parents work, soft-deleted ones included, and null", async () => {
    const ours = await parentsA().create({ name: 'A' })
    const deleted = await parentsA().create({ name: 'gone' })
    await parentsA().delete(deleted.id)
    const child = await a().create({ code: code(), parentId: ours.id })
    expect(child.parentId).toBe(ours.id)
    expect((await a().create({ code: code(), parentId: deleted.id })).parentId).toBe(deleted.id)
    expect((await a().create({ code: code(), parentId: null })).parentId).toBeNull()
    expect((await a().update(child.id, { parentId: deleted.id })).parentId).toBe(deleted.id)
    expect((await a().update(child.id, { parentId: null })).parentId).toBeNull()
    await expect(a().updateMany({ id: child.id }, { parentId: ours.id })).resolves.toBe(1)
  })

  it('a target that is not multi-tenant is not checked: the foreign key decides', async () => {
    const shared = await ctx.db.repository(Shared).create({ name: 'S' })
    expect((await a().create({ code: code(), sharedId: shared.id })).sharedId).toBe(shared.id)
    await expect(a().create({ code: code(), sharedId: randomUUID() })).rejects.toBeInstanceOf(ForeignKeyViolationError)
  })

  it('inside a transaction the check reads the transaction', async () => {
    const theirs = await parentsB().create({ name: 'B' })
    const before = await counts()
    await expect(
      ctx.db.transaction(async (tx) => {
        const parent = await tx.repository(Parent, { tenantId: T1 }).create({ name: 'in tx' })
        const children = tx.repository(Child, { tenantId: T1 })
        await children.create({ code: code(), parentId: parent.id })
        await children.create({ code: code(), parentId: theirs.id })
      }),
    ).rejects.toBeInstanceOf(ValidationError)
    expect(await counts()).toEqual(before)
    await ctx.db.transaction(async (tx) => {
      const parent = await tx.repository(Parent, { tenantId: T1 }).create({ name: 'in tx' })
      await tx.repository(Child, { tenantId: T1 }).create({ code: code(), parentId: parent.id })
    })
  })

  it("a permissive scope checks each record's own tenant", async () => {
    const ours = await parentsA().create({ name: 'A' })
    const theirs = await parentsB().create({ name: 'B' })
    const both = ctx.db.repository(Child, { tenantIds: [T1, T2] })
    await refusal(both.create({ code: code(), tenantId: T1, parentId: theirs.id }))
    const inB = await both.create({ code: code(), tenantId: T2, parentId: theirs.id })
    const inA = await both.create({ code: code(), tenantId: T1, parentId: ours.id })
    await refusal(both.update(inB.id, { parentId: ours.id }))
    await refusal(both.updateMany({ id: [inA.id, inB.id] }, { parentId: ours.id }))
    await expect(both.updateMany({ id: [inA.id] }, { parentId: null })).resolves.toBe(1)
    expect((await both.get(inB.id))!.parentId).toBe(theirs.id)
  })

  it("transferOwnership refuses a record whose parent is not in the new tenant's records", async () => {
    const ours = await parentsA().create({ name: 'A' })
    const child = await a().create({ code: code(), parentId: ours.id })
    const before = await counts()
    const refused = await refusal(a().transferOwnership(child.id, T2))
    expect(refused.message).toContain('field "parentId": no tref_parents record with this id in the new tenant')
    expect(await counts()).toEqual(before)
    const free = await a().create({ code: code(), parentId: null })
    expect((await a().transferOwnership(free.id, T2)).tenantId).toBe(T2)
  })
})
