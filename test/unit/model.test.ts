import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mariadbDialect, mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { pgliteDialect, postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, field, ModelDefinitionError, validateModel } from '../../src/index.js'
import type { TemporalStrategy } from '../../src/model/define-model.js'
import { snakeCase } from '../../src/model/naming.js'
import { fromModels } from '../../src/schema/from-models.js'
import { shortName } from '../../src/schema/names.js'

const ddl = (dialect: Dialect, ...models: Parameters<typeof fromModels>[0]) =>
  fromModels(models, dialect)
    .tables.flatMap((t) => dialect.ddl.createTable(t))
    .join(';\n')

describe('naming', () => {
  it.each([
    ['categoryId', 'category_id'],
    ['userID', 'user_id'],
    ['HTTPCode', 'http_code'],
    ['name', 'name'],
    ['address2Line', 'address2_line'],
  ])('%s → %s', (from, to) => expect(snakeCase(from)).toBe(to))

  it('shortens long identifiers deterministically within 63 bytes, without collisions', () => {
    const a = `${'very_long_table_name_'.repeat(3)}first_column_idx`
    const b = `${'very_long_table_name_'.repeat(3)}second_column_idx`
    expect(Buffer.byteLength(shortName(a))).toBeLessThanOrEqual(63)
    expect(shortName(a)).toBe(shortName(a))
    expect(shortName(a)).not.toBe(shortName(b))
    expect(shortName('short_idx')).toBe('short_idx')
    const multibyte = `${'ü'.repeat(40)}_idx`
    expect(Buffer.byteLength(shortName(multibyte))).toBeLessThanOrEqual(63)
  })
})

describe('Zod → column types', () => {
  const M = defineModel({
    table: 'types',
    multiTenant: false,
    fields: {
      text: z.string(),
      bounded: z.string().max(40),
      fixed: z.string().length(2),
      email: z.email().max(255),
      url: z.url(),
      uuid: z.uuid(),
      day: z.iso.date(),
      small: z.int().min(0).max(150),
      int32: z.int32(),
      safe: z.int(),
      intCheck: z.number().int(),
      float: z.number(),
      big: z.bigint(),
      money: field(z.string(), { precision: 12, scale: 2 }),
      ratio: field(z.number(), { precision: 5, scale: 4 }),
      flag: z.boolean(),
      at: z.date(),
      status: z.enum(['a', 'bb']),
      kind: z.literal('fixed'),
      either: z.union([z.literal('x'), z.literal('yy')]),
      obj: z.object({ a: z.string() }),
      rec: z.record(z.string(), z.number()),
      objs: z.array(z.object({ a: z.string() })),
      tags: z.array(z.string()),
      nums: z.array(z.number()),
      flags: z.array(z.boolean()),
      maybe: z.string().max(10).optional(),
      nullable: z.int().nullable(),
      defaulted: z.string().max(10).default('x'),
      override: field(z.int(), { type: 'smallint' }),
      chars: field(z.string(), { type: 'char(3)' }),
    },
  })
  const types = (dialect: Dialect) =>
    Object.fromEntries(fromModels([M], dialect).tables[0]!.columns.map((c) => [c.name, c.type]))

  it('maps every supported type on PostgreSQL', () => {
    expect(types(postgresDialect)).toMatchObject({
      text: 'text',
      bounded: 'character varying(40)',
      fixed: 'character varying(2)',
      email: 'character varying(255)',
      url: 'text',
      uuid: 'uuid',
      day: 'date',
      small: 'integer',
      int32: 'integer',
      safe: 'bigint',
      int_check: 'bigint',
      float: 'double precision',
      big: 'bigint',
      money: 'numeric(12,2)',
      ratio: 'numeric(5,4)',
      flag: 'boolean',
      at: 'timestamp(3) with time zone',
      status: 'text',
      kind: 'text',
      either: 'text',
      obj: 'jsonb',
      rec: 'jsonb',
      objs: 'jsonb',
      tags: 'text[]',
      nums: 'double precision[]',
      flags: 'boolean[]',
      maybe: 'character varying(10)',
      nullable: 'bigint',
      defaulted: 'character varying(10)',
      override: 'smallint',
      chars: 'char(3)',
    })
  })

  it('maps every supported type on MySQL/MariaDB', () => {
    expect(types(mariadbDialect)).toMatchObject({
      text: 'longtext', // TEXT would cut at 64 KB
      bounded: 'varchar(40)',
      uuid: 'char(36)',
      small: 'int',
      safe: 'bigint',
      float: 'double',
      money: 'decimal(12,2)',
      flag: 'tinyint(1)',
      at: 'datetime(3)',
      status: 'varchar(2)',
      either: 'varchar(2)',
      obj: 'json',
      tags: 'json',
      nums: 'json',
      override: 'smallint',
    })
  })

  it('follows Zod for nullability and constant defaults', () => {
    const cols = Object.fromEntries(fromModels([M], postgresDialect).tables[0]!.columns.map((c) => [c.name, c]))
    expect(cols.maybe!.nullable).toBe(true)
    expect(cols.nullable!.nullable).toBe(true)
    expect(cols.text!.nullable).toBe(false)
    expect(cols.defaulted!.default).toBe("'x'")
    expect(cols.created_at!.default).toBe('now()')
  })

  it('turns enums and literals into CHECK constraints', () => {
    const checks = fromModels([M], postgresDialect).tables[0]!.checks
    expect(checks).toContainEqual({ name: 'types_status_enum', expression: `"status" IN ('a', 'bb')` })
    expect(checks).toContainEqual({ name: 'types_kind_enum', expression: `"kind" = 'fixed'` })
  })

  it.each([
    ['a transform', z.string().transform((s) => s.length)],
    ['a union of scalars', z.union([z.string(), z.number()])],
    ['a symbol', z.symbol()],
  ])('rejects %s, naming the field and the type option', (_, schema) => {
    expect(() => defineModel({ table: 't', fields: { weird: schema } })).toThrow(
      /Field "weird": cannot map .* type: '…'/,
    )
    expect(() => defineModel({ table: 't', fields: { weird: field(schema, { type: 'text' }) } })).not.toThrow()
  })
})

