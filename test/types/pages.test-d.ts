import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { type Database, defineModel, type ModelRecord, type Page } from '../../src/index.js'

const Item = defineModel({ table: 'items', fields: { name: z.string(), n: z.int().optional() } })
declare const db: Database

describe('page() and stream() types', () => {
  it('returns typed records and an opaque cursor', async () => {
    const repo = db.repository(Item, { tenantId: 't' })
    const page = await repo.page({ where: { n: { gt: 1 } }, orderBy: [{ n: 'desc' }, { name: 'asc' }], limit: 10 })
    expectTypeOf(page).toEqualTypeOf<Page<typeof Item>>()
    expectTypeOf(page.records).toEqualTypeOf<ModelRecord<typeof Item>[]>()
    expectTypeOf(page.next).toEqualTypeOf<string | null>()
    await repo.page({ after: page.next })
    for await (const item of repo.stream({ batchSize: 100 }))
      expectTypeOf(item).toEqualTypeOf<ModelRecord<typeof Item>>()
    // @ts-expect-error unknown sort key
    await repo.page({ orderBy: { nope: 'asc' } })
    // @ts-expect-error unknown filter key
    await repo.page({ where: { nope: 1 } })
  })
})
