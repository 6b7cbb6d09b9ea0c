import { afterAll, expect, it } from 'vitest'
import { z } from 'zod'
import { type ConnectOptions, connect, type Database, defineModel, SchemaManager, sql } from '../../src/index.js'
import { describeEngines, type EngineContext } from '../helpers/engines.js'

const TENANT = '018f0000-0000-7000-8000-0000000000a1'
const Item = defineModel({ table: 'ps_items', temporal: 'copy_on_change', fields: { name: z.string().max(50) } })

/** The named statements the connection holding `tx` has prepared (pg_prepared_statements is per session). */
async function preparedOn(tx: Database): Promise<{ name: string; statement: string }[]> {
  return tx.query<{ name: string; statement: string }>(
    sql`select name, statement from pg_prepared_statements where name like 'ff\_%'`,
  )
}

/** A table with one row, and a read of it already prepared on `db`'s connection. */
async function preparedRead(db: Database, table: string) {
  await db.execute(sql`create table ${sql.id(table)} (id int primary key, n int)`)
  await db.execute(sql`insert into ${sql.id(table)} values (1, 5)`)
  const read = (on: Database) => on.queryOne<{ n: unknown }>(sql`select n from ${sql.id(table)} where id = ${1}`)
  await read(db)
  await read(db)
  return read
}

const fresh: Database[] = []
afterAll(async () => {
  for (const db of fresh) await db.close()
})

/**
 * A database whose one connection the test watches: a pool of one on PostgreSQL; on PGlite, which
 * has one connection, a fresh in-memory instance (`ctx.db` may already hold statements).
 */
async function openOne(ctx: EngineContext, options: Omit<ConnectOptions, 'url'> = {}): Promise<Database> {
  if (ctx.id !== 'pglite') return ctx.open({ pool: { max: 1 }, ...options })
  const db = await connect(options)
  fresh.push(db)
  return db
}

describeEngines(
  'prepared statements',
  (ctx) => {
    it('runs a repeated repository shape as one named statement per connection, from its second call', async () => {
      const db = await openOne(ctx)
      // the schema is made through another connection where there is one; on PGlite the sync's own
      // catalog reads are prepared on the only connection, so what the repository adds is counted
      await new SchemaManager(ctx.id === 'pglite' ? db : ctx.db).sync([Item])
      const made = await db.repository(Item, { tenantId: TENANT }).create({ name: 'a' })
      await db.transaction(async (tx) => {
        const items = tx.repository(Item, { tenantId: TENANT })
        const before = await preparedOn(tx)
        if (ctx.id !== 'pglite') expect(before).toEqual([])
        const added = async () => (await preparedOn(tx)).filter((s) => !before.some((b) => b.name === s.name))
        await items.get(made.id)
        expect(await added()).toEqual([]) // a text seen once goes unnamed
        await items.get(made.id)
        await items.get(made.id)
        const after = await added()
        expect(after).toHaveLength(1)
        expect(after[0]!.name).toMatch(/^ff_[0-9a-f]{16}$/)
        expect(after[0]!.statement).toContain('ps_items')
        await items.update(made.id, { name: 'b' })
        await items.update(made.id, { name: 'c' })
        expect(await added()).toHaveLength(2)
      })
      expect((await db.repository(Item, { tenantId: TENANT }).get(made.id))?.name).toBe('c')
    })

    it('prepares nothing with preparedStatements: false', async () => {
      const db = await openOne(ctx, { preparedStatements: false })
      await db.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) await tx.query(sql`select ${i}::int as n`)
        expect(await preparedOn(tx)).toEqual([])
      })
    })

    it('holds at most 100 statements per connection, dropping the least recently used', async () => {
      const db = await openOne(ctx)
      await db.transaction(async (tx) => {
        const shape = (k: number) => sql<{ n: number }>`select ${sql.raw(String(k))} + ${1}::int as n`
        for (let k = 0; k < 130; k++) {
          await tx.query(shape(k))
          expect((await tx.queryOne<{ n: number }>(shape(k)))?.n).toBe(k + 1)
          await tx.query(shape(0)) // kept in use: never the least recently used
        }
        const held = await preparedOn(tx)
        expect(held).toHaveLength(100)
        expect(held.some((s) => s.statement.startsWith('select 0 +'))).toBe(true)
        expect(held.some((s) => s.statement.startsWith('select 1 +'))).toBe(false)
      })
    })

    it('starts afresh after this database changes the schema (no "cached plan must not change result type")', async () => {
      const db = await openOne(ctx)
      const read = await preparedRead(db, 'ps_alter') // prepared now
      await db.execute(sql`alter table ps_alter alter column n type text`)
      // inside a transaction a stale statement could not be re-run: the cache must already be dropped
      expect(await db.transaction(async (tx) => read(tx))).toEqual({ n: '5' })
    })

    // on PGlite there is no other connection
    if (ctx.id !== 'pglite')
      it('re-prepares a statement whose result type another connection changed, outside a transaction', async () => {
        const db = await openOne(ctx)
        const read = await preparedRead(db, 'ps_other')
        await ctx.db.execute(sql`alter table ps_other alter column n type text`) // another pool: not seen here
        expect(await read(db)).toEqual({ n: '5' })
        expect(await read(db)).toEqual({ n: '5' })
      })

    // on PGlite there is no other connection
    if (ctx.id !== 'pglite')
      it('re-runs a transaction whose prepared statement went stale by another connection (the next attempt prepares afresh)', async () => {
        const db = await openOne(ctx)
        const read = await preparedRead(db, 'ps_in_tx')
        await ctx.db.execute(sql`alter table ps_in_tx alter column n type text`) // another pool: not seen here
        expect(await db.transaction(async (tx) => read(tx))).toEqual({ n: '5' })
        expect(db.metrics().retries).toBeGreaterThan(0)
      })

    it('re-prepares after the server forgot its statements (DEALLOCATE ALL, DISCARD ALL)', async () => {
      const db = await openOne(ctx)
      const read = () => db.queryOne<{ n: number }>(sql`select ${41}::int + 1 as n`)
      await read()
      await read()
      await db.execute(sql`deallocate all`)
      expect(await read()).toEqual({ n: 42 })
      await db.execute(sql`discard all`)
      expect(await read()).toEqual({ n: 42 })
      await db.transaction(async (tx) => {
        expect(await preparedOn(tx)).toHaveLength(1)
      })
    })
  },
  (id) => id === 'postgres' || id === 'pglite',
)
