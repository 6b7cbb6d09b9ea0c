import { expect, it } from 'vitest'
import {
  ConfigurationError,
  ConnectionError,
  ForeignKeyViolationError,
  QueryTimeoutError,
  sql,
  UniqueViolationError,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'

describeEngines('direct SQL', (ctx) => {
  const isPg = ctx.family === 'postgres'

  it('binds interpolated values as parameters and returns rows as objects', async () => {
    const evil = "x'); drop table t; --"
    const rows = await ctx.db.query<{ a: number; b: string }>(sql`select ${1} + 1 as a, ${evil} as b`)
    expect(rows).toHaveLength(1)
    expect(Number(rows[0]!.a)).toBe(2)
    expect(rows[0]!.b).toBe(evil)
  })

  it('keeps placeholders right with ten and more parameters', async () => {
    const values = Array.from({ length: 12 }, (_, i) => i + 1)
    const row = await ctx.db.queryOne<Record<string, unknown>>(
      sql`select ${sql.join(values.map((v, i) => sql`${v} as ${sql.id(`c${i + 1}`)}`))}`,
    )
    expect(Object.values(row!).map(Number)).toEqual(values)
  })

  it('queryOne returns null when there is no row; execute counts affected rows', async () => {
    await ctx.db.execute(sql`create table ${sql.id('order')} (${sql.id('limit')} int primary key, note varchar(20))`)
    expect(await ctx.db.queryOne(sql`select * from ${sql.id('order')}`)).toBeNull()
    expect(await ctx.db.execute(sql`insert into ${sql.id('order')} values (1, 'a'), (2, 'b'), (3, 'c')`)).toBe(3)
    expect(await ctx.db.execute(sql`update ${sql.id('order')} set note = 'z' where ${sql.id('limit')} >= ${2}`)).toBe(2)
    expect(await ctx.db.execute(sql`delete from ${sql.id('order')} where ${sql.id('limit')} = ${99}`)).toBe(0)
  })

  it('round-trips uuid, timestamps, decimals, booleans, big integers and JSON exactly', async () => {
    const uuid = '0b6bd1e6-5a41-4f0e-9f7b-2f8a7f2f8d3e'
    const when = new Date('2024-02-29T23:59:59.123Z')
    const decimal = '12345678901234567890.1234567890'
    const big = 9007199254740993n
    const doc = { name: 'Zoë', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } }
    if (isPg) {
      await ctx.db.execute(
        sql`create table vals (u uuid, t timestamptz(3), d numeric(30,10), b boolean, i int8, j jsonb)`,
      )
    } else {
      await ctx.db.execute(
        sql`create table vals (u char(36), t datetime(3), d decimal(30,10), b tinyint(1), i bigint, j json)`,
      )
    }
    await ctx.db.execute(
      sql`insert into vals values (${uuid}, ${when}, ${decimal}, ${true}, ${big}, ${JSON.stringify(doc)})`,
    )
    await ctx.db.execute(sql`insert into vals values (${null}, ${null}, ${null}, ${false}, ${null}, ${null})`)
    const [full, empty] = await ctx.db.query<Record<string, unknown>>(sql`select * from vals order by u is null, u`)
    expect(full!.u).toBe(uuid)
    expect(full!.t).toBeInstanceOf(Date)
    expect((full!.t as Date).toISOString()).toBe(when.toISOString())
    expect(full!.d).toBe(decimal)
    expect(full!.b).toBe(true)
    expect(full!.i).toBe(big)
    // MariaDB stores JSON as text and reports it as such; the model layer decodes it
    expect(typeof full!.j === 'string' ? JSON.parse(full!.j) : full!.j).toEqual(doc)
    expect(empty).toEqual({ u: null, t: null, d: null, b: false, i: null, j: null })
    // a statement with bound values (MySQL family: the binary protocol) reads the same values
    const bound = await ctx.db.query<Record<string, unknown>>(
      sql`select * from vals where ${1} = 1 order by u is null, u`,
    )
    expect(bound).toEqual([full, empty])
    const counted = await ctx.db.queryOne<{ n: unknown }>(sql`select count(*) as n from vals where ${1} = 1`)
    expect(counted!.n).toBe(2n)
  })

  it('keeps the database clock in UTC', async () => {
    const row = await ctx.db.queryOne<{ now: Date }>(isPg ? sql`select now() as now` : sql`select now(3) as now`)
    expect(Math.abs(row!.now.getTime() - Date.now())).toBeLessThan(60_000)
  })

  it('commits a transaction as a unit and rolls back on error', async () => {
    await ctx.db.execute(sql`create table acct (id int primary key, balance int not null)`)
    await ctx.db.transaction(async (tx) => {
      expect(tx.inTransaction).toBe(true)
      await tx.execute(sql`insert into acct values (1, 100)`)
      await tx.execute(sql`insert into acct values (2, 50)`)
    })
    await expect(
      ctx.db.transaction(async (tx) => {
        await tx.execute(sql`update acct set balance = balance - 70 where id = 1`)
        await tx.execute(sql`insert into acct values (1, 0)`) // duplicate key
      }),
    ).rejects.toBeInstanceOf(UniqueViolationError)
    const rows = await ctx.db.query<{ id: number; balance: number }>(sql`select id, balance from acct order by id`)
    expect(rows.map((r) => [Number(r.id), Number(r.balance)])).toEqual([
      [1, 100],
      [2, 50],
    ])
  })

  it('nests transactions as savepoints', async () => {
    await ctx.db.execute(sql`create table sp (id int primary key)`)
    await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`insert into sp values (1)`)
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`insert into sp values (2)`)
          throw new Error('inner fails')
        }),
      ).rejects.toThrow('inner fails')
      await tx.transaction(async (inner) => {
        await inner.execute(sql`insert into sp values (3)`)
        await inner.transaction((deeper) => deeper.execute(sql`insert into sp values (4)`))
      })
    })
    const rows = await ctx.db.query<{ id: number }>(sql`select id from sp order by id`)
    expect(rows.map((r) => Number(r.id))).toEqual([1, 3, 4])
  })

  it('never reports a commit when the server aborted the transaction (PostgreSQL: an error the callback caught)', async () => {
    await ctx.db.execute(sql`create table swallow (id int primary key)`)
    let committed = false
    const run = ctx.db.transaction(async (tx) => {
      await tx.afterCommit(async () => {
        committed = true
      })
      await tx.execute(sql`insert into swallow values (1)`)
      // "insert, ignore duplicates": the error is caught and the callback goes on
      await tx.execute(sql`insert into swallow values (1)`).catch(() => undefined)
      return 'done'
    })
    const count = async () => Number((await ctx.db.queryOne<{ n: unknown }>(sql`select count(*) as n from swallow`))!.n)
    if (isPg) {
      // PostgreSQL aborted the transaction at the error: its COMMIT rolls back, so this must not resolve
      await expect(run).rejects.toThrow(/rolled back, nothing was committed/)
      expect(await count()).toBe(0)
      expect(committed).toBe(false)
    } else {
      // MySQL/MariaDB undo the failed statement only: the rest commits
      expect(await run).toBe('done')
      expect(await count()).toBe(1)
      expect(committed).toBe(true)
    }
    // a savepoint recovers on every engine: the nested transaction is undone, the outer one commits
    await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`insert into swallow values (2)`)
      await tx.transaction((inner) => inner.execute(sql`insert into swallow values (2)`)).catch(() => undefined)
      await tx.execute(sql`insert into swallow values (3)`)
    })
    const ids = await ctx.db.query<{ id: unknown }>(sql`select id from swallow order by id`)
    expect(ids.map((r) => Number(r.id))).toEqual(isPg ? [2, 3] : [1, 2, 3])
  })

  it('returns the value of the transaction callback and rethrows its error untouched', async () => {
    expect(await ctx.db.transaction(async () => 42)).toBe(42)
    const own = new Error('mine')
    await expect(ctx.db.transaction(async () => Promise.reject(own))).rejects.toBe(own)
  })

  it('converts unique and foreign-key violations, keeping the statement and the cause', async () => {
    await ctx.db.execute(sql`create table parent (id int primary key)`)
    await ctx.db.execute(
      sql`create table child (id int primary key, parent_id int, constraint child_parent_fk foreign key (parent_id) references parent (id))`,
    )
    await ctx.db.execute(sql`insert into parent values (1)`)
    const dup = await ctx.db.execute(sql`insert into parent values (${1})`).catch((e: unknown) => e)
    expect(dup).toBeInstanceOf(UniqueViolationError)
    expect((dup as UniqueViolationError).sql).toMatch(/insert into parent/)
    expect((dup as UniqueViolationError).parameters).toEqual([1])
    expect((dup as UniqueViolationError).cause).toBeDefined()
    expect((dup as UniqueViolationError).dbCode).toBe(isPg ? '23505' : '1062')
    const fk = await ctx.db.execute(sql`insert into child values (1, ${7})`).catch((e: unknown) => e)
    expect(fk).toBeInstanceOf(ForeignKeyViolationError)
    expect((fk as ForeignKeyViolationError).constraint).toBe('child_parent_fk')
    const restrict = await ctx.db
      .execute(sql`insert into child values (2, 1)`)
      .then(() => ctx.db.execute(sql`delete from parent where id = 1`).catch((e: unknown) => e))
    expect(restrict).toBeInstanceOf(ForeignKeyViolationError)
  })

  it('keeps row values out of constraint messages and bound values out of serialized errors', async () => {
    await ctx.db.execute(sql`create table priv_parent (id int primary key)`)
    await ctx.db.execute(
      sql`create table priv (id int primary key, code varchar(40), parent_id int, constraint priv_code_check check (code <> 'forbidden-secret-value'), constraint priv_parent_fk foreign key (parent_id) references priv_parent (id))`,
    )
    const check = (await ctx.db
      .execute(sql`insert into priv values (1, ${'forbidden-secret-value'}, null)`)
      .catch((e: unknown) => e)) as Error
    const fk = (await ctx.db
      .execute(sql`insert into priv values (2, 'ok', ${987654})`)
      .catch((e: unknown) => e)) as Error
    for (const [error, secret] of [
      [check, 'forbidden-secret-value'],
      [fk, '987654'],
    ] as const) {
      expect(error.message).not.toContain(secret)
      // what a logger prints of the error: no bound values (they are still there for who asks)
      expect(JSON.stringify(error)).not.toContain(secret)
      expect((error as { parameters?: unknown[] }).parameters?.map(String)).toContain(secret)
    }
    expect(fk.message).toMatch(/priv_parent_fk/)
  })

  it('exposes the query builder on the same connection and error conversion', async () => {
    await ctx.db.execute(sql`create table qb (id int primary key, name varchar(20))`)
    await ctx.db.query(
      ctx.db.kysely.insertInto('qb').values([
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ]),
    )
    const rows = await ctx.db.query(ctx.db.kysely.selectFrom('qb').select(['id', 'name']).where('id', '>', 1))
    expect(rows).toEqual([{ id: 2, name: 'two' }])
    await expect(ctx.db.query(ctx.db.kysely.insertInto('qb').values({ id: 2, name: 'x' }))).rejects.toBeInstanceOf(
      UniqueViolationError,
    )
  })

  it('reports the engine and its capabilities', () => {
    expect(ctx.db.dialect.name).toBe(ctx.id === 'mariadb' ? 'mariadb' : ctx.id)
    expect(ctx.db.dialect.capabilities.returning).toBe(isPg)
    expect(ctx.db.dialect.capabilities.singleConnection).toBe(ctx.id === 'pglite')
  })
})

