import { afterAll, beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { mysqlTestHooks } from '../../src/db/drivers/mysql.js'
import { type Database, defineModel, field, SchemaManager, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'

// Sessions run with the library's settings whatever the server, role or database is configured
// with: a database whose defaults are odd (PostgreSQL: ALTER DATABASE … SET; MariaDB: the session's
// sql_mode, set before the library's setup through a test hook, never globally) reads and writes
// the same values and plans no phantom changes.

const BACKSLASH = 'a\\b' // a, one backslash, b

const fields = {
  at: z.date(),
  day: z.iso.date(),
  ratio: z.number(),
  note: z.string().max(20).default(BACKSLASH),
  kind: z.enum([BACKSLASH, 'plain']),
  // CHAR(n): PostgreSQL pads it by definition (bpchar); MySQL/MariaDB strip the padding on read
  // unless PAD_CHAR_TO_FULL_LENGTH, so it is a varchar there too
  code: z.string().max(5),
}
const Odd = defineModel({ table: 'session_odd', temporal: 'copy_on_change', fields })
const OddChar = defineModel({
  table: 'session_odd',
  temporal: 'copy_on_change',
  fields: { ...fields, code: field(z.string().max(5), { type: 'CHAR(5)' }) },
})

const input = {
  at: new Date('2026-03-04T05:06:07.089Z'),
  day: '2026-03-04',
  ratio: 0.1 + 0.2,
  kind: BACKSLASH as typeof BACKSLASH | 'plain',
  code: 'ab',
}

async function roundTrip(db: Database, model: typeof Odd): Promise<void> {
  const schema = new SchemaManager(db)
  await schema.sync([model])
  const plan = await schema.plan([model])
  expect(plan.changes.map((c) => c.description)).toEqual([])
  const repo = db.repository(model, { tenantId: T1, userId: U1 })
  const created = await repo.create(input)
  expect(created.note).toBe(BACKSLASH)
  const read = await repo.get(created.id)
  expect(read).toMatchObject({ ...input, note: BACKSLASH })
  expect(read?.ratio).toBe(0.30000000000000004)
  expect(read?.createdAt).toBeInstanceOf(Date)
  expect(Number.isNaN(read?.createdAt.getTime())).toBe(false)
  // the stored default is one backslash, as the model says
  const raw = await db.queryOne<{ note: string; kind: string }>(
    sql`select note, kind from ${sql.id('session_odd')} where id = ${created.id}`,
  )
  expect(raw).toEqual({ note: BACKSLASH, kind: BACKSLASH })
  // the same CHAR(5) value again is no change, and a filter on it finds the record
  await repo.update(created.id, { code: 'ab', kind: 'plain' })
  await repo.update(created.id, { kind: BACKSLASH })
  const updates = (await repo.getAuditHistory(created.id)).filter((e) => e.operation === 'UPDATE')
  expect(updates.map((e) => e.fieldName)).toEqual(['kind', 'kind'])
  expect((await repo.list({ where: { code: 'ab' } })).map((r) => r.id)).toEqual([created.id])
}

describeEngines(
  'a database whose defaults change DateStyle, float digits and string escapes',
  (ctx) => {
    let db: Database
    beforeAll(async () => {
      const name = new URL(ctx.url!).pathname.slice(1)
      for (const setting of [
        "DateStyle = 'SQL, DMY'",
        "IntervalStyle = 'sql_standard'",
        'extra_float_digits = 0',
        'standard_conforming_strings = off',
      ]) {
        await ctx.db.execute(sql`alter database ${sql.id(name)} set ${sql.raw(setting)}`)
      }
      db = await ctx.open({ pool: { max: 1 } })
    })

    it('runs every session with ISO dates, all float digits and standard strings', async () => {
      const row = await db.queryOne<Record<string, string>>(
        sql`select current_setting('DateStyle') as ds, current_setting('IntervalStyle') as iv,
                   current_setting('extra_float_digits') as efd, current_setting('standard_conforming_strings') as scs,
                   (0.1::float8 + 0.2::float8) as f, date '2026-03-04' as d`,
      )
      expect(row).toMatchObject({ ds: 'ISO, MDY', iv: 'postgres', efd: '3', scs: 'on', f: 0.30000000000000004 })
      expect(row?.d).toBe('2026-03-04')
    })

    it('round-trips instants, dates, floats, a backslash default and enum, with an empty plan after sync', () =>
      roundTrip(db, Odd))

    it('a transaction runs with the settings even on a connection whose session lost them (transaction-mode pooler)', async () => {
      // the configuration a transaction-mode pooler needs (preparedStatements: false): every BEGIN
      // carries the settings, since the session may be another client's
      const pooled = await ctx.open({ pool: { max: 1 }, preparedStatements: false })
      await pooled.execute(sql`reset all`) // back to the database's defaults, as another server connection would be
      expect((await pooled.queryOne<{ ds: string }>(sql`select current_setting('DateStyle') as ds`))?.ds).toBe(
        'SQL, DMY',
      )
      const inside = await pooled.transaction((tx) =>
        tx.queryOne<{ ds: string; scs: string }>(
          sql`select current_setting('DateStyle') as ds, current_setting('standard_conforming_strings') as scs`,
        ),
      )
      expect(inside).toEqual({ ds: 'ISO, MDY', scs: 'on' })
    })
  },
  (id) => id === 'postgres',
)

describeEngines(
  'a MariaDB session whose sql_mode escapes no backslashes, pads CHAR(n) and concatenates with ||',
  (ctx) => {
    let db: Database
    const odd = 'NO_BACKSLASH_ESCAPES,PAD_CHAR_TO_FULL_LENGTH,PIPES_AS_CONCAT,EMPTY_STRING_IS_NULL'
    beforeAll(async () => {
      mysqlTestHooks.onNewConnection = (conn) => {
        conn.query(`set session sql_mode = concat(@@sql_mode, ',${odd}')`, () => {})
      }
      db = await ctx.open({ pool: { max: 1 } })
    })
    afterAll(() => {
      mysqlTestHooks.onNewConnection = undefined
    })

    it('runs without the modes that change what generated SQL means, with ANSI_QUOTES', async () => {
      const mode = (await db.queryOne<{ m: string }>(sql`select @@session.sql_mode as m`))?.m.split(',') ?? []
      for (const m of odd.split(',')) expect(mode).not.toContain(m)
      expect(mode).toEqual(expect.arrayContaining(['ANSI_QUOTES', 'STRICT_ALL_TABLES']))
      // || is OR, not concatenation
      expect(await db.queryOne(sql`select concat('x', 0 || 1) as o`)).toEqual({ o: 'x1' })
    })

    it('round-trips CHAR(5), a backslash default and enum, with an empty plan after sync', () =>
      roundTrip(db, OddChar as unknown as typeof Odd))
  },
  (id) => id === 'mariadb',
)
