import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { ValidationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { MISSING, T1, T2, U1, Versioned } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** A generated piece of input and whether the library must accept it. */
type G = { readonly v: unknown; readonly ok: boolean }
const good = (a: fc.Arbitrary<unknown>): fc.Arbitrary<G> => a.map((v) => ({ v, ok: true }))
const bad = (a: fc.Arbitrary<unknown>): fc.Arbitrary<G> => a.map((v) => ({ v, ok: false }))
const all = (parts: readonly G[]) => parts.every((p) => p.ok)
/** Mostly valid: a call combines several parts, and any invalid one spoils the whole. */
const mostly = (valid: fc.Arbitrary<G>, invalid: fc.Arbitrary<G>) =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: invalid })

type Row = { id: string; tenantId: string; name: string; age: number; score: number | null; deletedAt: Date | null }

const NAMES = ['User 1', 'User 2', 'User 10', 'User 11', 'nobody']
const TENANTS = [T1, T2] as const
const hostileStrings = fc.constantFrom('a\u0000b', '\uD800', 'x\uDFFFy', '\u0000')
const hostileScalars = fc.constantFrom<unknown>(
  { toString: 1 },
  { sql: '1=1', isRawBuilder: true },
  () => 1,
  Symbol('s'),
  Number.NaN,
  Number.POSITIVE_INFINITY,
)

/**
 * Mixed valid and hostile `where` / `orderBy` / options against two tenants' data: every call either
 * returns exactly the rows of its own tenant that satisfy the filter (checked against a model of the
 * data kept in JavaScript), or, when the input is invalid, fails with ValidationError: 0 scope escapes
 * and never a driver error or another class.
 */
