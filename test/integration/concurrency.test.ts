import { beforeAll, expect, it } from 'vitest'
import { type Database, NotFoundError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

const WORKERS = 8
const UPDATES = 200

/** Concurrency needs real connections: PostgreSQL and MariaDB (PGlite has one connection). */
describeEngines(
  'concurrent writes',
  (ctx) => {
    let db: Database
    beforeAll(async () => {
      db = await ctx.open({ pool: { max: WORKERS + 2 } })
      await createTables(db, [Audited, Versioned])
    })

    const hammer = async <T>(update: (worker: number, i: number) => Promise<T>) =>
      Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          for (let i = 0; i < UPDATES; i++) await update(w, i)
        }),
      )

    it(`scd2: ${WORKERS} workers × ${UPDATES} updates leave versions 1..N without gaps, contiguous, one current`, async () => {
      const repo = db.repository(Versioned, { tenantId: T1, userId: U1 })
      const r = await repo.create(sample(1))
      await hammer((w, i) => repo.update(r.id, { name: `w${w}-${i}` }))
      const versions = await repo.getVersionHistory(r.id)
      const total = WORKERS * UPDATES + 1
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
      expect(versions.filter((v) => v.validTo === null)).toHaveLength(1)
      expect(versions.at(-1)!.validTo).toBeNull()
      for (let i = 1; i < versions.length; i++) {
        expect(versions[i - 1]!.validTo!.getTime()).toBe(versions[i]!.validFrom.getTime())
        expect(versions[i]!.validFrom.getTime()).toBeGreaterThan(versions[i - 1]!.validFrom.getTime())
      }
      const current = await repo.get(r.id)
      expect(current?.version).toBe(total)
      expect(await repo.count({ where: { id: r.id } })).toBe(1)
    })

    it(`copy_on_change: ${WORKERS} workers × ${UPDATES} updates leave a complete audit chain`, async () => {
      const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
      const r = await repo.create(sample(2))
      await hammer((w, i) => repo.update(r.id, { name: `w${w}-${i}` }))
      const chain = await repo.getFieldHistory(r.id, 'name')
      expect(chain).toHaveLength(WORKERS * UPDATES + 1)
      expect(chain[0]!.operation).toBe('INSERT')
      for (let i = 1; i < chain.length; i++) {
        expect(chain[i]!.oldValue).toBe(chain[i - 1]!.newValue)
        expect(chain[i]!.changedAt.getTime()).toBeGreaterThanOrEqual(chain[i - 1]!.changedAt.getTime())
      }
      expect(chain.at(-1)!.newValue).toBe((await repo.get(r.id))!.name)
    })

    for (const Model of [Audited, Versioned]) {
      it(`${Model.def.temporal}: updates racing a soft delete leave one state, never both`, async () => {
        for (let round = 0; round < 5; round++) {
          const repo = db.repository(Model, { tenantId: T1, userId: U1 })
          const r = await repo.create(sample(100 + round))
          const outcomes = await Promise.all([
            ...Array.from({ length: WORKERS - 1 }, (_, w) =>
              (async () => {
                const results: ('applied' | 'gone')[] = []
                for (let i = 0; i < 10; i++) {
                  const res = await repo.update(r.id, { name: `r${round}-w${w}-${i}` }).then(
                    () => 'applied' as const,
                    (e: unknown) => {
                      if (e instanceof NotFoundError) return 'gone' as const
                      throw e
                    },
                  )
                  results.push(res)
                }
                return results
              })(),
            ),
            (async () => {
              await new Promise((resolve) => setTimeout(resolve, 5))
              return [(await repo.delete(r.id)) ? ('deleted' as const) : ('gone' as const)]
            })(),
          ])
          const flat = outcomes.flat()
          expect(flat).toContain('deleted')
          const applied = flat.filter((o) => o === 'applied').length
          const final = await repo.get(r.id, { includeDeleted: true })
          expect(final?.deletedAt).toBeInstanceOf(Date)
          if (Model === Versioned) {
            const versions = await db.repository(Versioned, { tenantId: T1 }).getVersionHistory(r.id)
            expect(versions).toHaveLength(applied + 2)
            expect(versions.at(-1)!.deletedAt).toBeInstanceOf(Date)
            expect(versions.slice(0, -1).every((v) => v.deletedAt === null)).toBe(true)
          } else {
            const trail = await db.repository(Audited, { tenantId: T1 }).getAuditHistory(r.id)
            expect(trail.at(-1)!.operation).toBe('DELETE')
            expect(trail.filter((e) => e.operation === 'UPDATE')).toHaveLength(applied)
          }
          expect(await repo.get(r.id)).toBeNull()
        }
      })
    }
  },
  (id) => id !== 'pglite',
)