describeEngines(
  'native arrays (PostgreSQL family)',
  (ctx) => {
    it('round-trips native arrays (PostgreSQL)', async () => {
      await ctx.db.execute(sql`create table arrs (t text[], i int4[], f float8[], b bool[], n int8[])`)
      await ctx.db.execute(
        sql`insert into arrs values (${['a', 'b,c', '"q"', null]}, ${[1, 2]}, ${[1.5, -0.25]}, ${[true, false]}, ${['9007199254740993']})`,
      )
      const row = await ctx.db.queryOne(sql`select * from arrs`)
      expect(row).toEqual({
        t: ['a', 'b,c', '"q"', null],
        i: [1, 2],
        f: [1.5, -0.25],
        b: [true, false],
        n: [9007199254740993n],
      })
    })
  },
  (id) => id !== 'mariadb',
)

describeEngines(
  'statement timeout',
  (ctx) => {
    it('cancels a statement that runs past statementTimeoutMs with QueryTimeoutError', async () => {
      const db = await ctx.open({ statementTimeoutMs: 150 })
      const started = Date.now()
      const slow = ctx.family === 'postgres' ? sql`select pg_sleep(3)` : sql`select sleep(3)`
      await expect(db.query(slow)).rejects.toBeInstanceOf(QueryTimeoutError)
      expect(Date.now() - started).toBeLessThan(2_500)
      // the connection is still usable afterwards
      expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
    })
  },
  (id) => id !== 'pglite',
)

