import { beforeAll, expect, it } from 'vitest'
import { UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

// Engines where a failed statement leaves the transaction usable (MySQL family): a write plan that
// fails half-way inside a caller's transaction must leave nothing behind (it runs in a savepoint).
describeEngines(
  'write plans inside a caller transaction',
  (ctx) => {
    beforeAll(() => createTables(ctx.db, [Versioned]))

    it('a change that fails after writing its closed version leaves no version behind [scd2]', async () => {
      const repo = ctx.db.repository(Versioned, { tenantId: T1, userId: U1 })
      const a = await repo.create(sample(9101))
      const b = await repo.create(sample(9102))
      await ctx.db.transaction(async (tx) => {
        const inTx = tx.repository(Versioned, { tenantId: T1, userId: U1 })
        // the closed version is written before the UPDATE that violates the unique email
        await expect(inTx.update(b.id, { email: a.email })).rejects.toBeInstanceOf(UniqueViolationError)
        await inTx.update(b.id, { name: 'after' })
      })
      const versions = await repo.getVersionHistory(b.id)
      expect(versions.map((v) => [v.version, v.email, v.name])).toEqual([
        [1, b.email, b.name],
        [2, b.email, 'after'],
      ])
    })
  },
  (id) => id === 'mariadb',
)