describe('system fields', () => {
  const columns = (temporal: TemporalStrategy, flags: { multiTenant?: boolean; softDelete?: boolean } = {}) =>
    defineModel({ table: 't', temporal, ...flags, fields: { a: z.string() } }).def.fields.map((f) => f.column)

  it('injects id, tenant, timestamps, actors and soft-delete columns by default', () => {
    expect(columns('none')).toEqual([
      'id',
      'tenant_id',
      'a',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
      'deleted_at',
      'deleted_by',
    ])
  })

  it('drops tenant and soft-delete columns when turned off', () => {
    expect(columns('copy_on_change', { multiTenant: false, softDelete: false })).toEqual([
      'id',
      'a',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ])
  })

  it('adds version and validity on scd2, and always soft-deletes there', () => {
    expect(columns('scd2', { softDelete: false })).toEqual([
      'id',
      'tenant_id',
      'a',
      'version',
      'valid_from',
      'valid_to',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
      'deleted_at',
      'deleted_by',
    ])
  })

  it('honours tenantField', () => {
    const def = defineModel({ table: 't', tenantField: 'orgId', fields: {} }).def
    expect(def.byName.get('orgId')?.column).toBe('org_id')
    expect(def.byColumn.get('org_id')?.nullable).toBe(false)
  })
})

