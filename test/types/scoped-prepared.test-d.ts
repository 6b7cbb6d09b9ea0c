import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { type Database, defineModel, field, type PreparedScopedQuery } from '../../src/index.js'

const Customer = defineModel({ table: 'customers', temporal: 'scd2', fields: { name: z.string().max(100) } })
const Contract = defineModel({
  table: 'contracts',
  temporal: 'scd2',
  fields: { customerId: z.uuid(), monthlyFee: field(z.string(), { precision: 10, scale: 2 }), seats: z.int() },
})
declare const db: Database

describe('db.prepareScoped', () => {
  it('types the rows from the query and the arguments from their Zod schemas', async () => {
    const q = db.prepareScoped([Customer, Contract], { customerId: z.uuid(), minSeats: z.int() }, (s, a) =>
      s
        .selectFrom('contracts')
        .innerJoin('customers', 'customers.id', 'contracts.customerId')
        .select(['customers.name', 'contracts.monthlyFee', 'contracts.validFrom'])
        .where('contracts.customerId', '=', a.customerId)
        .where('contracts.seats', '>=', a.minSeats),
    )
    expectTypeOf(q).toEqualTypeOf<
      PreparedScopedQuery<
        { customerId: z.ZodUUID; minSeats: z.ZodInt },
        { name: string; monthlyFee: string; validFrom: Date }
      >
    >()
    const rows = await q.execute({ tenantId: 'x' }, { customerId: 'c', minSeats: 2 })
    expectTypeOf(rows).toEqualTypeOf<{ name: string; monthlyFee: string; validFrom: Date }[]>()
    // @ts-expect-error: an argument is missing
    await q.execute({ tenantId: 'x' }, { customerId: 'c' })
    // @ts-expect-error: an argument has the wrong type
    await q.execute({ tenantId: 'x' }, { customerId: 'c', minSeats: '2' })
    // @ts-expect-error: an argument that was not declared
    await q.execute({ tenantId: 'x' }, { customerId: 'c', minSeats: 2, extra: 1 })
    // @ts-expect-error: the arguments are required
    await q.execute({ tenantId: 'x' })
    // @ts-expect-error: not a scope option
    await q.execute({ tenant: 'x' }, { customerId: 'c', minSeats: 2 })
  })

  it('checks an argument against the column it is compared with', () => {
    db.prepareScoped([Contract], { seats: z.int() }, (s, a) =>
      s.selectFrom('contracts').select('id').where('seats', '=', a.seats),
    )
    db.prepareScoped([Contract], { seats: z.string() }, (s, a) =>
      // @ts-expect-error: a string argument where the column is a number
      s.selectFrom('contracts').select('id').where('seats', '=', a.seats),
    )
    db.prepareScoped([Contract], { seats: z.int() }, (s, a) =>
      // @ts-expect-error: an argument that was not declared
      s.selectFrom('contracts').select('id').where('seats', '=', a.other),
    )
    // @ts-expect-error: not one of the models
    db.prepareScoped([Contract], {}, (s) => s.selectFrom('customers').select('id'))
  })

  it('a query without arguments runs with the scope alone; .on(tx) keeps the types', async () => {
    const q = db.prepareScoped([Customer], {}, (s) => s.selectFrom('customers').select(['id', 'name']))
    expectTypeOf(await q.execute({ tenantId: 'x' })).toEqualTypeOf<{ id: string; name: string }[]>()
    await db.transaction(async (tx) => {
      expectTypeOf(await q.on(tx).execute({ tenantIds: ['x', 'y'] })).toEqualTypeOf<{ id: string; name: string }[]>()
    })
  })
})
