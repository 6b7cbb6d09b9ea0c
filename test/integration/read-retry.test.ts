import { afterAll, beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { ConnectionError, connect, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'
import { type FaultProxy, faultProxy, urlThrough } from '../helpers/proxy.js'

/**
 * Repository reads are the library's own SELECTs: safe to repeat, so a dropped connection is retried
 * outside transactions with the retry policy. Caller SQL (db.query) is not: it may be a write.
 */
describeEngines(
  'reads after a dropped connection',
  (ctx) => {
    let proxy: FaultProxy
    beforeAll(async () => {
      await createTables(ctx.db, [Audited])
      const u = new URL(ctx.url!)
      proxy = await faultProxy({ host: u.hostname, port: Number(u.port) })
    })
    afterAll(() => proxy.close())
    const open = (attempts: number) =>
      connect({
        url: urlThrough(ctx.url!, proxy.port),
        pool: { max: 1 },
        retry: { attempts, baseDelayMs: 1 },
        circuitBreaker: { failureThreshold: 0 },
      })

    it('get, getMany, list, count, history and scoped reads are re-run once the connection under them breaks', async () => {
      const db = await open(3)
      const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
      const made = await repo.create(sample(1))
      const byId = db.prepareScoped([Audited], { id: z.uuid() }, (s, a) =>
        s.selectFrom('audited_users').select('id').where('id', '=', a.id),
      )
      const reads = [
        async () => expect((await repo.get(made.id))?.name).toBe(made.name),
        async () => expect((await repo.getMany([made.id])).get(made.id)?.id).toBe(made.id),
        async () => expect((await repo.list({ where: { id: made.id } })).map((r) => r.id)).toEqual([made.id]),
        async () => expect(await repo.count({ where: { id: made.id } })).toBe(1),
        async () => expect((await repo.getAuditHistory(made.id)).length).toBeGreaterThan(0),
        async () => {
          const scoped = db.scoped([Audited], { tenantId: T1 })
          const rows = await scoped.selectFrom('audited_users').select('id').where('id', '=', made.id).execute()
          expect(rows.map((r) => r.id)).toEqual([made.id])
        },
        async () => {
          const rows = await byId.execute({ tenantId: T1 }, { id: made.id })
          expect(rows.map((r) => r.id)).toEqual([made.id])
        },
      ]
      for (const read of reads) {
        const before = proxy.cuts
        const retries = db.metrics().retries
        proxy.cutNext = 1 // the read's own query is the next chunk through the idle connection
        await read()
        expect(proxy.cuts).toBe(before + 1)
        expect(db.metrics().retries).toBe(retries + 1)
      }
      await db.close()
    })

    it('with retries off, or for caller SQL, the dropped connection surfaces as ConnectionError', async () => {
      const off = await open(1)
      const repo = off.repository(Audited, { tenantId: T1, userId: U1 })
      const made = await repo.create(sample(2))
      proxy.cutNext = 1
      await expect(repo.get(made.id)).rejects.toBeInstanceOf(ConnectionError)
      await off.close()
      const db = await open(3)
      await db.query(sql`select 1`)
      proxy.cutNext = 1
      await expect(db.query(sql`select 1`)).rejects.toBeInstanceOf(ConnectionError)
      await db.close()
    })
  },
  (id) => id !== 'pglite',
)
