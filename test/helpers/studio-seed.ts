import { demoModels } from '../../src/cli/demo.js'
import type { Database, Model } from '../../src/index.js'
import { createTables } from './models.js'

export const ACME = '0193a6f0-0000-7000-8000-00000000ac3e'
export const GLOBEX = '0193a6f0-0000-7000-8000-0000000091be'
export const ALICE = '0193a6f0-0000-7000-8000-0000000a11ce'
export const BOB = '0193a6f0-0000-7000-8000-000000000b0b'
export const OPERATOR = '0193a6f0-0000-7000-8000-0000000000f0'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The studio's test data: 60 Acme customers (three pages of 25), Ada changed twice (by alice, then
 * bob), a deleted customer, a contract with three versions and a deleted contract; Globex has one of
 * each. `gapMs` separates the changes so that a slider position falls between them.
 */
export async function seedStudio(db: Database, prefix: string, gapMs = 600) {
  const { Country, Customer, Contract } = demoModels(prefix)
  const models: Model[] = [Country, Customer, Contract]
  await createTables(db, models)
  const acme = db.repository(Customer, { tenantId: ACME, userId: ALICE })
  const globex = db.repository(Customer, { tenantId: GLOBEX, userId: BOB })
  const ada = await acme.create({ email: 'ada@acme.example', name: 'Ada Lovelace', creditLimit: '1000', country: null })
  await acme.createMany(
    Array.from({ length: 59 }, (_, i) => ({
      email: `c${i}@acme.example`,
      name: `Customer ${i}`,
      creditLimit: `${i}`,
      country: null,
    })),
  )
  const gone = await acme.create({ email: 'gone@acme.example', name: 'Gone Away', creditLimit: '5', country: null })
  await acme.delete(gone.id)
  const grace = await globex.create({
    email: 'grace@globex.example',
    name: 'Grace Hopper',
    creditLimit: '500',
    country: null,
  })
  const contracts = db.repository(Contract, { tenantId: ACME, userId: ALICE })
  const deal = await contracts.create({
    title: 'Support',
    customerId: ada.id,
    monthlyFee: '100.00',
    terms: { noticeDays: 30, autoRenew: true },
  })
  const closed = await contracts.create({
    title: 'Old deal',
    customerId: ada.id,
    monthlyFee: '10.00',
    terms: { noticeDays: 7, autoRenew: false },
  })
  await contracts.delete(closed.id)
  await db.repository(Contract, { tenantId: GLOBEX, userId: BOB }).create({
    title: 'Globex deal',
    customerId: grace.id,
    monthlyFee: '1.00',
    terms: { noticeDays: 1, autoRenew: false },
  })
  await pause(gapMs)
  const changedAt = new Date()
  await acme.update(ada.id, { name: 'Ada King', tier: 'pro' })
  await contracts.update(deal.id, { monthlyFee: '120.00' })
  await pause(gapMs)
  await acme.update(ada.id, { creditLimit: '2500.50' }, { userId: BOB })
  await contracts.update(deal.id, { title: 'Premium support' }, { userId: BOB })
  await pause(gapMs)
  return { models, Customer, Contract, ada, gone, grace, deal, closed, changedAt }
}
