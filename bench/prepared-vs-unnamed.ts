/**
 * npx tsx bench/prepared-vs-unnamed.ts [--rounds N]
 *
 * The library against itself on PostgreSQL: the same repository calls with prepared statements
 * (the default) and with `preparedStatements: false` (every statement sent unnamed, parsed and
 * planned per call), on one database, ABBA-alternated. Prints p50 ms and the ratio.
 */
import { connect, SchemaManager } from '../src/index.js'
import { ACTOR, freshDatabase, models, TENANT } from './common.js'
import { abba } from './harness.js'

const args = process.argv.slice(2)
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 60
const { db: on, url, drop } = await freshDatabase('postgres')
const off = await connect({ url: url!, preparedStatements: false })
try {
  await new SchemaManager(on).sync(Object.values(models))
  console.log('| operation | prepared p50 ms | unnamed p50 ms | ratio |\n|---|---|---|---|')
  for (const [strategy, Model] of Object.entries(models)) {
    const a = on.repository(Model, { tenantId: TENANT, userId: ACTOR })
    const b = off.repository(Model, { tenantId: TENANT, userId: ACTOR })
    const r = await a.create({ name: 'x', age: 1, price: '1' })
    for (const [name, fa, fb] of [
      ['update', (i: number) => a.update(r.id, { age: i % 1000 }), (i: number) => b.update(r.id, { age: i % 1000 })],
      ['get by id', () => a.get(r.id), () => b.get(r.id)],
    ] as const) {
      const c = await abba(name, fa, fb, { rounds })
      console.log(
        `| ${name} [${strategy}] | ${c.library.median.toFixed(3)} | ${c.handWritten.median.toFixed(3)} | ${c.ratio.toFixed(2)} |`,
      )
    }
  }
} finally {
  await off.close()
  await drop()
}
