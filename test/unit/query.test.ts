import { DummyDriver, Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Database } from '../../src/db/database.js'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, sql, ValidationError } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import { ScopePlugin } from '../../src/query/plugin.js'
import { createScoped } from '../../src/query/scoped.js'
import { Scope } from '../../src/scope/scope.js'

const T = '00000000-0000-4000-8000-000000000001'
const Customer = defineModel({ table: 'cu', fields: { name: z.string().max(50), segmentName: z.string().max(9) } })
const Contract = defineModel({ table: 'ko', temporal: 'scd2', fields: { customerId: z.uuid(), fee: z.int() } })
const Country = defineModel({ table: 'co', multiTenant: false, softDelete: false, fields: { code: z.string().max(2) } })

const fakeDb = { dialect: postgresDialect } as unknown as Database
const fakeDbs = new Map<Dialect, Database>()
const scoped = (dialect: Dialect, options: object = {}) => {
  if (!fakeDbs.has(dialect)) fakeDbs.set(dialect, { dialect } as unknown as Database)
  return createScoped(fakeDbs.get(dialect)!, [Customer, Contract, Country] as const, {
    ...('tenantIds' in options ? {} : { tenantId: T }),
    ...options,
  })
}

describe('db.scoped: the SQL a scoped query compiles to (no database)', () => {
  for (const [family, dialect] of [
    ['postgres', postgresDialect],
    ['mysql', mysqlDialect],
  ] as const) {
    const Q = (name: string) => (family === 'postgres' ? `"${name}"` : `\`${name}\``)
    it(`replaces every model table read by its scoped derived table, aliased [${family}]`, () => {
      const c = scoped(dialect)
        .selectFrom('ko as k')
        .innerJoin('cu', 'cu.id', 'k.customerId')
        .select(['cu.segmentName', 'k.fee'])
        .where('k.fee', '>', 5)
        .compile()
      // only the properties the query names (and the id) are exposed, under their record names
      const customers = `(SELECT r.${Q('id')} AS ${Q('id')}, r.${Q('segment_name')} AS ${Q('segmentName')} FROM ${Q('cu')} AS r`
      expect(c.sql).toContain(customers)
      expect(c.sql).toContain(
        `WHERE (${Q('r')}.${Q('tenant_id')} = ${family === 'postgres' ? '$2' : '?'}) AND (${Q('r')}.${Q('deleted_at')} IS NULL)) as ${Q('cu')}`,
      )
      expect(c.sql).toMatch(new RegExp(`as ${Q('k')} inner join \\(SELECT`))
      expect(c.sql).toContain(`where ${Q('k')}.${Q('fee')} > ${family === 'postgres' ? '$3' : '?'}`)
      expect(c.parameters).toEqual([T, T, 5])
    })

    it(`exposes every property where the query selects * or contains raw SQL [${family}]`, () => {
      const all = scoped(dialect).selectFrom('cu').selectAll().compile()
      expect(all.sql).toContain(`r.${Q('tenant_id')} AS ${Q('tenantId')}, r.${Q('name')} AS ${Q('name')}`)
      const raw = scoped(dialect).selectFrom('cu').select(sql<string>`upper(name)`.as('u')).compile()
      expect(raw.sql).toContain(`r.${Q('name')} AS ${Q('name')}`)
    })

    it(`reads scd2 tables as of an instant through the shared as-of source [${family}]`, () => {
      const at = new Date('2025-01-01T00:00:00Z')
      const c = scoped(dialect, { asOf: at }).selectFrom('ko').select('fee').compile()
      expect(c.sql).toContain('UNION ALL')
      expect(c.sql).toContain(`${Q('ko_history')}`)
      expect(c.parameters).toContainEqual(at)
      // a model that is not scd2 is read as it is
      const plain = scoped(dialect, { asOf: at }).selectFrom('cu').select('name').compile()
      expect(plain.sql).not.toContain('UNION')
    })

    it(`leaves models that are not multi-tenant unfiltered but still column-mapped [${family}]`, () => {
      const c = scoped(dialect).selectFrom('co').select('code').compile()
      expect(c.sql).toContain(`FROM ${Q('co')} AS r) as ${Q('co')}`)
      expect(c.parameters).toEqual([])
    })
  }

  it('refuses unknown tables, other schemas, CTE names used before they exist, and writes', () => {
    const r = scoped(postgresDialect) as unknown as {
      selectFrom(t: string): { selectAll(): { compile(): unknown } }
      with(n: string, f: (qb: never) => unknown): { selectFrom(t: string): { selectAll(): { compile(): unknown } } }
      deleteFrom(t: string): { compile(): unknown }
    }
    expect(() => r.selectFrom('secrets').selectAll().compile()).toThrow(ValidationError)
    expect(() => r.selectFrom('other.cu').selectAll().compile()).toThrow(/other\.cu/)
    expect(() => r.deleteFrom('cu').compile()).toThrow(/read-only/)
    expect(() =>
      r
        .with('x', (qb: { selectFrom(t: string): { selectAll(): unknown } }) => qb.selectFrom('x').selectAll())
        .selectFrom('x')
        .selectAll()
        .compile(),
    ).toThrow(/"x"/)
  })
})

