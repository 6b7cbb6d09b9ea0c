import { SchemaManager } from './src/index.js'
import { ACTOR, freshDatabase, models, TENANT } from './bench/common.js'
const { db, drop } = await freshDatabase('postgres')
await new SchemaManager(db).sync([models.none])
const repo = db.repository(models.none, { tenantId: TENANT, userId: ACTOR })
const r = await repo.create({ name: 'a', age: 1, price: '1' })
for (let i = 0; i < 200; i++) await repo.get(r.id)
const c0 = process.cpuUsage(); const t0 = performance.now()
for (let i = 0; i < 3000; i++) await repo.get(r.id)
const c = process.cpuUsage(c0)
console.log('get: cpu µs/op', ((c.user + c.system) / 3000).toFixed(1), 'wall ms/op', ((performance.now() - t0) / 3000).toFixed(3))
await drop()
