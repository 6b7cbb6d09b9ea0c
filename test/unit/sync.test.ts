import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { mariadbDialect, mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { misfitCondition } from '../../src/dialect/type-change.js'
import { defineModel, field } from '../../src/index.js'
import { fromModels } from '../../src/schema/from-models.js'
import { isModelCheckName, modelCheckName, withSuffix } from '../../src/schema/names.js'
import type { TableDesc } from '../../src/schema/types.js'
import { isDestructive, render, steps } from '../../src/sync/changes.js'
import { describe as describeChange } from '../../src/sync/describe-change.js'
import { diffSchemas } from '../../src/sync/diff.js'
import { normalizeSchema } from '../../src/sync/normalize.js'

// the family's hooks, through the dialect of each family
const FAMILY = { postgres: postgresDialect, mysql: mysqlDialect } as const
type Family = keyof typeof FAMILY
const normalizeExpression = (text: string, family: Family = 'postgres') => FAMILY[family].normalize.expression(text)
const normalizeType = (type: string, family: Family) => FAMILY[family].normalize.type(type)
const isWidening = (from: string, to: string, family: Family) => FAMILY[family].typeChange.isWidening(from, to)

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
    ['timestamp(3) with time zone', 'timestamp(3) with time zone'],
    ['timestamp(0) without time zone', 'timestamp(0) without time zone'],
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
  const desc = (m: ReturnType<typeof model>) => normalizeSchema(fromModels([m], mysqlDialect), mysqlDialect.normalize)

  it('finds nothing between a schema and itself', () => {
    const s = desc(model())
    expect(diffSchemas(s, s, { typeChange: mysqlDialect.typeChange })).toEqual([])
  })

  it('creates missing tables with their foreign keys as separate changes', () => {
    const P = defineModel({ table: 'p', multiTenant: false, fields: {} })
    const C = defineModel({
      table: 'c',
      multiTenant: false,
      fields: { p: field(z.uuid(), { references: { model: () => P } }) },
    })
    const changes = diffSchemas(
      normalizeSchema(fromModels([P, C], mysqlDialect), mysqlDialect.normalize),
      { tables: [] },
      { typeChange: mysqlDialect.typeChange },
    )
    expect(changes.map((c) => c.kind)).toEqual(['createTable', 'createTable', 'addForeignKey'])
    expect(render(changes[1]!, mysqlDialect)[0]).not.toContain('FOREIGN KEY')
  })

  it('classifies column, index and check changes, destructive or not', () => {
    const before = desc(model({ old: z.string().max(5), b: z.int().min(0).max(10) }))
    const after = desc(model({ b: z.int(), c: z.boolean().default(true) }))
    const changes = diffSchemas(after, before, { typeChange: mysqlDialect.typeChange })
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
    const changes = diffSchemas({ tables: [changed] }, a, { typeChange: mysqlDialect.typeChange })
    expect(changes.map((c) => c.kind)).toEqual(['replaceIndex'])
    // one ALTER: InnoDB applies it whole or not at all, so a failed build keeps the old index
    expect(render(changes[0]!, mysqlDialect)).toEqual([
      'ALTER TABLE `t` DROP INDEX `t_a_idx`, ADD UNIQUE INDEX `t_a_idx` (`a`)',
    ])
    expect(isDestructive(changes[0]!)).toBe(false)
  })
})

