import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

// An update writes a new version only when a value differs as the model compares values: text byte
// for byte (trailing spaces and case count), decimals at the column's scale, big integers exactly,
// instants to the millisecond. On MariaDB the comparison runs in SQL inside one compound statement
// (readSql.sameValue), on PostgreSQL in the write CTE, elsewhere in JS: all must agree.
const Typed = defineModel({
  table: 'noop_typed',
  temporal: 'scd2',
  fields: {
    s: z.string().max(20),
    d: field(z.string(), { precision: 30, scale: 2 }),
    n: z.bigint(),
    t: z.date(),
    f: z.boolean(),
    i: z.int(),
    e: z.enum(['a', 'b']),
    u: z.uuid(),
  },
})

const start = {
  s: 'x',
  d: '1.50',
  n: 9007199254740993n,
  t: new Date('2026-01-01T00:00:00.123Z'),
  f: true,
  i: 5,
  e: 'a' as 'a' | 'b',
  u: '0b6bd1e6-5a41-4f0e-9f7b-2f8a7f2f8d3e',
}

describeEngines('no-op detection of single updates', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Typed]))

  const cases: [string, Partial<typeof start>, boolean][] = [
    ['the same text', { s: 'x' }, false],
    ['a trailing space', { s: 'x ' }, true],
    ['another case', { s: 'X' }, true],
    ['the same decimal at another scale', { d: '1.5' }, false],
    ['a decimal one cent off', { d: '1.51' }, true],
    ['a decimal beyond a double’s precision', { d: '1234567890123456789012.50' }, true],
    ['the same big integer', { n: 9007199254740993n }, false],
    ['a big integer 1 off past 2^53', { n: 9007199254740992n }, true],
    ['the same instant as another Date', { t: new Date('2026-01-01T00:00:00.123Z') }, false],
    ['an instant 1 ms later', { t: new Date('2026-01-01T00:00:00.124Z') }, true],
    ['the same boolean', { f: true }, false],
    ['the other boolean', { f: false }, true],
    ['the same integer', { i: 5 }, false],
    ['another integer', { i: 6 }, true],
    ['the same enum value', { e: 'a' }, false],
    ['another enum value', { e: 'b' }, true],
    ['the same uuid in upper case', { u: '0B6BD1E6-5A41-4F0E-9F7B-2F8A7F2F8D3E' }, false],
    ['several fields, one of them changed', { s: 'x', i: 5, f: false }, true],
  ]

  for (const [name, patch, changes] of cases) {
    it(`${name}: ${changes ? 'a new version' : 'nothing written'}`, async () => {
      const repo = ctx.db.repository(Typed, { tenantId: T1, userId: U1 })
      const created = await repo.create(start)
      const updated = await repo.update(created.id, patch)
      const versions = await repo.getVersionHistory(created.id)
      expect(versions.length).toBe(changes ? 2 : 1)
      expect(updated.version).toBe(changes ? 2 : 1)
      const now = await repo.get(created.id)
      for (const [k, v] of Object.entries(patch)) {
        if (k === 'u') expect(now!.u).toBe(start.u)
        else if (k === 'd') expect(now!.d).toBe(v === '1.5' ? '1.50' : v)
        else expect(now![k as keyof typeof now]).toEqual(v)
      }
    })
  }
})
