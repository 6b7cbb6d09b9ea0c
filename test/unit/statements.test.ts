import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, field, ValidationError } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import { deepEqual, normalizeDecimal, sameValue } from '../../src/model/codec.js'
import { compileOrderBy, compileWhere } from '../../src/repository/where.js'
import { Scope } from '../../src/scope/scope.js'
import { compile, id, join, q } from '../../src/sql/fragment.js'
import { type Plan, replay } from '../../src/sql/plan.js'
import type { Statement } from '../../src/sql/statement.js'
import { writePlans } from '../../src/temporal/plans.js'
import { type ChangeRequest, NOW } from '../../src/temporal/requests.js'

const T = '00000000-0000-4000-8000-000000000001'
const U = '00000000-0000-4000-8000-0000000000a1'
const R = '00000000-0000-4000-8000-0000000000b1'

const fields = {
  name: z.string().max(50),
  price: field(z.string(), { precision: 8, scale: 2 }),
  meta: z.object({ a: z.number() }),
}
const models = {
  none: defineModel({ table: 'n', fields }),
  copy_on_change: defineModel({ table: 'c', temporal: 'copy_on_change', fields }),
  scd2: defineModel({ table: 's', temporal: 'scd2', fields }),
}

/** Drives plans with one canned answer for every statement, collecting what they send. Pins SQL shapes only. */
function recorder(answer: Record<string, unknown>[] = []) {
  const statements: Statement[] = []
  const drive = <R>(p: Plan<R>): R => {
    const { result, statements: sent } = replay(p, () => answer)
    statements.push(...sent)
    return result
  }
  return { drive, statements }
}

