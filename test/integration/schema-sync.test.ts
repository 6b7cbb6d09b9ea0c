import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, type Model, SchemaManager, SchemaSyncError, sql } from '../../src/index.js'
import { corpus } from '../helpers/corpus.js'
import { describeEngines } from '../helpers/engines.js'
import { T1 } from '../helpers/fixtures.js'

const kinds = (plan: { changes: readonly { kind: string; object: string }[] }) =>
  plan.changes.map((c) => `${c.kind} ${c.object}`)

describeEngines('schema sync', (ctx) => {
  const pg = ctx.family === 'postgres'
  const manager = () => new SchemaManager(ctx.db)

  describe('the corpus', () => {
    let models: Model[]
    beforeAll(() => {
      models = corpus(ctx.family)
    })

    it('plans every table and foreign key from empty, applies them, and then plans nothing', async () => {
      const first = await manager().plan(models)
      expect(kinds(first)).toEqual([
        'createTable categories',
        'createTable order',
        'createTable order_audit',
        'createTable select',
        'createTable select_history',
        'createTable a_table_name_that_is_quite_long_for_an_index_0123',
        'createTable a_table_name_that_is_quite_long_for_an_index_0123_audit',
        'createTable limit',
        `createTable ${models[5]!.def.table}`,
        expect.stringMatching(/^createTable at_the_limit_x+_[0-9a-f]{8}_history$/),
        'createTable named',
        'createTable named_trail',
        'createTable named_h',
        'createTable named_h_versions',
        'addForeignKey categories_parent_id_fkey',
        'addForeignKey order_category_id_fkey',
        'addForeignKey order_other_category_fkey',
        'addForeignKey select_order_fkey',
        'addForeignKey named_parent_fkey',
      ])
      expect(first.hasDestructive).toBe(false)
      const result = await manager().sync(models)
      expect(result.applied).toHaveLength(19)
      expect(result.pending).toEqual([])
      const again = await manager().plan(models)
      expect(again.changes).toEqual([])
      expect(again.isEmpty).toBe(true)
      expect(again.toString()).toBe('No changes. The database matches the models.')
      const repeat = await manager().sync(models)
      expect(repeat.applied).toEqual([])
    })

    it('keeps long index names within 63 bytes, distinct', async () => {
      const names = (
        await ctx.db.query<{ n: string }>(
          pg
            ? sql`select indexname as n from pg_indexes where tablename like ${'a_table_name%'}`
            : sql`select distinct index_name as n from information_schema.statistics where table_schema = database() and table_name like ${'a_table_name%'}`,
        )
      ).map((r) => r.n)
      expect(names.length).toBeGreaterThanOrEqual(6)
      expect(new Set(names).size).toBe(names.length)
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63)
    })

    it('stores and reads records through the synced tables', async () => {
      const [, Everything] = models
      const repo = ctx.db.repository(Everything!, { tenantId: T1 })
      const r = (await repo.create({
        email: 'c@x.io',
        limit: 3,
        price: '1.5',
        ratio: 0.5,
        code: 'abc',
        big: 2n ** 60n,
        kind: 'fixed',
        categoryId: null,
      } as never)) as Record<string, unknown>
      expect(r).toMatchObject({
        user: 'it\'s "quoted" \\ back',
        small: 7,
        status: 'active',
        flag: false,
        meta: { a: 1 },
        tags: [],
        big: 2n ** 60n,
        price: '1.50',
      })
    })
  })

  describe('stepping through model versions', () => {
    const v = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      defineModel({ table: 'steps', temporal: 'copy_on_change', fields: fields as never, ...extra })
    const base = { name: z.string().max(50), note: z.string().max(20).optional() }

    it('create → add field → change index → widen type → drop field (without, then with allowDestructive) → no changes', async () => {
      const v1 = v(base)
      expect(kinds(await manager().plan([v1]))).toEqual(['createTable steps', 'createTable steps_audit'])
      await manager().sync([v1])
      await ctx.db.repository(v1, { tenantId: T1 }).create({ name: 'kept' } as never)

      const level = z.int().min(0).max(9).default(1)
      const v2 = v({ ...base, level }, { indexes: [{ columns: ['level'], name: 'steps_level_idx' }] })
      const p2 = await manager().plan([v2])
      expect(kinds(p2)).toEqual(['addColumn steps.level', 'addIndex steps_level_idx'])
      expect(p2.changes[0]!.description).toMatch(/add column steps.level .* not null default 1/)
      await manager().sync([v2])

      // PostgreSQL: a new predicate; MySQL (no partial indexes): new columns
      const index = pg
        ? { columns: ['level'], name: 'steps_level_idx', where: 'level > 1' }
        : { columns: ['level', 'name'], name: 'steps_level_idx' }
      const v3 = v({ ...base, level }, { indexes: [index] })
      const p3 = await manager().plan([v3])
      expect(kinds(p3)).toEqual(['replaceIndex steps_level_idx'])
      expect(p3.hasDestructive).toBe(false)
      await manager().sync([v3])
      expect((await manager().plan([v3])).isEmpty).toBe(true)

      const v4 = v({ ...base, name: z.string().max(200), level }, { indexes: [index] })
      const p4 = await manager().plan([v4])
      expect(kinds(p4)).toEqual(['alterColumnType steps.name'])
      expect(p4.changes[0]!.destructive).toBe(false)
      await manager().sync([v4])

      const v5 = v({ name: z.string().max(200), level }, { indexes: [index] })
      const p5 = await manager().plan([v5])
      expect(kinds(p5)).toEqual(['dropColumn steps.note'])
      expect(p5.hasDestructive).toBe(true)
      expect(p5.toString()).toMatch(/- drop column steps.note .*\[destructive\]/)
      const safe = await manager().sync([v5])
      expect(safe.applied).toEqual([])
      expect(safe.pending.map((c) => c.object)).toEqual(['steps.note'])
      expect((await manager().plan([v5])).changes).toHaveLength(1)
      const forced = await manager().sync([v5], { allowDestructive: true })
      expect(forced.applied.map((c) => c.object)).toEqual(['steps.note'])
      const last = await manager().plan([v5])
      expect(last.changes).toEqual([])
      const rows = (await ctx.db.repository(v5, { tenantId: T1 }).list()) as Record<string, unknown>[]
      expect(rows.map((r) => [r.name, r.level])).toEqual([['kept', 1]])
    })

    it('treats narrowing a type as destructive', async () => {
      const wide = defineModel({ table: 'narrow', multiTenant: false, fields: { s: z.string().max(100), n: z.int() } })
      await manager().sync([wide])
      const slim = defineModel({
        table: 'narrow',
        multiTenant: false,
        fields: { s: z.string().max(10), n: z.int().min(0).max(100) },
      })
      const p = await manager().plan([slim])
      expect(p.changes.map((c) => [c.object, c.destructive])).toEqual([
        ['narrow.s', true],
        ['narrow.n', true],
      ])
    })
  })

  describe('differences that change meaning', () => {
    const sync = async (m: Model) => {
      await manager().sync([m], { allowDestructive: true })
      expect((await manager().plan([m])).isEmpty).toBe(true)
    }

    it('detects changed checks, including precedence', async () => {
      const check = (expr: string) =>
        defineModel({
          table: 'meaning_check',
          multiTenant: false,
          fields: { a: z.int(), b: z.int(), c: z.int() },
          checks: [] as string[],
        }) &&
        defineModel({
          table: 'meaning_check',
          multiTenant: false,
          fields: { a: field(z.int(), { check: expr }), b: z.int(), c: z.int() },
        })
      await sync(check('(a > 0 OR b > 0) AND c > 0'))
      expect(kinds(await manager().plan([check('(a > 0 OR b > 0) AND c > 0')]))).toEqual([])
      expect(kinds(await manager().plan([check('a > 0 OR b > 0 AND c > 0')]))).toEqual([
        'replaceCheck meaning_check_a_check',
      ])
      expect(kinds(await manager().plan([check('(a > 0 OR b > 0) AND c > 1')]))).toEqual([
        'replaceCheck meaning_check_a_check',
      ])
    })

    it('detects changed defaults and foreign-key actions', async () => {
      const Parent = defineModel({
        table: 'meaning_parent',
        multiTenant: false,
        softDelete: false,
        fields: { n: z.int() },
      })
      const child = (dflt: string, onDelete: 'CASCADE' | 'SET NULL') =>
        defineModel({
          table: 'meaning_child',
          multiTenant: false,
          fields: {
            s: z.string().max(10).default(dflt),
            p: field(z.uuid().nullable(), { references: { model: () => Parent }, onDelete }),
          },
        })
      await manager().sync([Parent])
      await sync(child('x', 'CASCADE'))
      expect(kinds(await manager().plan([Parent, child('y', 'CASCADE')]))).toEqual(['setDefault meaning_child.s'])
      expect(kinds(await manager().plan([Parent, child('x', 'SET NULL')]))).toEqual([
        'replaceForeignKey meaning_child_p_fkey',
      ])
    })
  })

  describe('safety rules', () => {
    it('refuses to add a NOT NULL column without default to a table with rows, before running anything', async () => {
      const v1 = defineModel({ table: 'nn', multiTenant: false, fields: { a: z.string().max(5) } })
      await manager().sync([v1])
      await ctx.db.repository(v1).create({ a: 'x' })
      const v2 = defineModel({
        table: 'nn',
        multiTenant: false,
        fields: { a: z.string().max(5), b: z.string().max(5), c: z.string().max(5).optional() },
      })
      const plan = await manager().plan([v2])
      expect(plan.blockers.map((b) => b.message)).toEqual([
        expect.stringMatching(/nn\.b is NOT NULL without a default.*\.default\(\).*optional/s),
      ])
      const error = await manager()
        .sync([v2])
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SchemaSyncError)
      expect((error as Error).message).toMatch(/Nothing was applied[\s\S]*nn\.b/)
      // c (nullable) was not applied either
      expect(kinds(await manager().plan([v2]))).toEqual(['addColumn nn.b', 'addColumn nn.c'])
      const v3 = defineModel({
        table: 'nn',
        multiTenant: false,
        fields: { a: z.string().max(5), b: z.string().max(5).default('d') },
      })
      await manager().sync([v3])
      expect((await ctx.db.repository(v3).list()).map((r) => r.b)).toEqual(['d'])
    })

    it('tightens nullability by backfilling from the default, or refuses', async () => {
      const loose = defineModel({
        table: 'tight',
        multiTenant: false,
        fields: { a: z.string().max(5).nullable(), b: z.string().max(5).nullable() },
      })
      await manager().sync([loose])
      await ctx.db.repository(loose).create({ a: null, b: null })
      const noDefault = defineModel({
        table: 'tight',
        multiTenant: false,
        fields: { a: z.string().max(5), b: z.string().max(5).nullable() },
      })
      await expect(manager().sync([noDefault])).rejects.toThrow(/tight\.a becomes NOT NULL but holds NULLs/)
      const withDefault = defineModel({
        table: 'tight',
        multiTenant: false,
        fields: { a: z.string().max(5).default('z'), b: z.string().max(5).nullable() },
      })
      expect(kinds(await manager().plan([withDefault]))).toEqual(['setDefault tight.a', 'setNotNull tight.a'])
      await manager().sync([withDefault])
      expect((await ctx.db.repository(withDefault).list()).map((r) => r.a)).toEqual(['z'])
      expect((await manager().plan([withDefault])).isEmpty).toBe(true)
    })

    it('reports invalid models before touching the database', async () => {
      const bad = defineModel({
        table: 'bad_partial',
        fields: { a: field(z.string(), { index: true, indexWhere: 'a is not null' }) },
      })
      if (pg) {
        const broken = defineModel({
          table: 'bad_check',
          multiTenant: false,
          fields: { a: field(z.int(), { check: 'no_such_column > 1' }) },
        })
        await expect(manager().plan([broken])).rejects.toThrow(/database rejects the models \(table bad_check\)/)
        expect(kinds(await manager().plan([bad]))).toContain('createTable bad_partial')
      } else {
        await expect(manager().plan([bad])).rejects.toThrow(/no partial indexes[\s\S]*unbounded string/)
      }
    })
  })

  it('renders tables alike in shape once, each under its own names, and still sees a change to one', async () => {
    const make = (table: string, check: string, extraIndex: boolean) =>
      defineModel({
        table,
        temporal: 'copy_on_change',
        fields: {
          code: field(z.string().max(10), { unique: true }),
          n: field(z.int(), { check, ...(extraIndex && { index: true }) }),
          note: field(z.string().max(20), { index: pg ? { where: "note <> ''" } : true }),
        },
      })
    // alike_b has one more plain index: its partial indexes sit at other positions in its list
    const models = [make('alike_a', 'n >= 0', false), make('alike_b', 'n >= 0', true), make('alike_c', 'n >= 0', false)]
    await manager().sync(models)
    expect((await manager().plan(models)).isEmpty).toBe(true)
    const changed = await manager().plan([models[0]!, make('alike_b', 'n >= 1', true), models[2]!])
    expect(changed.changes.map((c) => c.table)).toEqual(['alike_b'])
    expect(changed.changes[0]!.sql.join('\n')).toMatch(/n >= 1/)
  })

  it('applies a plan atomically where DDL is transactional, and reports what ran where it is not', async () => {
    const v1 = defineModel({ table: 'atomic', multiTenant: false, fields: { a: z.int() } })
    await manager().sync([v1])
    await ctx.db.repository(v1).create({ a: -5 })
    const v2 = defineModel({
      table: 'atomic',
      multiTenant: false,
      fields: { a: field(z.int(), { check: 'a > 0' }), b: z.int().optional() },
    })
    const error = await manager()
      .sync([v2])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SchemaSyncError)
    if (ctx.db.dialect.capabilities.transactionalDdl) {
      expect((error as Error).message).toMatch(/Nothing was applied/)
      expect(kinds(await manager().plan([v2]))).toEqual(['addColumn atomic.b', 'addCheck atomic_a_check'])
    } else {
      expect((error as Error).message).toMatch(/Applied before the failure[\s\S]*add column atomic\.b/)
      expect(kinds(await manager().plan([v2]))).toEqual(['addCheck atomic_a_check'])
    }
  })
})

describeEngines(
  'schema sync: partial-index predicates',
  (ctx) => {
    const manager = () => new SchemaManager(ctx.db)
    const sync = async (m: Model) => {
      await manager().sync([m], { allowDestructive: true })
      expect((await manager().plan([m])).isEmpty).toBe(true)
    }
    it('detects changed index predicates, including precedence', async () => {
      const indexed = (where: string) =>
        defineModel({
          table: 'meaning_index',
          multiTenant: false,
          softDelete: false,
          fields: { a: field(z.int(), { index: true, indexWhere: where }), b: z.int(), c: z.int() },
        })
      await sync(indexed('(a > 0 OR b > 0) AND c > 0'))
      expect(kinds(await manager().plan([indexed('(a > 0 OR b > 0) AND c > 0')]))).toEqual([])
      expect(kinds(await manager().plan([indexed('((a > 0) OR (b > 0)) AND (c > 0)')]))).toEqual([])
      expect(kinds(await manager().plan([indexed('a > 0 OR b > 0 AND c > 0')]))).toEqual([
        'replaceIndex meaning_index_a_idx',
      ])
    })
  },
  (id) => id !== 'mariadb',
)
