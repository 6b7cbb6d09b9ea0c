import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, SchemaManager } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1 } from '../helpers/fixtures.js'

const Notes = defineModel({ table: 'long_notes', fields: { body: z.string() } })

/** Regression: an unbounded z.string() was TEXT on MySQL/MariaDB, which holds 64 KB. */
describeEngines('unbounded strings', (ctx) => {
  beforeAll(() => new SchemaManager(ctx.db).sync([Notes]))

  it('store and read back 16 MB (16,000,000 characters) on every engine', async () => {
    const notes = ctx.db.repository(Notes, { tenantId: T1 })
    const body = 'x'.repeat(15_999_999) + 'y'
    const created = await notes.create({ body })
    expect(created.body.length).toBe(16_000_000)
    const read = await notes.get(created.id)
    expect(read?.body.length).toBe(16_000_000)
    expect(read?.body.endsWith('xy')).toBe(true)
    expect((await new SchemaManager(ctx.db).plan([Notes])).isEmpty).toBe(true)
  })
})