describe('sql builder', () => {
  it('numbers placeholders from the compiler, never by rewriting text ($1 inside $10)', () => {
    const values = Array.from({ length: 12 }, (_, i) => i)
    const f = q`SELECT ${join(values.map((v) => q`${v} AS ${id(`c$1${v}`)}`))}, '$1' AS lit`
    const pg = compile(f, postgresDialect)
    expect(pg.sql).toContain('$10 AS "c$19", $11 AS "c$110", $12 AS "c$111"')
    expect(pg.sql).toContain(`'$1' AS lit`)
    expect(pg.parameters).toEqual(values)
    const my = compile(f, mysqlDialect)
    expect(my.sql.match(/\?/g)).toHaveLength(12)
    expect(my.sql).toContain('`c$111`')
  })

  it('treats objects from callers as values, never as identifiers or SQL', () => {
    const forged = { id: 'x"; drop table t; --' }
    const s = compile(q`SELECT ${forged}`, postgresDialect)
    expect(s).toEqual({ sql: 'SELECT $1', parameters: [forged] })
    expect(compile(q`SELECT ${id('we"ird')}`, postgresDialect).sql).toBe('SELECT "we""ird"')
    expect(compile(q`SELECT ${id('we`ird')}`, mysqlDialect).sql).toBe('SELECT `we``ird`')
  })
})

describe('codec', () => {
  it.each([
    ['10.5', 10, 2, '10.50'],
    ['-0.10', 10, 2, '-0.10'],
    ['007', 5, 0, '7'],
    ['0.00', 5, 2, '0.00'],
    ['-0', 5, 2, '0.00'],
    ['99999999.99', 10, 2, '99999999.99'],
  ])('normalizes %s to numeric(%i,%i) as %s', (v, p, s, out) => expect(normalizeDecimal(v, p, s)).toBe(out))

  it.each([
    ['1.234', 10, 2],
    ['123456789.1', 10, 2],
    ['1e5', 10, 2],
    ['abc', 10, 2],
  ])('rejects %s for numeric(%i,%i)', (v, p, s) => expect(normalizeDecimal(v, p, s)).toHaveProperty('error'))

  it('compares by value: JSON key order, decimal notation, instants', () => {
    const def = models.none.def
    expect(sameValue(def.byName.get('meta')!, { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true)
    expect(sameValue(def.byName.get('meta')!, { a: 1 }, { a: 2 })).toBe(false)
    expect(sameValue(def.byName.get('price')!, '1.5', '1.50')).toBe(true)
    expect(sameValue(def.byName.get('price')!, '1.5', '1.51')).toBe(false)
    expect(deepEqual(new Date(5), new Date(5))).toBe(true)
    expect(deepEqual([1, 2], { 0: 1, 1: 2 })).toBe(false)
  })
})

describe('where and orderBy', () => {
  const ctx = new ModelContext(models.none.def, postgresDialect)
  const sqlOf = (where: unknown) => compile(join(compileWhere(ctx, where, 'r'), ' AND '), postgresDialect)

  it('compiles every operator to bound parameters', () => {
    const s = sqlOf({
      name: { like: 'a%', ilike: 'B%', ne: 'x', in: ['p', 'q'], notIn: [] },
      price: { gte: '1.5', lt: 3 },
      deletedAt: null,
      createdAt: { isNull: false },
    })
    expect(s.sql).toBe(
      '"r"."name" LIKE $1 AND "r"."name" ILIKE $2 AND "r"."name" <> $3 AND "r"."name" = ANY(CAST($4 AS character varying[])) AND 1 = 1 AND "r"."price" >= $5 AND "r"."price" < $6 AND "r"."deleted_at" IS NULL AND "r"."created_at" IS NOT NULL',
    )
    expect(s.parameters).toEqual(['a%', 'B%', 'x', '{"p","q"}', '1.50', '3.00'])
  })

  it('binds an IN list as one array parameter on PostgreSQL, one placeholder per value up to a limit on MySQL', () => {
    const ids = Array.from({ length: 70_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const s = sqlOf({ id: { notIn: ids } })
    expect(s.sql).toBe('"r"."id" <> ALL(CAST($1 AS uuid[]))')
    expect(s.parameters).toHaveLength(1)
    const my = new ModelContext(models.none.def, mysqlDialect)
    expect(compile(join(compileWhere(my, { id: ids.slice(0, 3) }, 'r')), mysqlDialect).sql).toBe(
      '`r`.`id` IN (?, ?, ?)',
    )
    expect(() => compileWhere(my, { id: ids }, 'r')).toThrow(/at most 10000 values/)
  })

  it('uses LOWER … LIKE for ilike on MySQL', () => {
    const my = new ModelContext(models.none.def, mysqlDialect)
    expect(compile(join(compileWhere(my, { name: { ilike: 'a%' } }, 'r')), mysqlDialect).sql).toBe(
      'LOWER(`r`.`name`) LIKE LOWER(?)',
    )
  })

  it('collects every problem into one ValidationError', () => {
    const error = (() => {
      try {
        sqlOf({ nope: 1, name: { eq: 5, between: 1 }, price: { gt: 'x' } })
      } catch (e) {
        return e as ValidationError
      }
    })()
    expect(error).toBeInstanceOf(ValidationError)
    expect(error!.issues.map((i) => i.path.join('.'))).toEqual([
      'where.nope',
      'where.name.eq',
      'where.name.between',
      'where.price.gt',
    ])
  })

  it('orders by createdAt desc, id desc by default and always breaks ties on id', () => {
    expect(compile(compileOrderBy(models.none.def, undefined, 'r'), postgresDialect).sql).toBe(
      '"r"."created_at" DESC, "r"."id" DESC',
    )
    expect(
      compile(compileOrderBy(models.none.def, [{ name: 'asc' }, { price: 'desc' }], 'r'), postgresDialect).sql,
    ).toBe('"r"."name" ASC, "r"."price" DESC, "r"."id" ASC')
  })
})

describe('write statements', () => {
  /** Rename a record (UPDATE of `name`), as the repository asks the writers to. */
  const rename = (def: (typeof models)['none']['def']): ChangeRequest => ({
    id: R,
    filter: 'live',
    set: new Map([[def.byName.get('name')!, 'y']]),
    operation: 'UPDATE',
    audited: [def.byName.get('name')!],
    actor: U,
    transactionId: R,
  })

  for (const [strategy, model] of Object.entries(models)) {
    it(`${strategy}: one data-modifying CTE per write on PostgreSQL`, () => {
      const ctx = new ModelContext(model.def, postgresDialect)
      const scope = new Scope(model.def, { tenantId: T })
      const plans = writePlans(ctx)
      const { drive, statements } = recorder([{ ff_changed: 1, n: 1 }])
      const row = new Map<(typeof model.def.fields)[number], unknown>([
        [model.def.system.id!, R],
        [model.def.system.tenant!, T],
        [model.def.byName.get('name')!, 'x'],
      ])
      drive(plans.insert({ rows: [row], actor: U, transactionId: R }))
      drive(plans.change(scope, rename(model.def)))
      drive(
        plans.change(scope, {
          ...rename(model.def),
          set: new Map<(typeof model.def.fields)[number], unknown>([
            [model.def.system.deletedAt!, NOW],
            [model.def.system.deletedBy!, U],
          ]),
          operation: 'DELETE',
          audited: [model.def.system.deletedAt!],
          actor: U,
          transactionId: R,
        }),
      )
      drive(plans.purge(scope, R))
      expect(statements).toHaveLength(model.def.temporal === 'none' ? 4 : 5) // purge with a trail: lock, then delete
      expect(statements.map((s) => s.sql).join(';\n\n')).toMatchSnapshot()
      for (const s of statements) expect(s.sql.match(/\$\d+/g)?.length ?? 0).toBe(s.parameters.length)
    })

    it(`${strategy}: a locking transaction per write on MySQL`, () => {
      const ctx = new ModelContext(model.def, mysqlDialect)
      const scope = new Scope(model.def, { tenantId: T })
      const locked = Object.fromEntries(ctx.columns.map((f) => [f.column, null]))
      const now = new Date('2026-01-01T00:00:00.000Z')
      Object.assign(locked, {
        id: R,
        tenant_id: T,
        name: 'x',
        price: '1.00',
        meta: '{"a":1}',
        ff_now: now,
        updated_at: now,
        valid_from: now,
        version: 1,
      })
      const { drive, statements } = recorder([locked])
      drive(writePlans(ctx).change(scope, rename(model.def)))
      expect(statements[0]!.sql).toMatch(/^SELECT .* FOR UPDATE$/)
      expect(statements.map((s) => s.sql).join(';\n\n')).toMatchSnapshot()
    })
  }
})
