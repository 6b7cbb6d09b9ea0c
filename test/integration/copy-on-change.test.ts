import { beforeAll, expect, it } from 'vitest'
import { ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, MISSING, pause, sample, T1, T2, U1, U2 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

describeEngines('copy_on_change', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Audited]))
  const repo = (tenantId = T1, userId = U1) => ctx.db.repository(Audited, { tenantId, userId })
  let n = 0

  it('records INSERT values, one UPDATE entry per changed field, DELETE and RESTORE, in order', async () => {
    const r = await repo().create(
      sample(++n, { meta: { theme: 'dark' }, birthday: new Date('2000-01-02T03:04:05.678Z') }),
    )
    await repo(T1, U2).update(r.id, { age: 41, meta: { theme: 'light' }, name: r.name })
    await repo().delete(r.id)
    await repo().restore(r.id)
    const trail = await repo().getAuditHistory(r.id)
    const summary = trail.map((e) => [e.operation, e.fieldName, e.oldValue, e.newValue])
    expect(summary.slice(0, 8)).toEqual([
      ['INSERT', 'email', null, r.email],
      ['INSERT', 'name', null, r.name],
      ['INSERT', 'age', null, r.age],
      ['INSERT', 'role', null, 'user'],
      ['INSERT', 'price', null, r.price],
      ['INSERT', 'meta', null, { theme: 'dark' }],
      ['INSERT', 'birthday', null, new Date('2000-01-02T03:04:05.678Z')],
      ['INSERT', 'score', null, null],
    ])
    expect(summary.slice(8, 10)).toEqual([
      ['UPDATE', 'age', r.age, 41],
      ['UPDATE', 'meta', { theme: 'dark' }, { theme: 'light' }],
    ])
    expect(trail[10]).toMatchObject({ operation: 'DELETE', fieldName: 'deletedAt', oldValue: null })
    expect(trail[10]!.newValue).toBeInstanceOf(Date)
    expect(trail[11]).toMatchObject({ operation: 'RESTORE', fieldName: 'deletedAt', newValue: null })
    expect(trail[11]!.oldValue).toEqual(trail[10]!.newValue)
    expect(trail.every((e) => e.recordId === r.id && e.tenantId === T1)).toBe(true)
    expect(trail[8]!.changedBy).toBe(U2)
    // one operation, one transaction id and one timestamp
    expect(trail[8]!.transactionId).toBe(trail[9]!.transactionId)
    expect(trail[0]!.transactionId).not.toBe(trail[8]!.transactionId)
    expect(trail[0]!.changedAt).toEqual(r.createdAt)
    const updated = await repo().get(r.id)
    expect(trail[11]!.changedAt).toEqual(updated!.updatedAt)
    // ids strictly increasing: the order changes were applied
    expect(trail.map((e) => e.auditId)).toEqual([...trail.map((e) => e.auditId)].sort((a, b) => a - b))
  })

  it('writes no audit rows for an update that changes nothing (JSON, decimals, dates by value)', async () => {
    const r = await repo().create(
      sample(++n, {
        meta: { theme: 'x', flags: ['a', 'b'] },
        birthday: new Date('1999-12-31T23:59:59.999Z'),
        price: '3.10',
      }),
    )
    const before = (await repo().getAuditHistory(r.id)).length
    const same = await repo().update(r.id, {
      meta: { flags: ['a', 'b'], theme: 'x' },
      price: '3.1',
      birthday: new Date('1999-12-31T23:59:59.999Z'),
      age: r.age,
    })
    expect(same.updatedAt).toEqual(r.updatedAt)
    expect((await repo().getAuditHistory(r.id)).length).toBe(before)
  })

  it('answers field history, changes by user and past states', async () => {
    const r = await repo().create(sample(++n, { age: 30 }))
    await pause(5)
    const a = await repo(T1, U2).update(r.id, { age: 31 })
    await pause(5)
    const b = await repo().update(r.id, { age: 32, name: 'Renamed' })
    await pause(5)
    await repo(T1, U2).delete(r.id)
    const ages = await repo().getFieldHistory(r.id, 'age')
    expect(ages.map((e) => [e.oldValue, e.newValue])).toEqual([
      [null, 30],
      [30, 31],
      [31, 32],
    ])
    const byU2 = await repo().getChangesByUser(U2, { from: r.createdAt })
    expect(byU2.filter((e) => e.recordId === r.id).map((e) => e.operation)).toEqual(['UPDATE', 'DELETE'])
    expect(await repo().getChangesByUser(U2, { from: new Date(Date.now() + 60_000) })).toEqual([])
    const upToA = await repo().getChangesByUser(U2, { from: r.createdAt, to: a.updatedAt })
    expect(upToA.filter((e) => e.recordId === r.id).map((e) => e.operation)).toEqual(['UPDATE'])
    const limited = await repo().getChangesByUser(U1, { from: r.createdAt, limit: 2 })
    expect(limited).toHaveLength(2)
    expect(limited.map((e) => e.auditId)).toEqual([...limited.map((e) => e.auditId)].sort((x, y) => x - y))
    expect(await repo().getStateAt(r.id, new Date(r.createdAt.getTime() - 1))).toBeNull()
    const atCreate = await repo().getStateAt(r.id, r.createdAt)
    expect(atCreate).toEqual({ ...r })
    const atA = await repo().getStateAt(r.id, new Date(a.updatedAt.getTime() + 1))
    expect(atA).toMatchObject({ age: 31, name: r.name, updatedBy: U2, updatedAt: a.updatedAt })
    const atB = await repo().getStateAt(r.id, b.updatedAt)
    expect(atB).toEqual({ ...b })
    expect(await repo().getStateAt(r.id, new Date())).toBeNull()
    const deleted = await repo().getStateAt(r.id, new Date(), { includeDeleted: true })
    expect(deleted).toMatchObject({ age: 32, deletedBy: U2 })
    expect(deleted?.deletedAt).toBeInstanceOf(Date)
    await expect(repo().getFieldHistory(r.id, 'createdAt')).rejects.toBeInstanceOf(ValidationError)
  })

  it('scopes audit reads to the tenant, and records transfers', async () => {
    const r = await repo().create(sample(++n))
    expect(await repo(T2).getAuditHistory(r.id)).toEqual([])
    expect(await repo(T2).getStateAt(r.id, new Date())).toBeNull()
    expect((await repo(T2).getChangesByUser(U1)).some((e) => e.recordId === r.id)).toBe(false)
    await repo().transferOwnership(r.id, T2, { userId: U2 })
    const seenByNewOwner = await repo(T2).getAuditHistory(r.id)
    expect(seenByNewOwner.map((e) => [e.operation, e.fieldName, e.oldValue, e.newValue])).toEqual([
      ['TRANSFER', 'tenantId', T1, T2],
    ])
    expect(await repo().getAuditHistory(MISSING)).toEqual([])
  })

  it('getStateAt agrees with get after transferOwnership, in every scope (regression)', async () => {
    const r = await repo().create(sample(++n))
    await pause()
    const beforeMove = await repo().update(r.id, { age: 41 }, { userId: U1 })
    await pause()
    const moved = await repo().transferOwnership(r.id, T2, { userId: U2 })
    await pause()
    const after = await repo(T2).update(r.id, { age: 42 }, { userId: U2 })
    const both = ctx.db.repository(Audited, { tenantIds: [T1, T2] })
    const now = new Date(after.updatedAt.getTime() + 1)
    // now: the new owner's, with its whole state, exactly as get shows it; nothing for the old owner
    expect(await repo(T2).getStateAt(r.id, now)).toEqual(await repo(T2).get(r.id))
    expect(await repo().get(r.id)).toBeNull()
    expect(await repo().getStateAt(r.id, now)).toBeNull()
    expect(await both.getStateAt(r.id, now)).toEqual(await both.get(r.id))
    // at the transfer: already the new owner's
    expect((await repo(T2).getStateAt(r.id, moved.updatedAt))?.tenantId).toBe(T2)
    expect(await repo().getStateAt(r.id, moved.updatedAt)).toBeNull()
    // before it: the old owner's record, not the new owner's
    const then = await repo().getStateAt(r.id, beforeMove.updatedAt)
    expect(then).toMatchObject({ id: r.id, tenantId: T1, age: 41 })
    expect(await repo(T2).getStateAt(r.id, beforeMove.updatedAt)).toBeNull()
    expect((await both.getStateAt(r.id, beforeMove.updatedAt))?.tenantId).toBe(T1)
  })
})
