import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { mariadbDialect, mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, ValidationError } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import { Keyset, type KeysetQuery } from '../../src/repository/keyset.js'
import { compile } from '../../src/sql/fragment.js'

const T = '00000000-0000-4000-8000-000000000001'
const R = '00000000-0000-4000-8000-0000000000b1'
const Item = defineModel({
  table: 'items',
  fields: { n: z.int(), label: z.string().max(20).optional(), big: z.bigint() },
})
const query = (orderBy: unknown): KeysetQuery => ({
  where: undefined,
  orderBy,
  tenants: [T],
  strict: true,
  asOf: undefined,
  includeDeleted: false,
})

describe('keyset cursors', () => {
  it('pins the after-predicate per family (NULL after values on PostgreSQL, before them on MySQL)', () => {
    const record = { n: 3, label: 'b', id: R }
    const pg = new Keyset(new ModelContext(Item.def, postgresDialect), query([{ n: 'asc' }, { label: 'asc' }]))
    expect(compile(pg.after(pg.cursor(record), 'r'), postgresDialect)).toEqual({
      sql: '("r"."n" >= $1) AND (("r"."n" > $2) OR (("r"."n" = $3) AND (("r"."label" > $4) OR "r"."label" IS NULL)) OR (("r"."n" = $5) AND ("r"."label" = $6) AND ("r"."id" > $7)))',
      parameters: [3, 3, 3, 'b', 3, 'b', R],
    })
    const my = new Keyset(new ModelContext(Item.def, mysqlDialect), query([{ n: 'asc' }, { label: 'asc' }]))
    expect(compile(my.after(my.cursor({ ...record, label: undefined }), 'r'), mysqlDialect)).toEqual({
      sql: '(`r`.`n` >= ?) AND ((`r`.`n` > ?) OR ((`r`.`n` = ?) AND (`r`.`label` IS NOT NULL)) OR ((`r`.`n` = ?) AND (`r`.`label` IS NULL) AND (`r`.`id` > ?)))',
      parameters: [3, 3, 3, 3, R],
    })
  })

  it('validates the key values of a correctly signed cursor like filter values', () => {
    const ctx = new ModelContext(Item.def, postgresDialect)
    const keyset = new Keyset(ctx, query({ n: 'desc' }))
    // cursors for values that no record of the model can hold: signed, yet refused
    for (const n of [{ gt: 0 }, [1, 2], 'seven', true, null]) {
      expect(() => keyset.after(keyset.cursor({ n, id: R }), 'r')).toThrow(ValidationError)
    }
    expect(() => keyset.after(keyset.cursor({ n: 1, id: 'not-a-uuid' }), 'r')).toThrow(ValidationError)
    const big = new Keyset(ctx, query({ big: 'asc' }))
    const ok = compile(big.after(big.cursor({ big: 2n ** 62n, id: R }), 'r'), postgresDialect)
    expect(ok.parameters[0]).toBe(2n ** 62n)
    expect(() => big.after(big.cursor({ big: '12x', id: R }), 'r')).toThrow(ValidationError)
  })

  it('binds a cursor to where, orderBy, scope, asOf and includeDeleted, not to key order in where', () => {
    const ctx = new ModelContext(Item.def, postgresDialect)
    const base = { ...query({ n: 'asc' }), where: { n: { gt: 1, lt: 9 } } }
    const cursor = new Keyset(ctx, base).cursor({ n: 2, id: R })
    expect(() => new Keyset(ctx, { ...base, where: { n: { lt: 9, gt: 1 } } }).after(cursor, 'r')).not.toThrow()
    const others: KeysetQuery[] = [
      { ...base, where: { n: { gt: 1, lt: 8 } } },
      { ...base, tenants: [T, R] },
      { ...base, strict: false },
      { ...base, asOf: new Date(0) },
      { ...base, includeDeleted: true },
      { ...base, orderBy: { n: 'desc' } },
    ]
    for (const other of others) expect(() => new Keyset(ctx, other).after(cursor, 'r')).toThrow(ValidationError)
  })

  it('reads the keyset index in order on MySQL/MariaDB (forced), as planned on PostgreSQL', () => {
    const Paged = defineModel({
      table: 'paged',
      fields: { n: z.int(), label: z.string().max(20) },
      indexes: [
        { columns: ['tenantId', 'n'] },
        { columns: ['tenantId', 'n', 'id'] },
        { columns: ['tenantId', 'createdAt', 'id'], name: 'paged_recent' },
      ],
    })
    const on = (dialect: typeof postgresDialect, orderBy: unknown, q: Partial<KeysetQuery> = {}) =>
      compile(new Keyset(new ModelContext(Paged.def, dialect), { ...query(orderBy), ...q }).table('r'), dialect).sql
    expect(on(mariadbDialect, { n: 'asc' })).toBe('`paged` AS `r` FORCE INDEX (`paged_tenant_id_n_id_idx`)')
    expect(on(mariadbDialect, [{ n: 'desc' }, { id: 'desc' }])).toBe(
      '`paged` AS `r` FORCE INDEX (`paged_tenant_id_n_id_idx`)',
    )
    expect(on(mysqlDialect, undefined)).toBe('`paged` AS `r` FORCE INDEX (`paged_recent`)')
    expect(on(postgresDialect, { n: 'asc' })).toBe('"paged" AS "r"')
    // no index holds the order: nothing to force
    expect(on(mariadbDialect, { label: 'asc' })).toBe('`paged` AS `r`')
    // mixed directions (id breaks ties ascending) are not one range of the index; several tenants interleave in it
    expect(on(mariadbDialect, { n: 'desc' })).toBe('`paged` AS `r`')
    expect(on(mariadbDialect, { n: 'asc' }, { strict: false, tenants: [T, R] })).toBe('`paged` AS `r`')
  })
})
