import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { NotFoundError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, T1, T2, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

type Op =
  | { kind: 'create'; tenant: 0 | 1; age: number }
  | { kind: 'update' | 'delete' | 'restore' | 'get' | 'history'; tenant: 0 | 1; target: number; age: number }
  | { kind: 'list' | 'count'; tenant: 0 | 1; age: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    tenant: fc.constantFrom(0 as const, 1 as const),
    age: fc.integer({ min: 0, max: 150 }),
  }),
  fc.record({
    kind: fc.constantFrom('update' as const, 'delete' as const, 'restore' as const, 'get' as const, 'history' as const),
    tenant: fc.constantFrom(0 as const, 1 as const),
    target: fc.nat(50),
    age: fc.integer({ min: 0, max: 150 }),
  }),
  fc.record({
    kind: fc.constantFrom('list' as const, 'count' as const),
    tenant: fc.constantFrom(0 as const, 1 as const),
    age: fc.integer({ min: 0, max: 150 }),
  }),
)

/**
 * Random sequences of operations from two tenants' scopes: no operation ever reads, changes or
 * reveals the other tenant's rows. A model of who owns what is kept alongside.
 */
describeEngines('tenant isolation (property)', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Audited, Versioned]))
  const TENANTS = [T1, T2] as const

  for (const Model of [Audited, Versioned]) {
    it(`holds for ${Model.def.temporal}`, async () => {
      let counter = 0
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
          const repos = TENANTS.map((t) => ctx.db.repository(Model, { tenantId: t, userId: U1 }))
          const owner = new Map<string, 0 | 1>()
          const ids: string[] = []
          const snapshot = async (id: string) => repos[owner.get(id)!]!.get(id, { includeDeleted: true })
          for (const op of ops) {
            const mine = repos[op.tenant]!
            if (op.kind === 'create') {
              const r = await mine.create({ email: `p${++counter}@x.io`, name: 'p', age: op.age, price: '1' })
              expect(r.tenantId).toBe(TENANTS[op.tenant])
              owner.set(r.id, op.tenant)
              ids.push(r.id)
              continue
            }
            if (op.kind === 'list' || op.kind === 'count') {
              const rows = await mine.list({ where: { age: { gte: 0 } }, includeDeleted: true, limit: 1000 })
              expect(rows.every((r) => r.tenantId === TENANTS[op.tenant])).toBe(true)
              const n = await mine.count({ where: { tenantId: TENANTS[1 - op.tenant]! }, includeDeleted: true })
              expect(n).toBe(0)
              continue
            }
            if (ids.length === 0 || !('target' in op)) continue
            const target = ids[op.target % ids.length]!
            const foreign = owner.get(target) !== op.tenant
            const before = foreign ? await snapshot(target) : undefined
            switch (op.kind) {
              case 'get': {
                const r = await mine.get(target, { includeDeleted: true })
                if (foreign) expect(r).toBeNull()
                else expect(r?.id).toBe(target)
                break
              }
              case 'update': {
                const result = await mine.update(target, { age: op.age }).catch((e: unknown) => e)
                if (foreign) expect(result).toBeInstanceOf(NotFoundError)
                break
              }
              case 'delete': {
                const result = await mine.delete(target)
                if (foreign) expect(result).toBe(false)
                break
              }
              case 'restore': {
                const result = await mine.restore(target)
                if (foreign) expect(result).toBeNull()
                break
              }
              case 'history': {
                const entries =
                  Model === Audited ? await mine.getAuditHistory(target) : await mine.getVersionHistory(target)
                if (foreign) expect(entries).toEqual([])
                else expect(entries.length).toBeGreaterThan(0)
                break
              }
            }
            if (foreign) expect(await snapshot(target)).toEqual(before)
          }
        }),
        { numRuns: ctx.id === 'pglite' ? 15 : 10 },
      )
    })
  }
})