describeEngines('hostile where / orderBy / options (property)', (ctx) => {
  const rows: Row[] = []
  beforeAll(async () => {
    await createTables(ctx.db, [Versioned])
    for (const [t, tenant] of TENANTS.entries()) {
      const repo = ctx.db.repository(Versioned, { tenantId: tenant, userId: U1 })
      const made = await repo.createMany(
        Array.from({ length: 12 }, (_, i) => ({
          email: `h${t}-${i}@x.io`,
          name: `User ${i}`,
          age: (i * 7 + t) % 40,
          price: '1',
          ...(i % 3 === 0 ? {} : { score: i / 2 }),
        })),
      )
      for (const r of made) rows.push({ ...r, score: r.score ?? null, deletedAt: null } as Row)
      for (const r of made.slice(0, 3)) {
        await repo.delete(r.id)
        rows.find((x) => x.id === r.id)!.deletedAt = new Date()
      }
    }
  })

  const ids = () => rows.map((r) => r.id)
  const caseOf = (s: string, upper: boolean) => (upper ? s.toUpperCase() : s)
  const uuid = fc.oneof(
    fc.tuple(fc.nat(), fc.boolean()).map(([i, up]) => caseOf(ids()[i % ids().length]!, up)),
    fc.constant(MISSING),
  )
  const tenant = fc.tuple(fc.constantFrom(...TENANTS), fc.boolean()).map(([t, up]) => caseOf(t, up))
  // 12,000 values: one array parameter on PostgreSQL, past the MySQL limit (a ValidationError there)
  const huge = (ok: boolean) =>
    fc.nat().map((i) => ({
      v: [
        ...Array.from({ length: 12_000 }, (_, k) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`),
        ids()[i % ids().length],
      ],
      ok,
    }))

  /** Operator objects over `scalar`: 1–3 operators, each valid or not. */
  const ops = (scalar: fc.Arbitrary<G>, extra: fc.Arbitrary<[string, G]>[] = []) =>
    fc
      .uniqueArray(
        fc.oneof(
          fc.tuple(fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'), scalar),
          fc
            .tuple(fc.constantFrom('in', 'notIn'), fc.array(scalar, { maxLength: 4 }))
            .map(([op, list]) => [op, { v: list.map((g) => g.v), ok: all(list) }] as [string, G]),
          fc.tuple(fc.constant('isNull'), fc.oneof(good(fc.boolean()), bad(fc.constantFrom('yes', 0, null)))),
          fc
            .tuple(fc.constantFrom('between', 'regexp', '__proto__', 'toString'), good(fc.constant(1)))
            .map(([op, g]) => [op, { ...g, ok: false }] as [string, G]),
          ...extra,
        ),
        { minLength: 1, maxLength: 3, selector: ([op]) => op },
      )
      .map((entries) => {
        const o: Record<string, unknown> = {}
        for (const [op, g] of entries) Object.defineProperty(o, op, { value: g.v, enumerable: true, writable: true })
        // ordering operators on null are refused; so are ops the library does not know
        const nullOrder = entries.some(([op, g]) => ['gt', 'gte', 'lt', 'lte'].includes(op) && g.v === null)
        return { v: o, ok: all(entries.map(([, g]) => g)) && !nullOrder }
      })

  const int = mostly(
    fc.oneof(good(fc.integer({ min: -5, max: 45 })), good(fc.constant(null))),
    fc.oneof(bad(fc.constantFrom(1.5, '3', 2 ** 53, -0.5, 10n)), bad(hostileScalars)),
  )
  const text = mostly(
    fc.oneof(good(fc.constantFrom(...NAMES)), good(fc.constant(null))),
    fc.oneof(bad(hostileStrings), bad(fc.constantFrom(5, true)), bad(hostileScalars)),
  )
  const likeOps: fc.Arbitrary<[string, G]>[] = [
    fc.tuple(
      fc.constant('like'),
      mostly(
        good(fc.constantFrom('User 1%', 'User _', '%0', 'zz%')),
        fc.oneof(bad(hostileStrings), bad(fc.constant(3))),
      ),
    ),
    fc.tuple(fc.constant('ilike'), mostly(good(fc.constantFrom('user 1%', '%ER 2')), bad(fc.constant(null)))),
  ]
  const idValue = mostly(
    fc.oneof(good(uuid), good(fc.constant(null))),
    fc.oneof(bad(fc.constantFrom("1' OR '1'='1", 'not-a-uuid', 42)), bad(hostileScalars)),
  )
  const tenantValue = mostly(good(tenant), fc.oneof(bad(fc.constantFrom('tenant', `${T1} `, 7)), bad(hostileScalars)))

  const filterFor = (scalar: fc.Arbitrary<G>, extra: fc.Arbitrary<[string, G]>[] = []) =>
    fc.oneof(
      { weight: 3, arbitrary: scalar },
      {
        weight: 2,
        arbitrary: fc.array(scalar, { maxLength: 4 }).map((list) => ({ v: list.map((g) => g.v), ok: all(list) })),
      },
      { weight: 3, arbitrary: ops(scalar, extra) },
      { weight: 1, arbitrary: bad(fc.constant({})) },
    )
  const likeOnWrongType: fc.Arbitrary<[string, G]>[] = [
    fc
      .tuple(fc.constantFrom('like', 'ilike'), good(fc.constant('0%')))
      .map(([op, g]) => [op, { ...g, ok: false }] as [string, G]),
  ]

  const whereEntry: fc.Arbitrary<[string, G]> = fc.oneof(
    fc.tuple(fc.constant('age'), filterFor(int, likeOnWrongType)),
    fc.tuple(
      fc.constant('score'),
      filterFor(
        mostly(
          fc.oneof(good(fc.constantFrom(0.5, 1, 2.5, 4)), good(fc.constant(null))),
          bad(fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY, 'x')),
        ),
      ),
    ),
    fc.tuple(fc.constant('name'), filterFor(text, likeOps)),
    fc.tuple(
      fc.constant('id'),
      fc.oneof(
        { weight: 6, arbitrary: filterFor(idValue, likeOnWrongType) },
        { weight: 1, arbitrary: huge(ctx.family === 'postgres') },
      ),
    ),
    fc.tuple(fc.constant('tenantId'), filterFor(tenantValue)),
    fc.tuple(
      fc.constant('deletedAt'),
      mostly(
        fc.oneof(good(fc.constant(null)), good(fc.constant({ isNull: false }))),
        bad(fc.constantFrom('yesterday', new Date(Number.NaN), new Date(8.64e15))),
      ),
    ),
    fc.tuple(
      fc.constant('meta'),
      mostly(good(fc.constant({ isNull: true })), bad(fc.constant({ eq: { theme: 'x' } }))),
    ),
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'tenant_id', 'toString', 'nope', 'age; drop table x', ''),
        good(fc.constant(1)),
      )
      .map(([k, g]) => [k, { ...g, ok: false }] as [string, G]),
  )
  const where: fc.Arbitrary<G> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.uniqueArray(whereEntry, { maxLength: 3, selector: ([k]) => k }).map((entries) => {
        const o: Record<string, unknown> = {}
        for (const [k, g] of entries) Object.defineProperty(o, k, { value: g.v, enumerable: true, writable: true })
        return { v: o, ok: all(entries.map(([, g]) => g)) }
      }),
    },
    { weight: 1, arbitrary: good(fc.constantFrom(undefined, null)) },
    { weight: 1, arbitrary: bad(fc.constantFrom('age > 1', [], 5, [{ age: 1 }])) },
  )
  const orderBy: fc.Arbitrary<G> = mostly(
    good(
      fc.constantFrom(undefined, { age: 'asc' }, { name: 'desc' }, [{ age: 'desc' }, { id: 'asc' }], {
        score: 'asc',
        id: 'desc',
      }),
    ),
    bad(
      fc.constantFrom(
        { age: 'sideways' },
        { nope: 'asc' },
        'age',
        [5],
        { created_at: 'asc' },
        { age: 'asc; drop table x' },
      ),
    ),
  )
  /** An option: absent half the time, else mostly valid. */
  const option = (name: string, values: fc.Arbitrary<G>) =>
    fc.option(
      values.map((g) => [name, g] as const),
      { nil: undefined, freq: 2 },
    )
  const options = fc.record({
    method: fc.constantFrom('list', 'count'),
    scope: fc.constantFrom(0, 1),
    permissive: fc.boolean(),
    where,
    parts: fc.tuple(
      option('includeDeleted', mostly(good(fc.boolean()), bad(fc.constantFrom('false', 1, null, 'true')))),
      option('orderBy', orderBy),
      option('limit', mostly(good(fc.integer({ min: 0, max: 50 })), bad(fc.constantFrom(-1, 1.5, '10', Number.NaN)))),
      option('offset', mostly(good(fc.integer({ min: 0, max: 5 })), bad(fc.constantFrom(-1, '0')))),
      option(
        'asOf',
        mostly(
          good(fc.constant('future')),
          bad(fc.constantFrom('yesterday', new Date(Number.NaN), new Date(8.64e15), 5)),
        ),
      ),
      fc.oneof(
        { weight: 7, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: bad(
            fc.constantFrom(
              ['includeDelted', true],
              ['tenantId', T2],
              ['tenantIds', [T1, T2]],
              ['__proto__', { includeDeleted: true }],
            ),
          ).map((g) => ['unknown', g] as const),
        },
      ),
    ),
    inherited: fc.boolean(),
  })

  const low = (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s)
  const like = (pattern: string, value: string, fold: boolean) => {
    const re = new RegExp(
      `^${pattern
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/%/g, '.*')
        .replace(/_/g, '.')}$`,
      fold ? 'is' : 's',
    )
    return re.test(value)
  }
  /** SQL semantics of one operator on one row value (null: unknown, so not matched). */
  const holds = (key: string, op: string, v: unknown, x: unknown): boolean => {
    const norm = (a: unknown) => (key === 'id' || key === 'tenantId' ? low(a) : a)
    const value = norm(v)
    switch (op) {
      case 'isNull':
        return (x === null) === v
      case 'eq':
        return value === null ? x === null : x !== null && x === value
      case 'ne':
        return value === null ? x !== null : x !== null && x !== value
      case 'in':
        return (v as unknown[]).length > 0 && x !== null && (v as unknown[]).map(norm).includes(x)
      case 'notIn': {
        // NOT IN (…, NULL) is never true
        const list = (v as unknown[]).map(norm)
        return list.length === 0 || (x !== null && !list.includes(null) && !list.includes(x))
      }
      case 'gt':
        return x !== null && (x as number) > (value as number)
      case 'gte':
        return x !== null && (x as number) >= (value as number)
      case 'lt':
        return x !== null && (x as number) < (value as number)
      case 'lte':
        return x !== null && (x as number) <= (value as number)
      case 'like':
        return x !== null && like(v as string, x as string, ctx.family === 'mysql')
      case 'ilike':
        return x !== null && like(v as string, x as string, true)
    }
    throw new Error(`no model for ${op}`)
  }
  const matches = (w: Record<string, unknown>, r: Row) =>
    Object.entries(w).every(([key, cond]) => {
      const x = key === 'meta' ? null : (r as unknown as Record<string, unknown>)[key]
      if (cond === null) return x === null
      if (Array.isArray(cond)) return holds(key, 'in', cond, x)
      if (typeof cond === 'object' && !(cond instanceof Date))
        return Object.entries(cond).every(([op, v]) => holds(key, op, v, x))
      return holds(key, 'eq', cond, x)
    })

  it('finds 0 scope escapes and refuses only with ValidationError (1,000 inputs)', async () => {
    let accepted = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(options, async (input) => {
        const own = TENANTS[input.scope]!
        const repo = ctx.db.repository(Versioned, input.permissive ? { tenantIds: [own] } : { tenantId: own })
        const given: Record<string, unknown> = input.inherited
          ? Object.create({ includeDeleted: true, where: { tenantId: TENANTS[1 - input.scope] }, limit: 0 })
          : {}
        const parts: G[] = [input.where]
        if (input.where.v !== undefined) given.where = input.where.v
        for (const part of input.parts) {
          if (!part) continue
          const [name, g] = part
          if (name === 'unknown') {
            const [k, v] = g.v as [string, unknown]
            Object.defineProperty(given, k, { value: v, enumerable: true, writable: true })
          } else {
            given[name] = name === 'asOf' && g.v === 'future' ? new Date(Date.now() + 3_600_000) : g.v
          }
          // count takes no orderBy / limit / offset
          parts.push(
            input.method === 'count' && ['orderBy', 'limit', 'offset'].includes(name) && g.v !== undefined
              ? { ...g, ok: false }
              : g,
          )
        }
        const ok = all(parts)
        const call = input.method === 'list' ? repo.list(given as never) : repo.count(given as never)
        const result = await call.then(
          (value: unknown) => ({ value }),
          (error: unknown) => ({ error }),
        )
        if ('error' in result) {
          expect(result.error, String(result.error)).toBeInstanceOf(ValidationError)
          expect(ok, `refused valid input: ${String(result.error)}`).toBe(false)
          refused++
          return
        }
        expect(ok, 'accepted invalid input').toBe(true)
        accepted++
        const mine = (k: string) => (Object.hasOwn(given, k) ? given[k] : undefined)
        const includeDeleted = mine('includeDeleted') === true
        const expected = rows.filter(
          (r) =>
            r.tenantId === own &&
            (includeDeleted || r.deletedAt === null) &&
            matches((mine('where') ?? {}) as Record<string, unknown>, r),
        )
        if (input.method === 'count') {
          expect(result.value).toBe(expected.length)
          return
        }
        const got = result.value as Row[]
        // no scope escape: every row is the scope's tenant's and satisfies the filter
        for (const r of got) {
          expect(r.tenantId).toBe(own)
          expect(expected.some((e) => e.id === r.id)).toBe(true)
        }
        const limit = (mine('limit') as number | undefined) ?? 100
        const offset = (mine('offset') as number | undefined) ?? 0
        expect(got.length).toBe(Math.max(0, Math.min(limit, expected.length - offset)))
      }),
      { numRuns: 1_000 },
    )
    // both sides were exercised
    expect(accepted).toBeGreaterThan(100)
    expect(refused).toBeGreaterThan(100)
  })
})
