import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { changesSchema } from '../../src/db/drivers/pg-prepared.js'
import { Metrics, statementKind } from '../../src/db/metrics.js'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, field } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'

describe('statement kinds (no regular expression per statement)', () => {
  it.each([
    ['select 1', 'select'],
    ['  SELECT x', 'select'],
    ['\n\twith a as (select 1) select * from a', 'with'],
    ['insert into t values ($1)', 'insert'],
    ['UPDATE t SET a = 1', 'update'],
    ['delete from t', 'delete'],
    ['create table t (a int)', 'ddl'],
    ['ALTER TABLE t ADD b int', 'ddl'],
    ['drop index i', 'ddl'],
    ['begin', 'transaction'],
    ['BEGIN NOT ATOMIC START TRANSACTION; SELECT 1; END', 'compound'],
    ['begin not atomic select 1; end', 'compound'],
    ['begin work', 'transaction'],
    ['COMMIT', 'transaction'],
    ['rollback to savepoint "ff_sp_1"', 'transaction'],
    ['release savepoint x', 'transaction'],
    ['savepoint x', 'transaction'],
    ['select(1)', 'select'],
    ['constructor', 'other'],
    ['__proto__', 'other'],
    ['deallocate all', 'other'],
    ['', 'other'],
  ])('%j is %s', (sql, kind) => expect(statementKind(sql)).toBe(kind))
})

describe('schema-changing statements drop prepared statements', () => {
  it.each([
    ['create table t (a int)', true],
    ['  ALTER TABLE t ADD b int', true],
    ['drop table t', true],
    ['comment on table t is $$x$$', true],
    ['truncate t', true],
    ['do $$ begin end $$', true],
    ['begin', false],
    ['commit', false],
    ['select 1', false],
    ['deallocate all', false],
    ['dropx', false],
  ])('%j → %s', (sql, yes) => expect(changesSchema(sql)).toBe(yes))
})

describe('metrics recorded into plain counters', () => {
  const metrics = () =>
    new Metrics(
      () => ({ total: 1, idle: 1, waiting: 0, max: 10 }),
      () => ({ state: 'closed', consecutiveFailures: 0 }) as never,
    )

  it('reports the same counts as a snapshot and as Prometheus text, buckets cumulative', async () => {
    const m = metrics()
    m.query('select 1', 0.0004)
    m.query('SELECT 2', 0.003)
    m.query('update t set a = 1', 2)
    m.operation('users', 'get', 0.002, false)
    m.operation('users', 'get', 0.02, true)
    m.error('NOT_FOUND')
    m.retry()
    const s = m.snapshot()
    expect(s.queries.total).toBe(3)
    expect(s.queries.byKind.select?.count).toBe(2)
    expect(s.queries.byKind.select?.seconds).toBeCloseTo(0.0034, 10)
    expect(s.queries.byKind.update?.count).toBe(1)
    expect(s.operations['users.get']).toMatchObject({ count: 2, errors: 1 })
    expect(s.operations['users.get']?.seconds).toBeCloseTo(0.022, 10)
    expect(s.errors).toEqual({ NOT_FOUND: 1 })
    expect(s.retries).toBe(1)
    const text = await m.text()
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix))
    expect(line('ff_storage_query_duration_seconds_bucket{kind="select",le="0.0005"}')).toMatch(/ 1$/)
    expect(line('ff_storage_query_duration_seconds_bucket{kind="select",le="0.0025"}')).toMatch(/ 1$/)
    expect(line('ff_storage_query_duration_seconds_bucket{kind="select",le="0.005"}')).toMatch(/ 2$/)
    expect(line('ff_storage_query_duration_seconds_bucket{kind="select",le="+Inf"}')).toMatch(/ 2$/)
    expect(line('ff_storage_query_duration_seconds_bucket{kind="update",le="1"}')).toMatch(/ 0$/)
    expect(line('ff_storage_query_duration_seconds_bucket{kind="update",le="2.5"}')).toMatch(/ 1$/)
    expect(line('ff_storage_query_duration_seconds_count{kind="select"}')).toMatch(/ 2$/)
    expect(Number(line('ff_storage_query_duration_seconds_sum{kind="select"}')?.split(' ')[1])).toBeCloseTo(0.0034, 10)
    expect(line('ff_storage_operation_duration_seconds_count{model="users",operation="get",outcome="error"}')).toMatch(
      / 1$/,
    )
    expect(text).toContain('# TYPE ff_storage_query_duration_seconds histogram')
    // snapshots are copies
    s.queries.byKind.select!.count = 99
    expect(m.snapshot().queries.byKind.select?.count).toBe(2)
  })
})

describe('rows decoded in one pass', () => {
  const Model = defineModel({
    table: 'decoded',
    temporal: 'scd2',
    fields: {
      name: z.string(),
      age: z.int(),
      big: z.bigint(),
      price: field(z.string(), { precision: 8, scale: 2 }),
      ratio: z.number(),
      flag: z.boolean(),
      meta: z.object({ a: z.number() }),
      tags: z.array(z.string()),
      day: z.iso.date(),
      note: z.string().optional(),
    },
  })

  it.each([
    ['postgres', postgresDialect],
    ['mysql', mysqlDialect],
  ] as const)('builds the same record as decodeValue field by field (%s), properties in field order', (_, dialect) => {
    const ctx = new ModelContext(Model.def, dialect)
    const mysql = dialect.family === 'mysql'
    const row: Record<string, unknown> = {
      id: '018f0000-0000-7000-8000-000000000001',
      tenant_id: '018f0000-0000-7000-8000-000000000002',
      name: 'n',
      age: '7',
      big: '9007199254740993',
      price: mysql ? 1.5 : '1.50',
      ratio: '0.25',
      flag: mysql ? 1 : true,
      meta: mysql ? '{"a":1}' : { a: 1 },
      tags: mysql ? '["x"]' : ['x'],
      day: new Date('2026-01-02T00:00:00Z'),
      note: null,
      version: 1,
      valid_from: '2026-01-01T00:00:00.000Z',
      valid_to: null,
      created_at: new Date(1),
      updated_at: new Date(2),
      created_by: null,
      updated_by: null,
      deleted_at: null,
      deleted_by: null,
    }
    const record = ctx.decode(row)
    const expected = Object.fromEntries(Model.def.fields.map((f) => [f.name, dialect.codec.decode(f, row[f.column])]))
    expect(record).toEqual(expected)
    expect(Object.keys(record)).toEqual(Model.def.fields.map((f) => f.name))
    expect(record.big).toBe(9007199254740993n)
    expect(record.age).toBe(7)
    expect(record.meta).toEqual({ a: 1 })
    expect(record.day).toBe('2026-01-02')
    expect(record.validFrom).toEqual(new Date('2026-01-01T00:00:00.000Z'))
  })

  it('keeps a field named __proto__ an own property (never the prototype)', () => {
    const Odd = defineModel({
      table: 'odd',
      multiTenant: false,
      fields: Object.fromEntries([['__proto__', z.string()]]),
    })
    const ctx = new ModelContext(Odd.def, postgresDialect)
    expect(Odd.def.fields.some((f) => f.name === '__proto__')).toBe(true)
    const record = ctx.decode(
      Object.fromEntries([
        ['__proto__', 'x'],
        ['id', 'i'],
      ]),
    )
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
    expect(Object.hasOwn(record, '__proto__')).toBe(true)
  })
})
