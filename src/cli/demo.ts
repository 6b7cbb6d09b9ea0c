import { connect, type Database, type Model, SchemaManager, serveStudio, sql } from '../index.js'
import { demoModels } from './demo-models.js'
import { painter, show, table } from './format.js'
import type { CliIo, Flags } from './run.js'
import { untilStopped } from './studio-command.js'

export { demoModels } from './demo-models.js'

const ACME = '0193a6f0-0000-7000-8000-00000000ac3e'
const GLOBEX = '0193a6f0-0000-7000-8000-0000000091be'
const ALICE = '0193a6f0-0000-7000-8000-0000000a11ce'
const BOB = '0193a6f0-0000-7000-8000-000000000b0b'
const NAMES: Record<string, string> = { [ACME]: 'Acme', [GLOBEX]: 'Globex', [ALICE]: 'alice', [BOB]: 'bob' }
const who = (id: unknown) => (typeof id === 'string' ? (NAMES[id] ?? id.slice(0, 8)) : '∅')
/** Values as a person reads them: known ids by name. */
const named = (v: unknown) => (typeof v === 'string' && NAMES[v] ? NAMES[v]! : show(v))

const pause = (ms = 15) => new Promise((resolve) => setTimeout(resolve, ms))

/** The guided tour: embedded PGlite unless `--url` names a server. */
export async function runDemo(flags: Flags, io: CliIo, signal?: AbortSignal): Promise<void> {
  const p = painter(flags.color)
  const out = (text = '') => io.stdout.write(`${text}\n`)
  const step = (n: number, title: string, note?: string) => {
    out()
    out(`${p.bold(p.cyan(`${n}. ${title}`))}${note ? p.dim(`  — ${note}`) : ''}`)
  }
  const started = Date.now()
  const db = await connect(flags.url)
  const server = flags.url !== undefined && !flags.url.startsWith('pglite:')
  const { Country, Customer, Contract } = demoModels(server ? 'ff_demo_' : 'demo_')
  const models: Model[] = [Country, Customer, Contract]
  try {
    const version = await db.queryOne<{ v: string }>(sql`select version() as v`)
    out(p.bold('ff-storage — guided tour'))
    out(
      p.dim(
        `engine: ${db.dialect.name} (${String(version?.v).split(' on ')[0]?.split(',')[0]})${server ? '' : ', embedded: no server, nothing to set up'}`,
      ),
    )
    if (server) await refuseExisting(db, models)

    step(1, 'Three models, one per temporal strategy')
    out(
      table(
        ['model', 'table', 'temporal', 'what is kept'],
        [
          ['Country', Country.def.table, 'none', 'timestamps and actors only'],
          ['Customer', Customer.def.table, 'copy_on_change', `field-level audit trail in ${Customer.def.table}_audit`],
          ['Contract', Contract.def.table, 'scd2', `immutable versions, closed ones in ${Contract.def.table}_history`],
        ],
      ),
    )

    step(2, 'Schema plan', 'SchemaManager.plan(models): nothing applied yet')
    const schema = new SchemaManager(db)
    const plan = await schema.plan(models)
    out(indent(plan.toString({ color: flags.color })))
    const result = await schema.sync(models)
    out()
    out(
      `  ${p.green('✓')} sync applied ${result.applied.length} changes; the next plan says: ${(await schema.plan(models)).toString()}`,
    )

    step(3, 'Two tenants, two users', 'every repository is scoped to a tenant')
    out(
      table(
        ['tenant', 'id', 'acting user'],
        [
          ['Acme', ACME, 'alice'],
          ['Globex', GLOBEX, 'bob'],
        ],
      ),
    )
    const countries = db.repository(Country, { userId: ALICE })
    const [de, fr] = await countries.createMany([
      { code: 'DE', name: 'Germany' },
      { code: 'FR', name: 'France' },
    ])
    const acme = db.repository(Customer, { tenantId: ACME, userId: ALICE })
    const globex = db.repository(Customer, { tenantId: GLOBEX, userId: BOB })
    const ada = await acme.create({
      email: 'ada@acme.example',
      name: 'Ada Lovelace',
      creditLimit: '1000',
      country: de!.id,
    })
    await globex.create({ email: 'grace@globex.example', name: 'Grace Hopper', creditLimit: '500', country: fr!.id })
    NAMES[de!.id] = 'DE (country)'
    NAMES[fr!.id] = 'FR (country)'
    NAMES[ada.id] = 'Ada (customer)'
    out(
      `  Acme created ${p.bold(ada.name)} (tier ${ada.tier}, credit ${ada.creditLimit}); Globex created Grace Hopper.`,
    )

    step(4, 'copy_on_change: who changed which field, from what to what, when')
    await pause()
    await acme.update(ada.id, { tier: 'pro', creditLimit: '2500.5' })
    await pause()
    const beforeBob = new Date()
    await pause()
    await acme.update(ada.id, { preferences: { language: 'en', newsletter: true } }, { userId: BOB })
    await pause()
    const noop = await acme.update(ada.id, {
      creditLimit: '2500.50',
      preferences: { newsletter: true, language: 'en' },
    })
    out(
      `  An update with equal values (JSON keys reordered, '2500.50' for 2500.5) writes nothing: updatedAt stays ${show(noop.updatedAt)}.`,
    )
    const trail = await acme.getAuditHistory(ada.id)
    out()
    out(
      table(
        ['when (UTC)', 'who', 'operation', 'field', 'old → new'],
        trail.map((e) => [
          show(e.changedAt),
          who(e.changedBy),
          e.operation,
          e.fieldName ?? '',
          `${named(e.oldValue)} → ${named(e.newValue)}`,
        ]),
      ),
    )

    step(5, "A field's history", "getFieldHistory(id, 'creditLimit')")
    out(
      table(
        ['when (UTC)', 'who', 'value'],
        (await acme.getFieldHistory(ada.id, 'creditLimit')).map((e) => [
          show(e.changedAt),
          who(e.changedBy),
          show(e.newValue),
        ]),
      ),
    )

    step(6, 'A past state, rebuilt from the trail', `getStateAt(id, ${show(beforeBob)})`)
    const past = await acme.getStateAt(ada.id, beforeBob)
    const now = await acme.get(ada.id)
    out(
      table(
        ['field', 'then', 'now'],
        (['tier', 'creditLimit', 'preferences', 'updatedBy'] as const).map((k) => [
          k,
          k === 'updatedBy' ? who(past?.[k]) : show(past?.[k]),
          k === 'updatedBy' ? who(now?.[k]) : show(now?.[k]),
        ]),
      ),
    )

    step(7, 'scd2: versions and time travel')
    const contracts = db.repository(Contract, { tenantId: ACME, userId: ALICE })
    const c1 = await contracts.create({
      title: 'Support plan',
      customerId: ada.id,
      monthlyFee: '99',
      terms: { noticeDays: 30, autoRenew: true },
    })
    await pause()
    const c2 = await contracts.update(
      c1.id,
      { monthlyFee: '149', terms: { noticeDays: 60, autoRenew: true } },
      { userId: BOB, expectedVersion: 1 },
    )
    const justBefore = new Date(c2.validFrom.getTime() - 1)
    const beforeCreation = new Date(c1.validFrom.getTime() - 1)
    const none = await contracts.get(c1.id, { asOf: beforeCreation })
    const then = await contracts.get(c1.id, { asOf: justBefore })
    const after = await contracts.get(c1.id, { asOf: c2.validFrom })
    out(
      table(
        ['asOf (UTC)', 'version', 'monthlyFee', 'noticeDays'],
        [
          [show(beforeCreation), show(none?.version), `${show(none)} (not created yet)`, ''],
          [show(justBefore), String(then?.version), show(then?.monthlyFee), show(then?.terms.noticeDays)],
          [show(c2.validFrom), String(after?.version), show(after?.monthlyFee), show(after?.terms.noticeDays)],
        ],
      ),
    )
    const stale = await contracts.update(c1.id, { monthlyFee: '1' }, { expectedVersion: 1 }).catch((e: unknown) => e)
    out(`  An update expecting version 1 now fails with ${p.yellow((stale as Error).name)}: optimistic locking.`)

    step(8, 'Compare versions, then revert', 'compareVersions(id, 1, 2) and revertTo(id, 1)')
    const diff = await contracts.compareVersions(c1.id, 1, 2)
    out(
      table(
        ['field', 'version 1', 'version 2', 'changed'],
        Object.entries(diff).map(([k, d]) => [k, named(d.old), named(d.new), d.changed ? p.yellow('yes') : 'no']),
      ),
    )
    await pause()
    const reverted = await contracts.revertTo(c1.id, 1)
    out()
    out(
      `  revertTo(1) wrote version ${reverted.version} with version 1's data (fee ${reverted.monthlyFee}); history is never rewritten:`,
    )
    out(
      table(
        ['version', 'valid from', 'valid to', 'current', 'fee'],
        (await contracts.getVersionHistory(c1.id)).map((v) => [
          String(v.version),
          show(v.validFrom),
          show(v.validTo),
          v.validTo === null ? 'yes' : '',
          v.monthlyFee,
        ]),
      ),
    )

    step(9, 'Soft delete and restore')
    await acme.delete(ada.id)
    out(
      `  delete → get(id) is ${show(await acme.get(ada.id))}; with includeDeleted the record is still there (deletedAt ${show((await acme.get(ada.id, { includeDeleted: true }))?.deletedAt)}).`,
    )
    await acme.restore(ada.id)
    out(
      `  restore → ${(await acme.get(ada.id))?.name} is back; the trail ends with ${(await acme.getAuditHistory(ada.id))
        .slice(-2)
        .map((e) => e.operation)
        .join(', ')}.`,
    )

    step(10, 'Tenant isolation', "Globex's scope cannot see Acme's rows")
    out(
      table(
        ['call from Globex', 'result'],
        [
          [`get(<Acme's customer>)`, show(await globex.get(ada.id))],
          [`list({ where: { tenantId: Acme } })`, `${(await globex.list({ where: { tenantId: ACME } })).length} rows`],
          [`getAuditHistory(<Acme's customer>)`, `${(await globex.getAuditHistory(ada.id)).length} entries`],
          [
            `update(<Acme's customer>, …)`,
            await globex.update(ada.id, { name: 'x' }).then(
              () => 'updated?!',
              (e: Error) => e.name,
            ),
          ],
        ],
      ),
    )
    out()
    out(
      p.green(
        `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Next: docs/quickstart.md, and examples/ for runnable programs.`,
      ),
    )
    out(
      `Browse your own records' history: ${p.bold('npx ff-storage studio --models ./src/models.ts --url $DATABASE_URL')} (docs/studio.md)`,
    )
    if (flags.studio) {
      // the tour's records in the history studio, until Ctrl-C (on a server the tables are dropped after it)
      const studio = await serveStudio(db, models, { tenants: [ACME, GLOBEX] })
      out(`The tour's records in the history studio: ${p.bold(studio.url)}  (Ctrl-C stops it)`)
      await untilStopped(signal)
      await studio.close()
    } else {
      // from a clone of this repository (npm run demo) npx would look for the package elsewhere
      const npmRun = (io.env ?? process.env).npm_lifecycle_event === 'demo'
      out(
        `See the tour's records in the history studio: ${p.bold(npmRun ? 'npm run demo -- --studio' : 'npx ff-storage demo --studio')}`,
      )
    }
  } finally {
    if (server) await dropDemoTables(db, models).catch(() => {})
    await db.close()
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')

/** On a server the tour uses ff_demo_* tables: refuse to touch any that exist already. */
async function refuseExisting(db: Database, models: Model[]): Promise<void> {
  const plan = await new SchemaManager(db).plan(models)
  const creates = plan.changes.filter((c) => c.kind === 'createTable').length
  const expected = models.length + 2
  if (creates !== expected) {
    throw new Error(
      'ff_demo_* tables already exist in this database; run the tour on an empty database or drop them first',
    )
  }
}

async function dropDemoTables(db: Database, models: Model[]): Promise<void> {
  for (const m of [...models].reverse()) {
    for (const suffix of ['_history', '_audit', '']) {
      await db.execute(sql`drop table if exists ${sql.id(`${m.def.table}${suffix}`)}`)
    }
  }
}
