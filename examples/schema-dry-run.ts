/**
 * The schema manager: plan (a dry run), apply what is safe, leave destructive changes pending.
 * Run: npx tsx examples/schema-dry-run.ts
 */

import { connect, defineModel, SchemaManager } from 'ff-storage'
import { z } from 'zod'

const v1 = defineModel({
  table: 'products',
  multiTenant: false,
  fields: { name: z.string().max(50), legacyCode: z.string().max(10).optional() },
})
const v2 = defineModel({
  table: 'products',
  multiTenant: false,
  fields: { name: z.string().max(200), price: z.string().default('0') },
})

const db = await connect(process.argv[2])
try {
  const schema = new SchemaManager(db)
  await schema.sync([v1])

  const dry = await schema.sync([v2], { dryRun: true })
  console.log(`dry run: ${dry.changes.length} changes, ${dry.applied.length} applied`)
  console.log((await schema.plan([v2])).toString())

  const result = await schema.sync([v2])
  console.log(
    `applied ${result.applied.length}; pending (destructive): ${result.pending.map((c) => c.description).join('; ')}`,
  )

  await schema.sync([v2], { allowDestructive: true })
  console.log((await schema.plan([v2])).toString())
} finally {
  await db.close()
}