const T2 = '00000000-0000-4000-8000-000000000002'

/** The same scope without the shape cache: every query transformed and compiled afresh. */
function uncached(dialect: Dialect, options: { tenantId?: string; tenantIds?: string[]; asOf?: Date } = {}) {
  const scope = options.tenantIds ? { tenantIds: options.tenantIds } : { tenantId: options.tenantId ?? T }
  const tables = new Map(
    [Customer, Contract, Country].map((m) => [
      m.def.table,
      { ctx: new ModelContext(m.def, dialect), scope: new Scope(m.def, m.def.multiTenant ? scope : {}) },
    ]),
  )
  const plugin = new ScopePlugin(tables, { asOf: options.asOf, includeDeleted: false })
  return new Kysely<never>({
    dialect: {
      createDriver: () => new DummyDriver(),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: () => undefined as never,
    },
    plugins: [plugin],
  }) as unknown as ReturnType<typeof scoped>
}

describe('db.scoped: query shapes compiled once', () => {
  type Q = ReturnType<typeof scoped>
  const at = new Date('2025-01-01T00:00:00Z')
  // shapes with values in every place Kysely binds them: where, in-lists, limit, joins, CTEs, raw sql
  const shapes: [string, (r: Q, v: number) => { compile(): { sql: string; parameters: readonly unknown[] } }][] = [
    [
      'join',
      (r, v) =>
        r
          .selectFrom('ko as k')
          .innerJoin('cu', 'cu.id', 'k.customerId')
          .select(['cu.name', 'k.fee'])
          .where('k.fee', '>', v)
          .limit(v + 1),
    ],
    [
      'in list',
      (r, v) =>
        r
          .selectFrom('ko')
          .select('fee')
          .where('fee', 'in', [v, v + 1, v + 2]),
    ],
    [
      'cte + exists',
      (r, v) =>
        r
          .with('big', (qb) => qb.selectFrom('ko').select(['customerId', 'fee']).where('fee', '>=', v))
          .selectFrom('cu')
          .select('name')
          .where(({ exists, selectFrom }) =>
            exists(selectFrom('big').select('big.fee').whereRef('big.customerId', '=', 'cu.id')),
          ),
    ],
    ['raw sql', (r, v) => r.selectFrom('cu').select(sql<number>`length(name) + ${v}`.as('n'))],
    ['no tenant', (r, v) => r.selectFrom('co').select('code').where('code', '=', `c${v}`)],
  ]
  for (const [family, dialect] of [
    ['postgres', postgresDialect],
    ['mysql', mysqlDialect],
  ] as const) {
    it(`compiles to exactly the SQL and parameters of a fresh transform, for every scope [${family}]`, () => {
      for (const options of [{}, { tenantId: T2 }, { tenantIds: [T, T2] }, { asOf: at }, { tenantIds: [T2] }]) {
        for (const [name, shape] of shapes) {
          for (const v of [1, 7, 1]) {
            const cached = shape(scoped(dialect, options), v).compile()
            const fresh = shape(uncached(dialect, options), v).compile()
            expect({ name, sql: cached.sql, parameters: cached.parameters }).toEqual({
              name,
              sql: fresh.sql,
              parameters: fresh.parameters,
            })
          }
        }
      }
    })
  }

  it('never runs a shape compiled in one scope with that scope’s values (two tenants interleaved)', () => {
    const one = scoped(postgresDialect, { tenantId: T })
    const two = scoped(postgresDialect, { tenantId: T2 })
    const both = scoped(postgresDialect, { tenantIds: [T, T2] })
    const asOf = scoped(postgresDialect, { tenantId: T2, asOf: at })
    const shape = (r: Q, fee: number) =>
      r.selectFrom('ko').innerJoin('cu', 'cu.id', 'ko.customerId').select('fee').where('fee', '=', fee)
    for (let i = 0; i < 4; i++) {
      const a = shape(one, i).compile()
      const b = shape(two, i).compile()
      const c = shape(both, i).compile()
      const d = shape(asOf, i).compile()
      expect(a.parameters).toEqual([T, T, i])
      expect(b.parameters).toEqual([T2, T2, i])
      expect(a.sql).toBe(b.sql)
      expect(c.sql).not.toBe(a.sql)
      expect(c.parameters.filter((p) => p === T || p === T2)).toEqual([T, T2, T, T2])
      expect(d.sql).toContain('UNION ALL')
      expect(d.parameters).toContain(T2)
      expect(d.parameters).not.toContain(T)
      expect(d.parameters).toContainEqual(at)
    }
  })

  it('scopes both arms of a recursive CTE, which may read itself', () => {
    const c = scoped(postgresDialect)
      .withRecursive('chain(id, customerId)', (qb) =>
        qb
          .selectFrom('ko')
          .select(['id', 'customerId'])
          .where('fee', '>', 1)
          .unionAll((eb) =>
            eb.selectFrom('ko').innerJoin('chain', 'chain.id', 'ko.customerId').select(['ko.id', 'ko.customerId']),
          ),
      )
      .selectFrom('chain')
      .select('chain.id')
      .compile()
    expect(c.sql).toMatch(/^with recursive "chain"\("id", "customerId"\) as \(select/)
    expect(
      c.sql.match(/FROM "ko" AS r WHERE \("r"."tenant_id" = \$\d\) AND \("r"."deleted_at" IS NULL\)/g),
    ).toHaveLength(2)
    expect(c.sql).toContain('inner join "chain" on')
    expect(c.parameters).toEqual([T, 1, T])
  })

  it('keeps immediate values (sql.lit) and identifiers in the shape, not in the parameters', () => {
    const r = scoped(postgresDialect)
    const lit = (v: number) => r.selectFrom('cu').select(sql.lit(v).as('x')).compile()
    expect(lit(1).sql).toContain('1 as "x"')
    expect(lit(2).sql).toContain('2 as "x"')
    const ref = (c: 'name' | 'segmentName') => r.selectFrom('cu').select(sql.ref(c).as('x')).compile()
    expect(ref('name').sql).toContain('"name" as "x"')
    expect(ref('segmentName').sql).toContain('"segmentName" as "x"')
  })

  it('gives the same scope on the same database the same builder, another scope another', () => {
    const db = fakeDb
    const models = [Customer, Contract, Country] as const
    const a = createScoped(db, models, { tenantId: T })
    expect(createScoped(db, models, { tenantId: T })).toBe(a)
    expect(createScoped(db, models, { tenantId: T2 })).not.toBe(a)
    expect(createScoped(db, models, { tenantIds: [T] })).not.toBe(a)
    expect(createScoped(db, models, { tenantId: T, includeDeleted: true })).not.toBe(a)
    const at = new Date('2025-01-01T00:00:00Z')
    const old = createScoped(db, models, { tenantId: T, asOf: at })
    at.setTime(0)
    // the builder keeps the instant it was made for, even when the caller changes their Date
    expect(createScoped(db, models, { tenantId: T, asOf: at })).not.toBe(old)
    expect(old.selectFrom('ko').select('fee').compile().parameters).toContainEqual(new Date('2025-01-01T00:00:00Z'))
  })
})