describe('schema sync II: pure pieces', () => {
  it('normalizes the literal forms MySQL stores otherwise, on both sides alike', () => {
    const pairs: [string, string][] = [
      ['flag = false', '"flag" = 0'],
      ['flag = TRUE', '`flag` = 1'],
      ['NOT flag', '"flag" = 0'],
      ["s <> X'41'", "s <> 'A'"],
      ['s <> 0x41', "s <> 'A'"],
      ["s = _utf8mb4'z'", "s = 'z'"],
      ['n > .5', 'n > 0.5'],
      ['n <> 1e3', 'n <> 1000'],
    ]
    for (const [written, stored] of pairs) {
      expect(normalizeExpression(written, 'mysql')).toBe(normalizeExpression(stored, 'mysql'))
    }
    // IS TRUE stays, NOT before IN / NULL stays, and PostgreSQL keeps its own forms
    expect(normalizeExpression('flag IS TRUE', 'mysql')).toBe('flag is true')
    expect(normalizeExpression('a NOT IN (1)', 'mysql')).toBe('a not in (1)')
    expect(normalizeExpression('flag = false', 'postgres')).toBe('flag = false')
  })

  it('counts what does not fit a narrower type with one condition per type family', () => {
    expect(misfitCondition('"s"', 'character varying(100)', 'character varying(40)')).toBe('CHAR_LENGTH("s") > 40')
    expect(misfitCondition('`d`', 'decimal(10,4)', 'decimal(8,2)')).toBe(
      '(ABS(`d`) >= 1000000 OR `d` <> ROUND(`d`, 2))',
    )
    expect(misfitCondition('"n"', 'bigint', 'integer')).toMatch(/"n" < -2147483648 OR "n" > 2147483647/)
    expect(misfitCondition('"u"', 'uuid', 'text')).toBeUndefined()
  })

  it('shortens derived names keeping the start and the suffix, and recognizes model check names', () => {
    const long = 'x'.repeat(60)
    expect(withSuffix('short', '_audit')).toBe('short_audit')
    expect(withSuffix(`${long}a`, '_audit')).not.toBe(withSuffix(`${long}b`, '_audit'))
    expect(Buffer.byteLength(withSuffix(`${long}a`, '_history'))).toBeLessThanOrEqual(63)
    expect(isModelCheckName('t', modelCheckName('t', 'a > 0'))).toBe(true)
    expect(isModelCheckName(`${long}a`, modelCheckName(`${long}a`, 'a > 0'))).toBe(true)
    expect(isModelCheckName('t', 't_a_check')).toBe(false)
    expect(isModelCheckName('u', modelCheckName('t', 'a > 0'))).toBe(false)
  })

  it('pairs an edited model check into one replace, and re-creates MySQL keys around a type change', () => {
    const m = (check: string, n: number) => {
      const P = defineModel({
        table: 'p',
        multiTenant: false,
        fields: { code: field(z.string().max(n), { unique: true }) },
      })
      const C = defineModel({
        table: 'c',
        multiTenant: false,
        fields: { code: field(z.string().max(n), { references: 'p.code' }) },
        checks: [check],
      })
      return normalizeSchema(fromModels([P, C], mysqlDialect), mysqlDialect.normalize)
    }
    const changes = diffSchemas(m('code <> 1', 3), m('code <> 0', 2), { typeChange: mysqlDialect.typeChange })
    expect(changes.map((c) => `${c.kind} ${'table' in c ? c.table.name : ''}`).sort()).toEqual([
      'alterColumnType c',
      'alterColumnType p',
      'replaceCheck c',
      'replaceForeignKey c',
    ])
    const fk = changes.find((c) => c.kind === 'replaceForeignKey')!
    expect(steps(fk, mysqlDialect).map((s) => s.phase)).toEqual(['release', 'create'])
    expect(describeChange(fk)).toMatch(/re-create foreign key c_code_fkey .*around the type change/)
  })

  it('converts a MySQL table whose text has another collation, re-creating the text keys to and from it', () => {
    const P = defineModel({ table: 'p', multiTenant: false, fields: { n: z.int() } })
    const C = defineModel({
      table: 'c',
      multiTenant: false,
      fields: {
        p: field(z.uuid(), { references: { model: () => P } }),
        k: field(z.int(), { references: 'p.n' }),
      },
    })
    for (const dialect of [mysqlDialect, mariadbDialect]) {
      const want = normalizeSchema(fromModels([P, C], dialect), dialect.normalize)
      const to = dialect.ddl.textCollation!
      expect(want.tables.map((t) => t.collation)).toEqual([to, to])
      expect(diffSchemas(want, want, { typeChange: dialect.typeChange })).toEqual([])
      // the parent was created by an older version (PAD SPACE), the child has a column left behind
      const have = {
        tables: want.tables.map((t) => ({
          ...t,
          collation: t.name === 'p' ? 'utf8mb4_bin' : `utf8mb4_bin, ${to}`,
        })),
      }
      const changes = diffSchemas(want, have, { typeChange: dialect.typeChange })
      expect(changes.map((c) => `${c.kind} ${'table' in c ? c.table.name : ''}`)).toEqual([
        'convertCollation p',
        'convertCollation c',
        'replaceForeignKey c',
      ])
      expect(changes.every((c) => !isDestructive(c))).toBe(true)
      const fk = changes[2]!
      // the uuid key is text: dropped before both conversions and re-created after; the int key stays
      expect(fk.kind === 'replaceForeignKey' && fk.foreignKey.columns).toEqual(['p'])
      expect(describeChange(fk)).toMatch(/around the collation conversion of p/)
      expect(steps(changes[0]!, dialect)).toEqual([
        { phase: 'alter', sql: `ALTER TABLE \`p\` CONVERT TO CHARACTER SET utf8mb4 COLLATE ${to}` },
      ])
      expect(describeChange(changes[1]!)).toBe(
        `convert every text column of c to ${to} (from utf8mb4_bin, ${to}): compared byte for byte, trailing spaces included; the table is rebuilt`,
      )
    }
    // PostgreSQL tables have no collation of their own: nothing to convert
    const pg = normalizeSchema(fromModels([P, C], postgresDialect), postgresDialect.normalize)
    expect(pg.tables.map((t) => t.collation)).toEqual([undefined, undefined])
  })
})
