import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Database } from '../../src/db/database.js'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, sql, ValidationError } from '../../src/index.js'
import { createScoped } from '../../src/query/scoped.js'

const T = '00000000-0000-4000-8000-000000000001'
const Customer = defineModel({ table: 'cu', fields: { name: z.string().max(50), segmentName: z.string().max(9) } })
const Contract = defineModel({ table: 'ko', temporal: 'scd2', fields: { customerId: z.uuid(), fee: z.int() } })
const Country = defineModel({ table: 'co', multiTenant: false, softDelete: false, fields: { code: z.string().max(2) } })

const scoped = (dialect: Dialect, options = {}) =>
  createScoped({ dialect } as unknown as Database, [Customer, Contract, Country] as const, { tenantId: T, ...options })

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
      expect(c.parameters).toContain(at)
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
