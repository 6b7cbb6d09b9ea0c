import { beforeAll, expect, it } from 'vitest'
import { type Database, ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/**
 * Invalid input must fail with ValidationError before any SQL is sent. Each case runs twice: on the
 * live database, and on a closed one, where any statement would fail with ConnectionError instead.
 */
describeEngines('bad input', (ctx) => {
  let closed: Database
  let existing: string
  beforeAll(async () => {
    await createTables(ctx.db, [Audited, Versioned])
    existing = (await ctx.db.repository(Audited, { tenantId: T1 }).create(sample(1))).id
    closed = ctx.id === 'pglite' ? await (await import('../../src/index.js')).connect() : await ctx.open()
    await closed.close()
  })

  // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
  type AnyRepo = any
  const cases: [string, (r: AnyRepo, id: string) => Promise<unknown>, RegExp][] = [
    ['unknown create fields', (r) => r.create({ ...sample(2), nope: 1 }), /nope/],
    ['wrong types', (r) => r.create({ ...sample(3), age: 'old', email: 42 }), /age[\s\S]*email|email[\s\S]*age/],
    ['out-of-range values', (r) => r.create({ ...sample(4), age: 151 }), /age/],
    ['too many decimal places', (r) => r.create({ ...sample(5), price: '1.234' }), /more than 2 decimal places/],
    ['a decimal that is no number', (r) => r.create({ ...sample(5), price: '1e5' }), /not a decimal/],
    [
      'system fields on create',
      (r) => r.create({ ...sample(6), id: existing, createdAt: new Date() }),
      /id is generated[\s\S]*createdAt/,
    ],
    [
      'system fields in a patch',
      (r, id) => r.update(id, { id: existing, updatedBy: U1 }),
      /id is generated[\s\S]*updatedBy/,
    ],
    ['the tenant in a patch', (r, id) => r.update(id, { tenantId: T1 }), /transferOwnership/],
    ['unknown patch fields', (r, id) => r.update(id, { age: 3, color: 'red' }), /color/],
    ['a non-object patch', (r, id) => r.update(id, 'age=3'), /expected an object/],
    ['an id that is no UUID', (r) => r.get("1' OR '1'='1"), /id must be a UUID/],
    ['filter keys that are not properties', (r) => r.list({ where: { 'age; drop table x': 1 } }), /unknown field/],
    [
      'column names instead of properties',
      (r) => r.list({ where: { created_at: new Date() } }),
      /unknown field "created_at"/,
    ],
    ['unknown operators', (r) => r.list({ where: { age: { between: [1, 2] } } }), /unknown operator "between"/],
    ['objects where scalars belong', (r) => r.list({ where: { name: { eq: { toString: 1 } } } }), /expected a string/],
    [
      'forged raw-SQL markers',
      (r) => r.list({ where: { name: { sql: '1=1', isRawBuilder: true } } }),
      /unknown operator/,
    ],
    ['arrays of objects in IN', (r) => r.count({ where: { age: [{ gt: 1 }] } }), /expected an integer/],
    ['filters on JSON fields', (r) => r.list({ where: { meta: { eq: { theme: 'x' } } } }), /JSON/],
    ['bad sort keys', (r) => r.list({ orderBy: { 'name desc; --': 'asc' } }), /unknown field/],
    ['bad sort directions', (r) => r.list({ orderBy: { name: 'sideways' } }), /direction/],
    ['negative limits', (r) => r.list({ limit: -1, offset: 1.5 }), /limit[\s\S]*offset/],
    ['a userId that is no UUID', (r, id) => r.update(id, { age: 3 }, { userId: 'admin' }), /userId must be a UUID/],
    ['a where that is no object', (r) => r.list({ where: 'age > 1' }), /where must be a plain object/],
    // a JSON parser (Zod's too) drops such a key: it would vanish from the value and the audit trail
    [
      'a __proto__ key inside a JSON value',
      (r) => r.create({ ...sample(7), meta: JSON.parse('{"theme":"x","nested":{"__proto__":{"a":1}}}') }),
      /__proto__[\s\S]*cannot be stored/,
    ],
    [
      'a __proto__ key inside a JSON patch',
      (r, id) => r.update(id, { meta: JSON.parse('{"__proto__":{}}') }),
      /__proto__/,
    ],
    // engines disagree on a last lone backslash (an error, no match, a literal): refused everywhere
    ['a pattern ending in a lone escape', (r) => r.list({ where: { name: { like: 'a\\' } } }), /lone escape/],
    [
      'an ilike pattern ending in a lone escape',
      (r) => r.count({ where: { name: { ilike: '%\\\\\\' } } }),
      /lone escape/,
    ],
  ]

  for (const [name, call, message] of cases) {
    it(`rejects ${name} with ValidationError before any SQL`, async () => {
      for (const db of [ctx.db, closed]) {
        const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
        const error = await call(repo, existing).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).message).toMatch(message)
      }
    })
  }

  it('matches an escaped backslash, % and _ literally on every engine', async () => {
    const repo = ctx.db.repository(Audited, { tenantId: T1, userId: U1 })
    const made = await repo.create({ ...sample(40), name: 'lit\\% _x' })
    const names = async (like: string) => (await repo.list({ where: { name: { like } } })).map((r) => r.id)
    expect(await names('lit\\\\\\%%')).toEqual([made.id])
    expect(await names('lit\\\\\\% \\_x')).toEqual([made.id])
    expect(await names('lit\\\\\\% \\_y')).toEqual([])
  })

  it('rejects bad asOf and version arguments on scd2', async () => {
    const repo = closed.repository(Versioned, { tenantId: T1 })
    // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
    await expect(repo.get(existing, { asOf: 'yesterday' as any })).rejects.toBeInstanceOf(ValidationError)
    await expect(repo.getVersion(existing, 1.5)).rejects.toBeInstanceOf(ValidationError)
    await expect(repo.update(existing, { age: 1 }, { expectedVersion: Number.NaN })).rejects.toBeInstanceOf(
      ValidationError,
    )
  })

  it('leaves the data untouched after rejected writes', async () => {
    const repo = ctx.db.repository(Audited, { tenantId: T1 })
    const before = await repo.getAuditHistory(existing)
    await repo.update(existing, { age: 'x' } as never).catch(() => {})
    expect(await repo.getAuditHistory(existing)).toEqual(before)
  })
})
