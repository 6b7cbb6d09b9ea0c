import { expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, SchemaManager, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'

/** A model's `schema` option: a PostgreSQL schema (created by sync); ignored on MySQL/MariaDB. */
const Parent = defineModel({
  table: 'ledgers',
  schema: 'ff_reporting',
  multiTenant: false,
  softDelete: false,
  fields: { name: z.string().max(20) },
})
const Entry = defineModel({
  table: 'entries',
  schema: 'ff_reporting',
  temporal: 'scd2',
  fields: {
    ledgerId: field(z.uuid(), { references: { model: () => Parent }, onDelete: 'RESTRICT' }),
    amount: field(z.string(), { precision: 10, scale: 2 }),
  },
})

describeEngines('models in a named schema', (ctx) => {
  const pg = ctx.family === 'postgres'

  it('creates the schema and its tables, then plans nothing, and reads and writes there', async () => {
    const manager = new SchemaManager(ctx.db)
    const first = await manager.plan([Parent, Entry])
    const kinds = first.changes.map((c) => `${c.kind} ${c.object}`)
    expect(kinds).toEqual([
      ...(pg ? ['createSchema ff_reporting'] : []),
      `createTable ${pg ? 'ff_reporting.' : ''}ledgers`,
      `createTable ${pg ? 'ff_reporting.' : ''}entries`,
      `createTable ${pg ? 'ff_reporting.' : ''}entries_history`,
      'addForeignKey entries_ledger_id_fkey',
    ])
    await manager.sync([Parent, Entry])
    expect((await manager.plan([Parent, Entry])).changes).toEqual([])

    const ledger = await ctx.db.repository(Parent).create({ name: 'main' })
    const entries = ctx.db.repository(Entry, { tenantId: T1, userId: U1 })
    const e = await entries.create({ ledgerId: ledger.id, amount: '5' })
    await entries.update(e.id, { amount: '6' })
    expect((await entries.get(e.id, { asOf: e.validFrom }))?.amount).toBe('5.00')
    expect((await entries.list()).map((x) => x.amount)).toEqual(['6.00'])

    type Row = { s: string; t: string }
    const where = pg
      ? sql<Row>`select table_schema as s, table_name as t from information_schema.tables where table_name in ('ledgers', 'entries', 'entries_history') order by table_name`
      : sql<Row>`select table_schema as s, table_name as t from information_schema.tables where table_schema = database() and table_name in ('ledgers', 'entries', 'entries_history') order by table_name`
    const tables = await ctx.db.query(where)
    expect(tables.map((r) => r.t)).toEqual(['entries', 'entries_history', 'ledgers'])
    if (pg) expect(new Set(tables.map((r) => r.s))).toEqual(new Set(['ff_reporting']))
  })
})