describe('defineModel errors', () => {
  it.each([
    [{ table: 't', temporal: 'weird', fields: {} }, /unknown temporal strategy "weird"/],
    [{ table: 't', fields: { tenantId: z.string() } }, /collides with the tenant field/],
    [{ table: 't', fields: { createdAt: z.date() } }, /system field/],
    [{ table: 't', fields: { other: field(z.string(), { column: 'id' }) } }, /collides with a system column/],
    [{ table: 'bad name', fields: {} }, /table must be a plain identifier/],
    [{ table: 't', fields: { a: z.string(), b: field(z.string(), { column: 'a' }) } }, /map to the same column "a"/],
    [{ table: 't', fields: { a: field(z.string(), { onDelete: 'CASCADE' }) } }, /onDelete needs references/],
    [
      { table: 't', fields: { a: field(z.uuid(), { references: 'x.id', onDelete: 'SET NULL' }) } },
      /SET NULL needs a nullable field/,
    ],
    [{ table: 't', fields: {}, indexes: [{ columns: ['nope'] }] }, /unknown field "nope"/],
  ])('rejects %o', (config, message) => {
    // biome-ignore lint/suspicious/noExplicitAny: invalid configs on purpose
    expect(() => defineModel(config as any)).toThrow(message)
    // biome-ignore lint/suspicious/noExplicitAny: invalid configs on purpose
    expect(validateModel(config as any).filter((p) => p.level === 'error').length).toBeGreaterThan(0)
  })

  it('lists every problem at once', () => {
    const error = (() => {
      try {
        defineModel({ table: 't', fields: { id: z.string(), createdBy: z.string() } })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ModelDefinitionError)
    expect((error as Error).message).toMatch(/"id".*\n.*"createdBy"/s)
  })
})

describe('validateModel', () => {
  const Partial = defineModel({
    table: 'p',
    fields: {
      name: field(z.string(), { index: { where: 'name is not null', method: 'gin' } }),
      code: field(z.string().max(5), { unique: true, indexWhere: 'code <> $$x$$' }),
    },
  })

  it('returns no problems for a sound model', () => {
    const Ok = defineModel({ table: 'ok', fields: { email: field(z.email().max(255), { unique: true }) } })
    expect(validateModel(Ok)).toEqual([])
    expect(validateModel(Ok, { engine: 'mariadb' })).toEqual([])
  })

  it('reports partial indexes, PostgreSQL-only methods and unbounded indexed strings on MySQL', () => {
    const messages = validateModel(Partial, { engine: 'mysql' }).map((p) => `${p.level}: ${p.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error: field "name": indexWhere\/where cannot be applied/),
        expect.stringMatching(/^error: field "code": indexWhere\/where cannot be applied/),
        expect.stringMatching(/^error: field "name": index method gin exists only on PostgreSQL/),
        expect.stringMatching(/^error: field "name": MySQL\/MariaDB cannot index an unbounded string/),
      ]),
    )
    expect(validateModel(Partial, { engine: 'postgres' })).toEqual([])
    expect(validateModel(Partial).every((p) => p.level === 'warning')).toBe(true)
  })

  it('reports references to things that are not models, and malformed reference strings', () => {
    const Bad = defineModel({
      table: 'b',
      fields: {
        a: field(z.uuid(), { references: { model: () => ({}) } }),
        b: field(z.uuid(), { references: 'not a reference' }),
      },
    })
    const messages = validateModel(Bad).map((p) => p.message)
    expect(messages).toEqual([
      expect.stringMatching(/"a": references.model\(\) did not return a model/),
      expect.stringMatching(/"b": references "not a reference" is not/),
    ])
  })
})

describe('DDL', () => {
  const Category = defineModel({
    table: 'categories',
    multiTenant: false,
    softDelete: false,
    fields: { name: z.string().max(100) },
  })
  const User = defineModel({
    table: 'user',
    temporal: 'copy_on_change',
    fields: {
      email: field(z.email().max(255), { unique: true, index: true }),
      order: z.int().min(0).max(150),
      role: field(z.string().max(50).default("it's"), { index: true }),
      categoryId: field(z.uuid().nullable(), {
        references: { model: () => Category },
        onDelete: 'SET NULL',
        onUpdate: 'CASCADE',
      }),
      status: z.enum(['active', 'blocked']),
      meta: z.object({ a: z.number() }).default({ a: 1 }),
      price: field(z.string(), { precision: 10, scale: 2, check: 'price >= 0' }),
      path: field(z.string().max(20), { sqlDefault: "'/'" }),
    },
    indexes: [{ columns: ['role', 'createdAt'] }],
    checks: ['"order" >= 0'],
  })
  const Contract = defineModel({ table: 'contracts', temporal: 'scd2', fields: { title: z.string().max(10) } })

  it.each([
    ['postgres', postgresDialect],
    ['mysql', mysqlDialect],
  ] as const)('pins the DDL of every strategy on %s', (_, dialect) => {
    expect(ddl(dialect, Category, User, Contract)).toMatchSnapshot()
  })

  it('renders PGlite exactly as PostgreSQL and MariaDB as MySQL but for the name of the NO PAD binary collation', () => {
    expect(ddl(pgliteDialect, User, Contract)).toBe(ddl(postgresDialect, User, Contract))
    const mysql = ddl(mysqlDialect, User, Contract)
    expect(mysql).toContain('DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin')
    expect(mysql).not.toContain('utf8mb4_bin')
    expect(ddl(mariadbDialect, User, Contract)).toBe(mysql.replaceAll('utf8mb4_0900_bin', 'utf8mb4_nopad_bin'))
  })

  const combos: [TemporalStrategy, boolean, boolean][] = []
  for (const t of ['none', 'copy_on_change', 'scd2'] as const)
    for (const mt of [true, false]) for (const sd of [true, false]) combos.push([t, mt, sd])

  it.each(combos)(
    '%s, multiTenant %s, softDelete %s: tables, keys and scoping on both families',
    (temporal, multiTenant, softDelete) => {
      const M = defineModel({
        table: 'm',
        temporal,
        multiTenant,
        softDelete,
        fields: { code: field(z.string().max(8), { unique: true }) },
      })
      for (const dialect of [postgresDialect, mysqlDialect]) {
        const tables = fromModels([M], dialect).tables
        expect(tables.map((t) => t.name)).toEqual(
          temporal === 'copy_on_change' ? ['m', 'm_audit'] : temporal === 'scd2' ? ['m', 'm_history'] : ['m'],
        )
        const main = tables[0]!
        expect(main.primaryKey).toEqual({ name: 'm_pkey', columns: ['id'] })
        const unique = main.indexes.find((i) => i.name === 'm_code_key')!
        const soft = softDelete || temporal === 'scd2'
        const scoped = multiTenant ? ['tenant_id', 'code'] : ['code']
        if (dialect.capabilities.partialIndexes) {
          expect(unique.columns).toEqual(scoped)
          expect(unique.where).toBe(soft ? '"deleted_at" IS NULL' : undefined)
        } else {
          expect(unique.columns).toEqual(soft ? [...scoped, '_ff_alive'] : scoped)
          expect(main.columns.some((c) => c.name === '_ff_alive')).toBe(soft)
        }
        expect(main.columns.some((c) => c.name === 'tenant_id' && !c.nullable)).toBe(multiTenant)
        const history = tables.find((t) => t.name === 'm_history')
        if (history) {
          expect(history.primaryKey!.columns).toEqual(['id', 'version'])
          expect(history.columns.find((c) => c.name === 'valid_to')!.nullable).toBe(false)
          expect(history.indexes.some((i) => i.unique)).toBe(false)
        }
        const audit = tables.find((t) => t.name === 'm_audit')
        if (audit) {
          expect(audit.indexes.map((i) => i.columns.join(','))).toEqual(
            multiTenant
              ? ['record_id,field_name', 'changed_at', 'tenant_id', 'changed_by']
              : ['record_id,field_name', 'changed_at', 'changed_by'],
          )
        }
      }
    },
  )

  it('escapes quotes in literals per engine (MySQL also escapes backslashes)', () => {
    const Q = defineModel({ table: 'q', multiTenant: false, fields: { s: z.string().max(9).default("a'b\\c") } })
    const pg = fromModels([Q], postgresDialect).tables[0]!.columns.find((c) => c.name === 's')!
    const my = fromModels([Q], mysqlDialect).tables[0]!.columns.find((c) => c.name === 's')!
    expect(pg.default).toBe("'a''b\\c'")
    expect(my.default).toBe("'a''b\\\\c'")
  })

  it('quotes reserved words everywhere it names them', () => {
    const R = defineModel({
      table: 'order',
      fields: { limit: field(z.enum(['a']), { unique: true }), select: z.string().max(3) },
    })
    const text = ddl(postgresDialect, R)
    expect(text).toContain('CREATE TABLE "order"')
    expect(text).toContain(`"limit" = 'a'`)
    expect(text).toContain('ON "order" ("tenant_id", "limit") WHERE "deleted_at" IS NULL')
    expect(ddl(mysqlDialect, R)).toContain('UNIQUE INDEX `order_limit_key` (`tenant_id`, `limit`, `_ff_alive`)')
  })
})

describe('Zod 3 schemas', () => {
  // the shape Zod 3 gives every schema: a `_def` with its typeName, and no `_zod`
  const zod3String = () => ({ _def: { typeName: 'ZodString', checks: [] }, parse: (v: unknown) => v, safeParse() {} })
  it('are refused with a message that names Zod 4, not "neither a Zod schema nor field"', () => {
    const attempt = () =>
      defineModel({ table: 'z3', fields: { name: zod3String() as never, email: field(zod3String() as never) } })
    expect(attempt).toThrow(ModelDefinitionError)
    expect(attempt).toThrow(/ff-storage needs Zod 4, and fields "name", "email" are a Zod 3 schema: install zod@\^4/)
    expect(attempt).not.toThrow(/neither a Zod schema/)
    expect(() => defineModel({ table: 'z3', tenantIdType: zod3String() as never, fields: {} })).toThrow(
      /needs Zod 4, and tenantIdType is a Zod 3 schema/,
    )
  })
})

describe('regression: options and Zod types the library would silently ignore or store unfaithfully', () => {
  // biome-ignore lint/suspicious/noExplicitAny: invalid configs on purpose
  const define = (config: any) => () => defineModel(config)

  it.each([
    [
      { table: 't', temporl: 'scd2', fields: { a: z.string() } },
      /unknown model option "temporl" \(did you mean "temporal"\?\)/,
    ],
    [
      { table: 't', fields: { a: field(z.string(), { uniqe: true } as never) } },
      /field "a": unknown field option "uniqe"/,
    ],
    [
      { table: 't', fields: { a: field(z.string(), { index: { nmae: 'x' } } as never) } },
      /unknown index option "nmae"/,
    ],
    [
      { table: 't', fields: { a: z.string() }, indexes: [{ columns: ['a'], uniqe: true }] },
      /indexes\[0\]: unknown index option/,
    ],
  ])('refuses unknown option keys: %o', (config, message) => {
    expect(define(config)).toThrow(ModelDefinitionError)
    expect(define(config)).toThrow(message)
  })

  it.each([
    ['z.map', z.map(z.string(), z.number())],
    ['z.set', z.set(z.string())],
    ['z.promise', z.promise(z.string())],
    ['z.function', z.function()],
    ['z.symbol', z.symbol()],
    ['z.custom', z.custom<string>()],
    ['z.file', z.file()],
    ['z.nan', z.nan()],
    ['z.date with a transform', z.date().transform((d) => d.getTime())],
    ['a Map inside an object', z.object({ m: z.map(z.string(), z.string()) })],
    ['a Date inside an object', z.object({ at: z.date() })],
    ['a BigInt inside an array of objects', z.array(z.object({ n: z.bigint() }))],
  ])('refuses %s, naming the type option', (_, schema) => {
    expect(define({ table: 't', fields: { a: schema } })).toThrow(ModelDefinitionError)
    expect(define({ table: 't', fields: { a: schema } })).toThrow(/field\(schema, \{ type: '…' \}\)/)
  })

  it('stores z.json() and recursive schemas as JSON', () => {
    const Tree: z.ZodType = z.object({ name: z.string(), children: z.lazy(() => z.array(Tree)) })
    const M = defineModel({ table: 't', fields: { doc: z.json(), tree: Tree } })
    expect(M.def.byName.get('doc')!.type).toEqual({ kind: 'json' })
    expect(M.def.byName.get('tree')!.type).toEqual({ kind: 'json' })
  })
})
