/**
 * A multi-tenant service: strict scopes per request, and a permissive admin scope over a list of
 * tenants. A scope can be narrowed by a filter, never widened.
 * Run: npx tsx examples/multi-tenant-service.ts
 */

import { connect, type Database, defineModel, field, SchemaManager, TenantIsolationError } from 'ff-storage'
import { z } from 'zod'

const Invoice = defineModel({
  table: 'invoices',
  temporal: 'copy_on_change',
  fields: {
    number: field(z.string().max(20), { unique: true }),
    amount: field(z.string(), { precision: 12, scale: 2 }),
    status: z.enum(['draft', 'sent', 'paid']).default('draft'),
  },
})

const acme = '018f0000-0000-7000-8000-00000000ac3e'
const globex = '018f0000-0000-7000-8000-0000000091be'
const initech = '018f0000-0000-7000-8000-000000001e7c'
const support = '018f0000-0000-7000-8000-00000000005e'

/** What a request handler gets: a repository bound to the caller's tenant. */
const invoicesFor = (db: Database, tenantId: string, userId: string) => db.repository(Invoice, { tenantId, userId })

const db = await connect(process.argv[2])
try {
  await new SchemaManager(db).sync([Invoice])
  await invoicesFor(db, acme, support).create({ number: 'A-1', amount: '100' })
  await invoicesFor(db, globex, support).create({ number: 'G-1', amount: '250.5' })
  await invoicesFor(db, initech, support).create({ number: 'I-1', amount: '75' })

  const acmeInvoices = await invoicesFor(db, acme, support).list({ where: { tenantId: globex } })
  console.log(`acme asking for globex's invoices gets ${acmeInvoices.length}`)

  const admin = db.repository(Invoice, { tenantIds: [acme, globex], userId: support })
  const seen = await admin.list({ orderBy: { number: 'asc' } })
  console.log(`admin over acme+globex sees: ${seen.map((i) => i.number).join(', ')}`)
  const g1 = seen.find((i) => i.number === 'G-1')!
  console.log(`admin marks G-1 paid: ${(await admin.update(g1.id, { status: 'paid' })).status}`)

  const refused = await admin.create({ number: 'X-1', amount: '1', tenantId: initech }).catch((e: unknown) => e)
  console.log(
    `creating for a tenant outside the scope: ${(refused as Error).name} (${refused instanceof TenantIsolationError})`,
  )
} finally {
  await db.close()
}
