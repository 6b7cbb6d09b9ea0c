import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { defineModel, field } from '../../src/index.js'
import { fromModels } from '../../src/schema/from-models.js'
import type { TableDesc } from '../../src/schema/types.js'
import { describe as describeChange, isDestructive, render } from '../../src/sync/changes.js'
import { diffSchemas, isWidening } from '../../src/sync/diff.js'
import { normalizeExpression, normalizeSchema, normalizeType } from '../../src/sync/normalize.js'

describe('normalizeExpression', () => {
  it.each([
    ['((a IS NULL) AND (b IS NULL))', '(a is null) and (b is null)'],
    ['now()', 'now ()'],
    ['"deleted_at" IS NULL', 'deleted_at is null'],
    ["`status` IN ('a','b')", "status in ('a', 'b')"],
    ['NOW( )', 'now ()'],
    ['current_timestamp(3)', 'current_timestamp (3)'],
    ['price >= 0.00', 'price >= 0'],
    ["x <> 'Keep CASE'", "x <> 'Keep CASE'"],
    ['a != b', 'a <> b'],
  ])('%s → %s', (input, output) => expect(normalizeExpression(input)).toBe(output))

  it('keeps precedence: (a OR b) AND c differs from a OR b AND c', () => {
    expect(normalizeExpression('(a OR b) AND c')).not.toBe(normalizeExpression('a OR b AND c'))
    expect(normalizeExpression('((a OR b) AND c)')).toBe(normalizeExpression('(a OR b) AND c'))
    expect(normalizeExpression('(a) OR (b)')).toBe('(a) or (b)')
  })

  it('reads MySQL backslash escapes in literals, not PostgreSQL ones', () => {
    expect(normalizeExpression("'o\\'k'", 'mysql')).toBe(normalizeExpression("'o''k'", 'mysql'))
    expect(normalizeExpression("'a\\b'", 'postgres')).toBe("'a\\b'")
  })
})

describe('normalizeType', () => {
  it.each([
    ['VARCHAR(255)', 'character varying(255)'],
    ['int4', 'integer'],
    ['float8', 'double precision'],
    ['_text', 'text[]'],
    ['bool', 'boolean'],
    ['timestamptz', 'timestamp with time zone'],
    ['DECIMAL(10, 2)', 'numeric(10,2)'],
    ['int8[]', 'bigint[]'],
  ])('postgres: %s → %s', (t, out) => expect(normalizeType(t, 'postgres')).toBe(out))

  it.each([
    ['int(11)', 'int'],
    ['BIGINT(20)', 'bigint'],
    ['tinyint(1)', 'tinyint(1)'],
    ['tinyint(4)', 'tinyint'],
    ['SMALLINT(6)', 'smallint'],
    ['numeric(5,2)', 'decimal(5,2)'],
    ['boolean', 'tinyint(1)'],
  ])('mysql: %s → %s', (t, out) => expect(normalizeType(t, 'mysql')).toBe(out))
})

describe('isWidening', () => {
  it.each([
    ['character varying(50)', 'character varying(100)', 'postgres', true],
    ['character varying(100)', 'character varying(50)', 'postgres', false],
    ['character varying(50)', 'text', 'postgres', true],
    ['text', 'character varying(50)', 'postgres', false],
    ['integer', 'bigint', 'postgres', true],
    ['bigint', 'integer', 'postgres', false],
    ['numeric(10,2)', 'numeric(12,2)', 'postgres', true],
    ['numeric(10,2)', 'numeric(10,3)', 'postgres', false],
    ['numeric(10,2)', 'numeric(11,3)', 'postgres', true],
    ['varchar(10)', 'varchar(20)', 'mysql', true],
    ['int', 'bigint', 'mysql', true],
    ['datetime(3)', 'datetime(6)', 'mysql', true],
    ['uuid', 'text', 'postgres', false],
  ] as const)('%s → %s on %s: %s', (from, to, family, expected) => expect(isWidening(from, to, family)).toBe(expected))
})

describe('diffSchemas', () => {
  const model = (extra: Record<string, unknown> = {}) =>
    defineModel({
      table: 't',
      multiTenant: false,
      fields: { a: field(z.string().max(10), { index: true }), ...extra } as never,
    })
  const desc = (m: ReturnType<typeof model>) => normalizeSchema(fromModels([m], mysqlDialect), 'mysql')

  it('finds nothing between a schema and itself', () => {
    const s = desc(model())
    expect(diffSchemas(s, s, { family: 'mysql' })).toEqual([])
  })

  it('creates missing tables with their foreign keys as separate changes', () => {
    const P = defineModel({ table: 'p', multiTenant: false, fields: {} })
    const C = defineModel({
      table: 'c',
      multiTenant: false,
      fields: { p: field(z.uuid(), { references: { model: () => P } }) },
    })
    const changes = diffSchemas(
      normalizeSchema(fromModels([P, C], mysqlDialect), 'mysql'),
      { tables: [] },
      { family: 'mysql' },
    )
    expect(changes.map((c) => c.kind)).toEqual(['createTable', 'createTable', 'addForeignKey'])
    expect(render(changes[1]!, mysqlDialect)[0]).not.toContain('FOREIGN KEY')
  })

  it('classifies column, index and check changes, destructive or not', () => {
    const before = desc(model({ old: z.string().max(5), b: z.int().min(0).max(10) }))
    const after = desc(model({ b: z.int(), c: z.boolean().default(true) }))
    const changes = diffSchemas(after, before, { family: 'mysql' })
    expect(changes.map((c) => [c.kind, isDestructive(c)])).toEqual([
      ['alterColumnType', false],
      ['addColumn', false],
      ['dropColumn', true],
    ])
    expect(describeChange(changes[0]!)).toBe('change type of t.b: int → bigint')
  })

  it('replaces an index whose definition changed in one change', () => {
    const a = desc(model())
    const table = a.tables[0]!
    const changed: TableDesc = { ...table, indexes: table.indexes.map((i) => ({ ...i, unique: true })) }
    const changes = diffSchemas({ tables: [changed] }, a, { family: 'mysql' })
    expect(changes.map((c) => c.kind)).toEqual(['replaceIndex'])
    // one ALTER: InnoDB applies it whole or not at all, so a failed build keeps the old index
    expect(render(changes[0]!, mysqlDialect)).toEqual([
      'ALTER TABLE `t` DROP INDEX `t_a_idx`, ADD UNIQUE INDEX `t_a_idx` (`a`)',
    ])
    expect(isDestructive(changes[0]!)).toBe(false)
  })
})
