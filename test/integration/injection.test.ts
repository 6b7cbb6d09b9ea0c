import { beforeAll, expect, it } from 'vitest'
import { type Database, sql, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, T2 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** Values that break out of a string literal when an escaper and the server disagree on backslashes. */
const HOSTILE = [
  "\\') OR 1=1 -- ",
  "\\' OR 1=1 -- ",
  "x' OR '1'='1",
  "\\\\' OR 1=1 #",
  "'; DROP TABLE audited_users; --",
  '\u0027 OR 1=1 /*',
]

/**
 * Values reach the server as bound parameters, whatever the session's SQL mode: a server or session
 * in NO_BACKSLASH_ESCAPES reads a client-side escaper's `\'` as a backslash and a closing quote.
 */
describeEngines('injection through values', (ctx) => {
  let db: Database
  beforeAll(async () => {
    await createTables(ctx.db, [Audited])
    await ctx.db.repository(Audited, { tenantId: T1 }).create(sample(1))
    await ctx.db.repository(Audited, { tenantId: T2 }).create(sample(2))
    if (ctx.family === 'mysql') {
      // one connection, switched to the mode the escaper does not know about
      db = await ctx.open({ pool: { min: 0, max: 1 } })
      await db.execute(sql`SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')`)
      const [mode] = await db.query<{ m: string }>(sql`SELECT @@SESSION.sql_mode AS m`)
      expect(mode?.m).toContain('NO_BACKSLASH_ESCAPES')
    } else {
      db = ctx.db
    }
  })

  it('a hostile where value finds nothing and leaks no other tenant', async () => {
    const users = db.repository(Audited, { tenantId: T1 })
    for (const value of HOSTILE) {
      expect(await users.list({ where: { name: value } })).toEqual([])
      expect(await users.list({ where: { name: { like: value } } })).toEqual([])
      expect(await users.list({ where: { name: [value, `${value}2`] } })).toEqual([])
      expect(await users.count({ where: { name: { ne: value } } })).toBe(1)
    }
  })

  it('hostile values are stored and read back verbatim', async () => {
    const users = db.repository(Audited, { tenantId: T1 })
    for (const [i, value] of HOSTILE.entries()) {
      const created = await users.create(sample(100 + i, { name: value }))
      expect(created.name).toBe(value)
      const found = await users.list({ where: { name: value } })
      expect(found.map((u) => u.id)).toEqual([created.id])
      const [row] = await db.query<{ name: string }>(
        sql`select name from audited_users where id = ${created.id} and name = ${value}`,
      )
      expect(row?.name).toBe(value)
    }
    const other = await db.repository(Audited, { tenantId: T2 }).list()
    expect(other.map((u) => u.tenantId)).toEqual([T2])
  })

  it('the sql tag binds hostile values too', async () => {
    for (const value of HOSTILE) {
      const rows = await db.query(sql`select id from audited_users where name = ${value}`)
      expect(rows.length).toBeLessThanOrEqual(1)
      const leaked = await db.query(sql`select id from audited_users where tenant_id = ${T1} and name = ${value}`)
      for (const r of leaked) expect(r).toBeDefined()
      const [n] = await db.query<{ n: unknown }>(
        sql`select count(*) as n from audited_users where tenant_id = ${T2} and name = ${value}`,
      )
      expect(Number(n?.n)).toBe(0)
    }
  })

  it('non-finite numbers are values or a ValidationError, never SQL text', async () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      if (ctx.family === 'mysql') {
        await expect(db.query(sql`select ${value} as v`)).rejects.toBeInstanceOf(ValidationError)
      } else {
        const [row] = await db.query<{ v: unknown }>(sql`select ${value}::float8 as v`)
        expect(Number(row?.v)).toBe(value)
      }
    }
  })

  it('a NUL in SQL text (sql.id, sql.raw) is a ValidationError before anything is sent, never retried', async () => {
    const before = db.metrics()
    for (const q of [sql`select 1 as ${sql.id('a\u0000b')}`, sql`select 1 ${sql.raw('-- \u0000')}`]) {
      await expect(db.query(q)).rejects.toBeInstanceOf(ValidationError)
    }
    const after = db.metrics()
    expect(after.retries).toBe(before.retries)
    expect(after.queries.total).toBe(before.queries.total)
  })
})