describeEngines(
  'single connection',
  (ctx) => {
    it('queues transactions on PGlite so they never interleave', async () => {
      expect(ctx.db.dialect.capabilities.statementTimeout).toBe(false)
      await ctx.db.execute(sql`create table q (n int)`)
      const order: string[] = []
      await Promise.all(
        [1, 2, 3].map((n) =>
          ctx.db.transaction(async (tx) => {
            order.push(`begin ${n}`)
            await tx.execute(sql`insert into q values (${n})`)
            await new Promise((r) => setTimeout(r, 10))
            await tx.execute(sql`insert into q values (${n * 10})`)
            order.push(`end ${n}`)
          }),
        ),
      )
      expect(order).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2', 'begin 3', 'end 3'])
      const rows = await ctx.db.query<{ n: number }>(sql`select n from q`)
      expect(rows).toHaveLength(6)
    })
  },
  (id) => id === 'pglite',
)

describeEngines('closing', (ctx) => {
  it('refuses queries after close with a ConnectionError', async () => {
    const db = ctx.id === 'pglite' ? await (await import('../../src/index.js')).connect() : await ctx.open()
    await db.close()
    await db.close()
    await expect(db.query(sql`select 1`)).rejects.toBeInstanceOf(ConnectionError)
  })

  it('never calls a COMMIT refused after close "may or may not have been applied": it was not sent', async () => {
    const db = ctx.id === 'pglite' ? await (await import('../../src/index.js')).connect() : await ctx.open()
    let closing: Promise<void> | undefined
    const error = await db
      .transaction(
        async (tx) => {
          await tx.query(sql`select 1 as one`)
          closing = db.close()
        },
        { retry: { attempts: 1 } },
      )
      .catch((e: unknown) => e as Error)
    await closing
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).not.toMatch(/may or may not have been applied/)
  })
})

describeEngines(
  'single connection: the root database inside its own transaction',
  (ctx) => {
    it('fails with a clear error instead of waiting forever', async () => {
      const error = await ctx.db
        .transaction(async () => {
          await ctx.db.query(sql`select 1`)
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/single connection.*use the transaction's `tx`/)
      // outside the transaction the root database works as before
      expect(await ctx.db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
    })

    it('still fails that way in later and in queued transactions', async () => {
      const misuse = () =>
        ctx.db
          .transaction(async (tx) => {
            await tx.query(sql`select 1`)
            await ctx.db.query(sql`select 1`)
          })
          .catch((e: unknown) => e)
      expect(await misuse()).toBeInstanceOf(ConfigurationError)
      expect(await misuse()).toBeInstanceOf(ConfigurationError)
      const [a, b, c] = await Promise.all([misuse(), misuse(), misuse()])
      for (const e of [a, b, c]) expect(e).toBeInstanceOf(ConfigurationError)
      expect(await ctx.db.queryOne(sql`select 2 as two`)).toEqual({ two: 2 })
    })
  },
  (id) => id === 'pglite',
)
