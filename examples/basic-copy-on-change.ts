/**
 * A copy_on_change model: every change is recorded field by field.
 * Run: npx tsx examples/basic-copy-on-change.ts
 */

import { connect, defineModel, field, SchemaManager } from 'ff-storage'
import { z } from 'zod'

const User = defineModel({
  table: 'users',
  temporal: 'copy_on_change',
  fields: {
    email: field(z.email().max(255), { unique: true }),
    name: z.string().max(255),
    age: z.int().min(0).max(150),
    role: field(z.string().max(50).default('user'), { index: true }),
  },
})

const orgId = '018f0000-0000-7000-8000-000000000001'
const adminId = '018f0000-0000-7000-8000-0000000000ad'

const db = await connect(process.argv[2]) // embedded PGlite unless a URL is given
try {
  await new SchemaManager(db).sync([User])
  const users = db.repository(User, { tenantId: orgId, userId: adminId })

  const ada = await users.create({ email: 'ada@example.com', name: 'Ada', age: 36 })
  await users.update(ada.id, { age: 37, role: 'admin' })
  await users.update(ada.id, { age: 37 }) // nothing changes, nothing is written

  for (const e of await users.getAuditHistory(ada.id)) {
    console.log(
      `${e.changedAt.toISOString()} ${e.operation.padEnd(6)} ${String(e.fieldName).padEnd(5)} ${JSON.stringify(e.oldValue)} → ${JSON.stringify(e.newValue)}`,
    )
  }
  const atCreation = await users.getStateAt(ada.id, ada.createdAt)
  console.log('age at creation:', atCreation?.age, '— now:', (await users.get(ada.id))?.age)
} finally {
  await db.close()
}
