import { beforeAll, expect, it } from 'vitest'
import { type Database, NotFoundError, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, T2, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/**
 * "Did my write apply" is answered by the statement (or lock) that wrote, never by a later read.
 * On PGlite the interleavings below are deterministic (one connection, statements in call order);
 * on the servers they are races, tried many times.
 */
describeEngines('write races: the answer comes from the write', (ctx) => {
  const server = ctx.id !== 'pglite'
  const TRIES = ctx.id === 'postgres' ? 100 : ctx.id === 'mariadb' ? 50 : 1
  let db: Database
  beforeAll(async () => {
    db = server ? await ctx.open({ pool: { max: 12 } }) : ctx.db
    await createTables(db, [Audited, Versioned])
  })

  const gone = (e: unknown) => {
    if (e instanceof NotFoundError) return 'missing' as const
    throw e
  }

  /** UPDATE audit entries (copy_on_change) or versions closed by an UPDATE (scd2) carrying `name`. */
  const traces = async (Model: typeof Audited | typeof Versioned, id: string, name: string) => {
    const table = Model === Audited ? 'audited_users_audit' : 'versioned_users'
    if (Model === Audited) {
      const rows = await db.query<{ n: number | string }>(
        sql`select count(*) as n from ${sql.id(table)} where record_id = ${id} and field_name = 'name' and operation = 'UPDATE' and new_value = ${ctx.family === 'postgres' ? sql`to_jsonb(${name}::text)` : sql`json_quote(${name})`}`,
      )
      return Number(rows[0]!.n)
    }
    const versions = await db.repository(Versioned, { tenantId: T1 }).getVersionHistory(id)
    // the version an update opened (later delete and restore versions carry the name on)
    return versions.filter((v, i, list) => v.name === name && list[i - 1]?.name !== name).length
  }

  for (const Model of [Audited, Versioned]) {
    it(`${Model.def.temporal}: an update racing a restore either applies (with its trace) or is NotFound`, async () => {
      const repo = db.repository(Model, { tenantId: T1, userId: U1 })
      let applied = 0
      for (let i = 0; i < TRIES; i++) {
        const r = await repo.create(sample(1000 + i, { email: `race${i}@example.com` }))
        await repo.delete(r.id)
        const name = `patched ${i}`
        const [updated, restored] = await Promise.all([repo.update(r.id, { name }).catch(gone), repo.restore(r.id)])
        expect(restored?.deletedAt).toBeNull()
        if (updated !== 'missing') {
          applied++
          expect(updated.name).toBe(name)
          expect(await traces(Model, r.id, name)).toBe(1)
        }
        const now = await repo.get(r.id)
        expect(now?.name).toBe(updated === 'missing' ? sample(1000 + i).name : name)
      }
      if (!server) expect(applied).toBe(0) // PGlite: the update ran first, on a deleted record
    })

    it(`${Model.def.temporal}: a restore racing a delete never returns a deleted record`, async () => {
      const repo = db.repository(Model, { tenantId: T1, userId: U1 })
      for (let i = 0; i < TRIES; i++) {
        const r = await repo.create(sample(2000 + i, { email: `rd${i}@example.com` }))
        const [restored, deleted] = await Promise.all([repo.restore(r.id), repo.delete(r.id)])
        expect(deleted).toBe(true)
        // a restore returns the record live (restored, or not deleted yet), never with deletedAt set
        expect(restored).not.toBeNull()
        expect(restored!.deletedAt).toBeNull()
      }
    })

    it(`${Model.def.temporal}: a transfer racing a restore moves the record or is NotFound`, async () => {
      const repo = db.repository(Model, { tenantId: T1, userId: U1 })
      const both = db.repository(Model, { tenantIds: [T1, T2] })
      let moved = 0
      for (let i = 0; i < TRIES; i++) {
        const r = await repo.create(sample(3000 + i, { email: `tr${i}@example.com` }))
        await repo.delete(r.id)
        const [transferred] = await Promise.all([repo.transferOwnership(r.id, T2).catch(gone), repo.restore(r.id)])
        const now = await both.get(r.id, { includeDeleted: true })
        if (transferred === 'missing') expect(now!.tenantId).toBe(T1)
        else {
          moved++
          expect(transferred.tenantId).toBe(T2)
          expect(now!.tenantId).toBe(T2)
        }
      }
      if (!server) expect(moved).toBe(0)
    })

    it(`${Model.def.temporal}: an empty patch on a deleted record is NotFound; restore of a live record returns it`, async () => {
      const repo = db.repository(Model, { tenantId: T1, userId: U1 })
      const r = await repo.create(sample(4000, { email: 'empty@example.com' }))
      expect((await repo.update(r.id, {})).name).toBe(r.name)
      expect((await repo.restore(r.id))?.deletedAt).toBeNull()
      await repo.delete(r.id)
      await expect(repo.update(r.id, {})).rejects.toBeInstanceOf(NotFoundError)
      expect(await repo.delete(r.id)).toBe(false)
      expect((await repo.restore(r.id))?.deletedAt).toBeNull()
      expect(await db.repository(Model, { tenantId: T2 }).restore(r.id)).toBeNull()
    })
  }

  if (server) {
    for (const Model of [Audited, Versioned]) {
      it(`${Model.def.temporal}: a purge racing updates leaves no audit entry or version behind`, async () => {
        const repo = db.repository(Model, { tenantId: T1, userId: U1 })
        const trail = Model === Audited ? 'audited_users_audit' : 'versioned_users_history'
        const column = Model === Audited ? 'record_id' : 'id'
        for (let round = 0; round < 20; round++) {
          const r = await repo.create(sample(6000 + round, { email: `purge${round}@example.com` }))
          const writers = Array.from({ length: 4 }, async (_, w) => {
            for (let i = 0; ; i++) {
              if ((await repo.update(r.id, { name: `p${w}-${i}` }).catch(gone)) === 'missing') return
            }
          })
          await new Promise((resolve) => setTimeout(resolve, 5))
          expect(await repo.purge(r.id)).toBe(true)
          await Promise.all(writers)
          const left = await db.query<{ n: number | string }>(
            sql`select count(*) as n from ${sql.id(trail)} where ${sql.id(column)} = ${r.id}`,
          )
          expect(Number(left[0]!.n), `round ${round}`).toBe(0)
        }
      })

      it(`${Model.def.temporal}: 8 writers on one record with deletes and restores: every acknowledged update left its trace`, async () => {
        const repo = db.repository(Model, { tenantId: T1, userId: U1 })
        const r = await repo.create(sample(5000, { email: 'eight@example.com' }))
        const acknowledged: string[] = []
        let missing = 0
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            for (let i = 0; i < 40; i++) {
              if (w === 0 && i % 2 === 0) await repo.delete(r.id)
              else if (w === 1 && i % 2 === 0) await repo.restore(r.id)
              else {
                const name = `w${w}-${i}`
                const res = await repo.update(r.id, { name }).catch(gone)
                if (res === 'missing') missing++
                else acknowledged.push(name)
              }
            }
          }),
        )
        for (const name of acknowledged) expect(await traces(Model, r.id, name), name).toBe(1)
        const all =
          Model === Audited
            ? (await db.repository(Audited, { tenantId: T1 }).getFieldHistory(r.id, 'name')).filter(
                (e) => e.operation === 'UPDATE',
              ).length
            : (await db.repository(Versioned, { tenantId: T1 }).getVersionHistory(r.id)).filter(
                (v, i, list) => i > 0 && v.name !== list[i - 1]!.name,
              ).length
        expect(all).toBe(acknowledged.length)
        expect(acknowledged.length + missing).toBe(6 * 40 + 2 * 20)
      })
    }
  }
})
