/**
 * An scd2 model: every change is a new immutable version; read any past instant with asOf.
 * Run: npx tsx examples/scd2-regulation.ts
 */

import { connect, defineModel, field, SchemaManager } from 'ff-storage'
import { z } from 'zod'

const Regulation = defineModel({
  table: 'regulations',
  temporal: 'scd2',
  fields: {
    code: field(z.string().max(20), { unique: true }),
    title: z.string().max(200),
    maxExposure: field(z.string(), { precision: 14, scale: 2 }),
  },
})

const regulatorId = '018f0000-0000-7000-8000-0000000000e1'
const db = await connect(process.argv[2])
try {
  await new SchemaManager(db).sync([Regulation])
  const regulations = db.repository(Regulation, { tenantId: regulatorId })

  const v1 = await regulations.create({ code: 'CAP-1', title: 'Capital buffer', maxExposure: '1000000' })
  await new Promise((r) => setTimeout(r, 5))
  const v2 = await regulations.update(v1.id, { maxExposure: '750000.50' }, { expectedVersion: 1 })

  const before = await regulations.get(v1.id, { asOf: new Date(v2.validFrom.getTime() - 1) })
  const after = await regulations.get(v1.id, { asOf: v2.validFrom })
  console.log(`before the change: ${before?.maxExposure} (version ${before?.version})`)
  console.log(`after the change:  ${after?.maxExposure} (version ${after?.version})`)
  console.log('diff:', await regulations.compareVersions(v1.id, 1, 2))
  const v3 = await regulations.revertTo(v1.id, 1)
  console.log(`reverted: version ${v3.version} has ${v3.maxExposure}`)
  for (const t of await regulations.getVersionTimeline(v1.id)) {
    console.log(
      `v${t.version} ${t.validFrom.toISOString()} → ${t.validTo?.toISOString() ?? 'now'}${t.isCurrent ? ' (current)' : ''}`,
    )
  }
} finally {
  await db.close()
}
