import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Dialect } from '../../src/dialect/dialect.js'
import type { CatalogQuery } from '../../src/dialect/introspection.js'
import { mariadbDialect, mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { pgliteDialect, postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { DIALECTS, FAMILY_DIALECTS } from '../../src/dialect/registry.js'
import { defineModel, field } from '../../src/index.js'
import type { FieldDef } from '../../src/model/define-model.js'
import { validityOf } from '../../src/model/system-fields.js'
import { Unstorable } from '../../src/model/values.js'
import { ModelDefinitionError } from '../../src/model/zod-types.js'

const M = defineModel({
  table: 'hooks',
  multiTenant: false,
  fields: {
    tags: z.array(z.string().max(10)),
    ratios: z.array(z.number()),
    counts: z.array(z.bigint()),
    when: z.array(z.date()),
    doc: z.object({ b: z.number(), a: z.string() }),
    ratio: z.number(),
    price: field(z.string(), { precision: 10, scale: 2 }),
  },
  actorIdType: z.string().max(64),
})
const f = (name: string): FieldDef => M.def.byName.get(name)!
const actor = M.def.roles.createdBy

/** The same hook on both families: the expectation keyed by family, run on every variant. */
const VARIANTS: readonly Dialect[] = [postgresDialect, pgliteDialect, mysqlDialect, mariadbDialect]
const byFamily = <T>(d: Dialect, expected: { postgres: T; mysql: T }): T => expected[d.family]

describe('dialect.codec', () => {
  it.each(VARIANTS.map((d) => [d.name, d] as const))('%s: binds arrays natively or as JSON text', (_, d) => {
    expect(d.codec.encode(f('tags'), ['a', 'b'])).toEqual(
      byFamily<unknown>(d, { postgres: ['a', 'b'], mysql: '["a","b"]' }),
    )
    expect(d.codec.encode(f('doc'), { b: 1, a: 'x' })).toBe('{"b":1,"a":"x"}')
    expect(d.codec.encode(f('price'), '10.5')).toBe('10.50')
    expect(d.codec.encode(f('tags'), undefined)).toBeNull()
  })

  it.each(VARIANTS.map((d) => [d.name, d] as const))('%s: refuses what its array columns cannot hold', (_, d) => {
    // JSON (the MySQL family's array column) has no BigInt; PostgreSQL's bigint[] has
    const checked = d.codec.encodeChecked(f('counts'), [1n, 2n])
    expect(checked instanceof Unstorable).toBe(d.family === 'mysql')
    expect(d.codec.encodeChecked(f('ratios'), [1, Number.POSITIVE_INFINITY])).toBeInstanceOf(Unstorable)
    expect(d.codec.encodeChecked(f('price'), '1.234')).toBeInstanceOf(Unstorable)
    expect(d.codec.encodeChecked(actor, 'u-1')).toBe('u-1')
  })

  it.each(VARIANTS.map((d) => [d.name, d] as const))('%s: decodes what its driver returns', (_, d) => {
    const json = byFamily<unknown>(d, { postgres: { a: 'x', b: 1 }, mysql: '{"b":1,"a":"x"}' })
    expect(d.codec.decode(f('doc'), json)).toEqual({ a: 'x', b: 1 })
    const dates = byFamily<unknown>(d, { postgres: ['2024-01-02T00:00:00Z'], mysql: '["2024-01-02T00:00:00Z"]' })
    expect(d.codec.decode(f('when'), dates)).toEqual([new Date('2024-01-02T00:00:00Z')])
    expect(d.codec.decode(f('tags'), byFamily<unknown>(d, { postgres: ['a'], mysql: '["a"]' }))).toEqual(['a'])
    expect(d.codec.decode(f('ratio'), '1.5')).toBe(1.5)
    expect(d.codec.decode(f('tags'), null)).toBeUndefined()
  })

  it('reads exact text ids from bytes on the MySQL family only (varbinary columns)', () => {
    const bytes = new Uint8Array(Buffer.from('org_ÄB', 'utf8'))
    expect(mysqlDialect.codec.decode(actor, bytes)).toBe('org_ÄB')
    expect(postgresDialect.codec.decode(actor, 'org_ÄB')).toBe('org_ÄB')
    expect(postgresDialect.codec.decode(actor, bytes)).toBe(bytes)
  })

  it.each(VARIANTS.map((d) => [d.name, d] as const))('%s: knows which values read back as bound', (_, d) => {
    expect(d.codec.readsBackAsBound(f('ratio'))).toBe(d.family === 'postgres')
    // jsonb reorders keys; the MySQL family keeps the text
    expect(d.codec.readsBackAsBound(f('doc'))).toBe(d.family === 'mysql')
    expect(d.codec.readsBackAsBound(f('price'))).toBe(true)
    expect(d.codec.readsBackAsBound(f('tags'))).toBe(false)
  })

  it('caches one decoder per field; JSON and arrays per family', () => {
    expect(mysqlDialect.codec.decoderFor(f('doc'))).toBe(mysqlDialect.codec.decoderFor(f('doc')))
    expect(mysqlDialect.codec.decode(f('doc'), '{"a":1}')).toEqual({ a: 1 })
    expect(postgresDialect.codec.encode(f('tags'), ['a'])).toEqual(['a'])
    expect(mysqlDialect.codec.encodeChecked(f('tags'), ['a'])).toBe('["a"]')
  })
})

describe('dialect.normalize', () => {
  it('reads each family’s literal spellings', () => {
    expect(postgresDialect.normalize.expression("s <> X'41'")).toBe("s <> x'41'")
    expect(mysqlDialect.normalize.expression("s <> X'41'")).toBe("s <> 'A'")
    // an introducer is a word like any other on PostgreSQL
    expect(postgresDialect.normalize.expression("_utf8mb4'z'")).toBe("_utf8mb4 'z'")
    expect(mysqlDialect.normalize.expression("_utf8mb4'z'")).toBe("'z'")
    expect(mysqlDialect.normalize.expression("'a\\nb'")).toBe("'a\nb'")
    expect(postgresDialect.normalize.expression('NOT flag')).toBe('not flag')
    expect(mysqlDialect.normalize.expression('NOT flag')).toBe('flag = 0')
    expect(mysqlDialect.normalize.expression("'\\constructor'")).toBe("'constructor'")
  })

  it('spells types as each catalog prints them', () => {
    expect(postgresDialect.normalize.type('INTEGER')).toBe('integer')
    expect(mysqlDialect.normalize.type('INTEGER')).toBe('int')
    expect(postgresDialect.normalize.type('numeric(5, 2)')).toBe('numeric(5,2)')
    expect(mysqlDialect.normalize.type('numeric(5, 2)')).toBe('decimal(5,2)')
  })
})

describe('dialect.typeChange', () => {
  it('widens text types in order of capacity', () => {
    expect(mysqlDialect.typeChange.isWidening('varchar(10)', 'mediumtext')).toBe(true)
    expect(mysqlDialect.typeChange.isWidening('text', 'longtext')).toBe(true)
    expect(mysqlDialect.typeChange.isWidening('longtext', 'text')).toBe(false)
    expect(postgresDialect.typeChange.isWidening('character varying(10)', 'text')).toBe(true)
    expect(postgresDialect.typeChange.isWidening('varchar(10)', 'varchar(20)')).toBe(false) // not canonical there
    expect(postgresDialect.typeChange.isWidening('text', 'mediumtext')).toBe(false)
  })

  it('tests narrowing exactly where it can, by a round trip on PostgreSQL otherwise', () => {
    expect(mysqlDialect.typeChange.misfit('`n`', 'bigint', 'int')).toEqual({
      sql: '(`n` < -2147483648 OR `n` > 2147483647 OR `n` <> ROUND(`n`))',
      exact: true,
    })
    expect(
      postgresDialect.typeChange.misfit('"t"', 'timestamp(3) with time zone', 'timestamp(0) with time zone'),
    ).toEqual({
      sql: 'CAST(CAST("t" AS timestamp(0) with time zone) AS timestamp(3) with time zone) IS DISTINCT FROM "t"',
      exact: false,
    })
    expect(mysqlDialect.typeChange.misfit('`t`', 'datetime(3)', 'datetime(0)')).toBeUndefined()
  })

  it('re-creates foreign keys around a type change only where the engine requires it', () => {
    expect(VARIANTS.map((d) => d.typeChange.keysBlockTypeChange)).toEqual([false, false, true, true])
  })
})

describe('dialect.modelRules', () => {
  const Partial = defineModel({
    table: 'p',
    multiTenant: false,
    fields: { code: field(z.string(), { unique: true, indexWhere: "code <> ''" }) },
  })

  it('lists what the engine cannot do, naming it where asked', () => {
    expect(postgresDialect.modelRules.problems(Partial.def, '')).toEqual([])
    expect(mysqlDialect.modelRules.problems(Partial.def, ' on MySQL/MariaDB')).toEqual([
      'field "code": indexWhere/where cannot be applied on MySQL/MariaDB: MySQL/MariaDB have no partial indexes',
      'field "code": MySQL/MariaDB cannot index an unbounded string; add .max(n)',
    ])
  })

  it('knows each family’s table name limit and title', () => {
    expect(VARIANTS.map((d) => [d.modelRules.title, d.modelRules.tableNameBytes])).toEqual([
      ['PostgreSQL', 63],
      ['PostgreSQL', 63],
      ['MySQL/MariaDB', 64],
      ['MySQL/MariaDB', 64],
    ])
  })
})

describe('dialect.introspector catalog hooks', () => {
  /** A catalog that answers with canned rows and records what it was asked. */
  const catalog = (rows: Record<string, unknown>[]) => {
    const asked: [string, readonly unknown[]][] = []
    const query: CatalogQuery = async (sql, parameters) => {
      asked.push([sql, parameters])
      return rows
    }
    return { asked, query }
  }

  it('PostgreSQL: current schema, existing schemas, row estimate (counted when never analyzed)', async () => {
    const i = postgresDialect.introspector
    const a = catalog([{ s: 'app' }])
    expect(await i.defaultSchema(a.query)).toBe('app')
    expect(await i.existingSchemas(a.query, ['app', 'x'])).toEqual(new Set(['app']))
    expect(a.asked[1]).toEqual(['SELECT nspname AS s FROM pg_namespace WHERE nspname = ANY($1)', [['app', 'x']]])
    const b = catalog([{ n: -1 }])
    await i.estimatedRows(b.query, { schema: 's', name: 't' })
    expect(b.asked).toEqual([
      ['SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass', ['"s"."t"']],
      ['SELECT count(*) AS n FROM "s"."t"', []],
    ])
    expect(await i.estimatedRows(catalog([{ n: 1234 }]).query, { schema: undefined, name: 't' })).toBe(1234)
    expect(i.rendersThroughShadow).toBe(true)
  })

  it('MySQL family: no schemas, the estimate from information_schema', async () => {
    const i = mariadbDialect.introspector
    const a = catalog([{ n: '42' }])
    expect(await i.defaultSchema(a.query)).toBeUndefined()
    expect(await i.existingSchemas(a.query, ['x'])).toBeUndefined()
    expect(await i.estimatedRows(a.query, { schema: undefined, name: 't' })).toBe(42)
    expect(a.asked).toEqual([
      [
        'SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = database() AND table_name = ?',
        ['t'],
      ],
    ])
    expect(i.rendersThroughShadow).toBe(false)
  })
})

describe('dialect registry', () => {
  it('names every engine once; variants share their family’s collaborators', () => {
    expect(Object.entries(DIALECTS).map(([k, d]) => [k, d.name, d.family])).toEqual([
      ['postgres', 'postgres', 'postgres'],
      ['pglite', 'pglite', 'postgres'],
      ['mysql', 'mysql', 'mysql'],
      ['mariadb', 'mariadb', 'mysql'],
    ])
    expect(pgliteDialect.codec).toBe(postgresDialect.codec)
    expect(mariadbDialect.normalize).toBe(mysqlDialect.normalize)
    expect(FAMILY_DIALECTS.mysql).toBe(mysqlDialect)
  })
})

describe('ModelDef.roles', () => {
  it('types the system fields every model has, and groups what its options add', () => {
    const plain = defineModel({ table: 'a', softDelete: false, fields: {} })
    expect(plain.def.roles.id.column).toBe('id')
    expect(plain.def.roles.tenant?.column).toBe('tenant_id')
    expect(plain.def.roles.softDelete).toBeUndefined()
    expect(plain.def.roles.validity).toBeUndefined()
    expect(() => validityOf(plain.def)).toThrow(ModelDefinitionError)
    const scd2 = defineModel({ table: 'b', temporal: 'scd2', multiTenant: false, fields: {} })
    expect(scd2.def.roles.tenant).toBeUndefined()
    expect(scd2.def.roles.softDelete).toEqual({ at: scd2.def.system.deletedAt, by: scd2.def.system.deletedBy })
    expect(validityOf(scd2.def)).toEqual({
      version: scd2.def.system.version,
      from: scd2.def.system.validFrom,
      to: scd2.def.system.validTo,
    })
  })
})
