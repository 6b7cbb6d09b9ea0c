import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { type Database, defineModel, field } from '../../src/index.js'

const Customer = defineModel({ table: 'customers', temporal: 'scd2', fields: { name: z.string().max(100) } })
const Contract = defineModel({
  table: 'contracts',
  temporal: 'scd2',
  fields: { customerId: z.uuid(), monthlyFee: field(z.string(), { precision: 10, scale: 2 }) },
})
const Category = defineModel({
  table: 'categories',
  fields: { name: z.string().max(100), parentId: z.uuid().nullable() },
})
declare const db: Database

describe('db.scoped', () => {
  it('types tables and columns from the models (camelCase record properties)', () => {
    const r = db.scoped([Customer, Contract], { tenantId: 'x' })
    const q = r
      .selectFrom('contracts')
      .innerJoin('customers', 'customers.id', 'contracts.customerId')
      .select(['customers.name', 'contracts.monthlyFee', 'contracts.validFrom'])
    expectTypeOf<Awaited<ReturnType<typeof q.execute>>>().toEqualTypeOf<
      { name: string; monthlyFee: string; validFrom: Date }[]
    >()
    // @ts-expect-error: not one of the models
    r.selectFrom('secrets')
    // @ts-expect-error: columns are record properties, not column names
    r.selectFrom('contracts').select('monthly_fee')
  })

  it('types a recursive CTE by its column list and the body that defines it', () => {
    const r = db.scoped([Category], { tenantId: 'x' })
    const q = r
      .withRecursive('tree(id, name)', (qb) =>
        qb
          .selectFrom('categories')
          .select(['id', 'name'])
          .where('parentId', 'is', null)
          .unionAll((eb) =>
            eb
              .selectFrom('categories')
              .innerJoin('tree', 'tree.id', 'categories.parentId')
              .select(['categories.id', 'categories.name']),
          ),
      )
      .selectFrom('tree')
      .select(['tree.id', 'tree.name'])
    expectTypeOf<Awaited<ReturnType<typeof q.execute>>>().toEqualTypeOf<{ id: string; name: string }[]>()
    // @ts-expect-error: a recursive CTE names its columns
    r.withRecursive('tree', (qb) => qb.selectFrom('categories').select('id'))
    // @ts-expect-error: only the listed columns exist while the body is defined
    r.withRecursive('tree(id)', (qb) => qb.selectFrom('tree').select('name'))
    // @ts-expect-error: not one of the models, inside the body too
    r.withRecursive('tree(id)', (qb) => qb.selectFrom('secrets').select('id'))
  })

  it('offers no writes', () => {
    const r = db.scoped([Customer], { tenantId: 'x' })
    // @ts-expect-error: read-only
    r.insertInto('customers')
    // @ts-expect-error: read-only
    r.updateTable('customers')
    // @ts-expect-error: read-only
    r.deleteFrom('customers')
    // @ts-expect-error: read-only
    r.mergeInto('customers')
  })

  it('types CTEs', () => {
    const r = db.scoped([Customer, Contract], { tenantId: 'x' })
    const q = r
      .with('fees', (qb) => qb.selectFrom('contracts').select(['customerId', 'monthlyFee']))
      .selectFrom('fees')
      .select('fees.monthlyFee')
    expectTypeOf<Awaited<ReturnType<typeof q.execute>>>().toEqualTypeOf<{ monthlyFee: string }[]>()
  })
})
