import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Database,
  defineModel,
  field,
  type Model,
  SchemaManager,
  SchemaSyncError,
  sql,
  validateModel,
} from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'

const kinds = (plan: { changes: readonly { kind: string; object: string }[] }) =>
  plan.changes.map((c) => `${c.kind} ${c.object}`)

const failure = async (p: Promise<unknown>): Promise<SchemaSyncError> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SchemaSyncError)
  return error as SchemaSyncError
}

describeEngines('schema sync II', (ctx) => {
  const pg = ctx.family === 'postgres'
  const manager = (options = {}) => new SchemaManager(ctx.db, options)
  const converge = async (models: Model[]) => {
    await manager().sync(models, { allowDestructive: true })
    expect(kinds(await manager().plan(models))).toEqual([])
  }

  describe('narrowing checks the data first', () => {
    it('refuses varchar(100) → varchar(40) with the column and the count of values that do not fit, and changes nothing', async () => {
      const wide = defineModel({ table: 'narrow_s', multiTenant: false, fields: { s: z.string().max(100) } })
      await manager().sync([wide])
      const repo = ctx.db.repository(wide)
      for (let i = 0; i < 5; i++) await repo.create({ s: `${'x'.repeat(60)}${i}` })
      await repo.create({ s: 'short' })
      const slim = defineModel({ table: 'narrow_s', multiTenant: false, fields: { s: z.string().max(40) } })
      // without allowDestructive it stays pending and nothing is probed
      expect((await manager().sync([slim])).pending.map((c) => c.object)).toEqual(['narrow_s.s'])
      const error = await failure(manager().sync([slim], { allowDestructive: true }))
      expect(error.message).toMatch(/Nothing was applied[\s\S]*narrow_s\.s[\s\S]*5 rows/)
      const lengths = (await repo.list()).map((r) => r.s.length).sort((a, b) => a - b)
      expect(lengths).toEqual([5, 61, 61, 61, 61, 61])
      expect(kinds(await manager().plan([slim]))).toEqual(['alterColumnType narrow_s.s'])
    })

    it('checks an integer column becoming short text by its values, not with a text function the integer lacks', async () => {
      const wide = defineModel({ table: 'narrow_i', multiTenant: false, fields: { n: z.int() } })
      await manager().sync([wide])
      const repo = ctx.db.repository(wide)
      const r = await repo.create({ n: 123456 })
      const slim = defineModel({ table: 'narrow_i', multiTenant: false, fields: { n: z.string().max(5) } })
      // a refusal with the count (a SchemaSyncError), not the engine's "char_length(integer) does not exist"
      const error = await failure(manager().sync([slim], { allowDestructive: true }))
      expect(error.message).toMatch(/Nothing was applied[\s\S]*narrow_i\.n[\s\S]*1 row/)
      await ctx.db.execute(sql`UPDATE narrow_i SET n = 42`)
      await converge([slim])
      expect((await ctx.db.repository(slim).get(r.id))?.n).toBe('42')
    })

    it('refuses decimal scale and integer range narrowing that would round or overflow, and applies it once the data fits', async () => {
      const wide = defineModel({
        table: 'narrow_n',
        multiTenant: false,
        fields: { d: field(z.string(), { precision: 10, scale: 4 }), n: z.bigint() },
      })
      await manager().sync([wide])
      const repo = ctx.db.repository(wide)
      const r = await repo.create({ d: '1.2345', n: 2n ** 40n })
      const slim = defineModel({
        table: 'narrow_n',
        multiTenant: false,
        fields: { d: field(z.string(), { precision: 10, scale: 2 }), n: z.int().min(0).max(100) },
      })
      const error = await failure(manager().sync([slim], { allowDestructive: true }))
      expect(error.message).toMatch(/narrow_n\.d[\s\S]*1 row[\s\S]*narrow_n\.n[\s\S]*1 row/)
      await repo.update(r.id, { d: '1.2300', n: 5n })
      await converge([slim])
      expect(await ctx.db.repository(slim).get(r.id)).toMatchObject({ d: '1.23', n: 5 })
    })
  })

  if (pg)
    it('refuses narrowing timestamp precision on PostgreSQL when values would be rounded (round-trip check)', async () => {
      const m = (type: string) =>
        defineModel({ table: 'narrow_t', multiTenant: false, fields: { at: field(z.date(), { type }) } })
      await manager().sync([m('timestamp(3) with time zone')])
      await ctx.db.repository(m('timestamp(3) with time zone')).create({ at: new Date('2024-01-01T00:00:00.123Z') })
      const error = await failure(manager().sync([m('timestamp(0) with time zone')], { allowDestructive: true }))
      expect(error.message).toMatch(/narrow_t\.at[\s\S]*1 row/)
    })

  describe('dependency order (MySQL refused each of these before)', () => {
    const Parent = defineModel({ table: 'dep_parent', multiTenant: false, softDelete: false, fields: { n: z.int() } })

    it('(a) a nullable SET NULL foreign key made required with CASCADE', async () => {
      const child = (required: boolean) =>
        defineModel({
          table: 'dep_child',
          multiTenant: false,
          fields: {
            p: required
              ? field(z.uuid(), { references: { model: () => Parent }, onDelete: 'CASCADE' })
              : field(z.uuid().nullable(), { references: { model: () => Parent }, onDelete: 'SET NULL' }),
          },
        })
      await converge([Parent, child(false)])
      const parent = await ctx.db.repository(Parent).create({ n: 1 })
      await ctx.db.repository(child(false)).create({ p: parent.id })
      const plan = await manager().plan([Parent, child(true)])
      expect(kinds(plan)).toEqual(['setNotNull dep_child.p', 'replaceForeignKey dep_child_p_fkey'])
      await converge([Parent, child(true)])
    })

    it('(b) softDelete switched off on a model with uniques', async () => {
      const m = (softDelete: boolean) =>
        defineModel({
          table: 'dep_soft',
          softDelete,
          fields: { code: field(z.string().max(10), { unique: true }) },
        })
      await converge([m(true)])
      await ctx.db.repository(m(true), { tenantId: T1 }).create({ code: 'a' })
      await converge([m(false)])
      await expect(ctx.db.repository(m(false), { tenantId: T1 }).create({ code: 'a' })).rejects.toThrow()
    })

    it('(c) widening a column a foreign key uses, on both sides', async () => {
      const models = (n: number) => {
        const P = defineModel({
          table: 'dep_code_p',
          multiTenant: false,
          softDelete: false,
          fields: { code: field(z.string().max(n), { unique: true }) },
        })
        const C = defineModel({
          table: 'dep_code_c',
          multiTenant: false,
          softDelete: false,
          fields: { code: field(z.string().max(n), { references: 'dep_code_p.code' }) },
        })
        return [P, C]
      }
      await converge(models(2))
      await ctx.db.repository(models(2)[0]!).create({ code: 'ab' })
      await ctx.db.repository(models(2)[1]!).create({ code: 'ab' })
      const plan = await manager().plan(models(3))
      expect(plan.hasDestructive).toBe(false)
      await converge(models(3))
      await ctx.db.repository(models(3)[0]!).create({ code: 'abc' })
      await ctx.db.repository(models(3)[1]!).create({ code: 'abc' })
      await expect(ctx.db.repository(models(3)[1]!).create({ code: 'zzz' })).rejects.toThrow()
    })

    it('reports what applied statement by statement when a replace fails half-way (nothing where DDL is transactional)', async () => {
      const A = defineModel({ table: 'half_a', multiTenant: false, softDelete: false, fields: { n: z.int() } })
      const B = defineModel({ table: 'half_b', multiTenant: false, softDelete: false, fields: { n: z.int() } })
      const child = (target: Model) =>
        defineModel({
          table: 'half_c',
          multiTenant: false,
          softDelete: false,
          fields: { p: field(z.uuid(), { references: { model: () => target } }), extra: z.int().optional() },
        })
      await converge([A, B, child(A)])
      const a = await ctx.db.repository(A).create({ n: 1 })
      await ctx.db.repository(child(A)).create({ p: a.id })
      const error = await failure(manager().sync([A, B, child(B)]))
      expect(error.message).toMatch(/replace foreign key half_c_p_fkey/)
      if (ctx.db.dialect.capabilities.transactionalDdl) {
        expect(error.applied).toEqual([])
        expect(error.message).toMatch(/Nothing was applied/)
      } else {
        expect(error.applied.map((s) => [s.kind, s.object, s.sql])).toEqual([
          ['replaceForeignKey', 'half_c_p_fkey', 'ALTER TABLE `half_c` DROP FOREIGN KEY `half_c_p_fkey`'],
        ])
        expect(error.message).toMatch(/partly applied/)
        expect(kinds(await manager().plan([A, B, child(B)]))).toEqual(['addForeignKey half_c_p_fkey'])
      }
    })
  })

  describe('checks', () => {
    it('an edited model-level check is one non-destructive replace, applied without allowDestructive', async () => {
      const m = (check: string) =>
        defineModel({ table: 'chk_model', multiTenant: false, fields: { a: z.int() }, checks: [check] })
      await converge([m('a > 0')])
      const plan = await manager().plan([m('a > 1')])
      expect(plan.changes.map((c) => [c.kind, c.destructive])).toEqual([['replaceCheck', false]])
      const result = await manager().sync([m('a > 1')])
      expect(result.pending).toEqual([])
      expect(kinds(await manager().plan([m('a > 1')]))).toEqual([])
      await expect(ctx.db.repository(m('a > 1')).create({ a: 1 })).rejects.toThrow()
      await ctx.db.repository(m('a > 1')).create({ a: 2 })
      // a check removed from the model is still a destructive drop
      const none = defineModel({ table: 'chk_model', multiTenant: false, fields: { a: z.int() } })
      expect((await manager().plan([none])).changes.map((c) => [c.kind, c.destructive])).toEqual([['dropCheck', true]])
    })

    it("literals the engine stores in another form (false as 0, X'41', .5, introducers) plan nothing after a sync", async () => {
      const literals = pg
        ? ["flag = false OR flag = TRUE OR NOT flag OR n > .5 OR n <> 1e3 OR n >= -0.5 OR s <> 'it''s' OR s IS NULL"]
        : [
            "flag = false OR flag = TRUE OR NOT flag OR n > .5 OR n <> 1e3 OR n >= -0.5 OR s <> 'it''s' OR s <> X'41' OR s <> 0x42 OR s <> _utf8mb4'z' OR flag IS TRUE",
          ]
      const m = defineModel({
        table: 'chk_literals',
        multiTenant: false,
        fields: { flag: z.boolean(), n: z.number(), s: z.string().max(5).nullable() },
        checks: literals,
      })
      await converge([m])
      expect(kinds(await manager().plan([m]))).toEqual([])
    })
  })

  describe('options the engine cannot honour', () => {
    it('refuses onDelete/onUpdate SET DEFAULT on MySQL/MariaDB (InnoDB keeps RESTRICT), in validateModel and plan', async () => {
      const Parent = defineModel({ table: 'sd_parent', multiTenant: false, fields: {} })
      const m = defineModel({
        table: 'sd_child',
        multiTenant: false,
        fields: { p: field(z.uuid().nullable(), { references: { model: () => Parent }, onDelete: 'SET DEFAULT' }) },
      })
      const errors = validateModel(m, { engine: ctx.db.dialect.name }).filter((p) => p.level === 'error')
      if (pg) {
        expect(errors).toEqual([])
        await converge([Parent, m])
      } else {
        expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/onDelete SET DEFAULT.*InnoDB/)])
        const error = await failure(manager().plan([Parent, m]))
        expect(error.message).toMatch(/SET DEFAULT/)
      }
    })

    it('refuses a varchar longer than MySQL/MariaDB can store (it would become a text type, planned forever)', () => {
      const m = defineModel({ table: 'vc_long', multiTenant: false, fields: { s: z.string().max(20_000) } })
      const errors = validateModel(m, { engine: ctx.db.dialect.name }).filter((p) => p.level === 'error')
      expect(errors.map((e) => e.message)).toEqual(pg ? [] : [expect.stringMatching(/varchar limit of 16383/)])
    })

    it('refuses onUpdate SET NULL on a required field at definition', () => {
      expect(() =>
        defineModel({
          table: 'sn_child',
          fields: { p: field(z.uuid(), { references: 'sn_parent.id', onUpdate: 'SET NULL' }) },
        }),
      ).toThrow(/onUpdate SET NULL needs a nullable field/)
    })
  })

  describe('drift made by hand', () => {
    const m = defineModel({
      table: 'drift',
      multiTenant: false,
      softDelete: false,
      fields: { a: field(z.string().max(10), { index: true }), b: z.int() },
      indexes: [{ columns: ['a', 'b'], name: 'drift_a_b_idx' }],
    })

    it('sees a UNIQUE constraint added by hand, and drops it with allowDestructive', async () => {
      await converge([m])
      await ctx.db.execute(sql`alter table drift add constraint drift_hand_key unique (b)`)
      const plan = await manager().plan([m])
      expect(plan.changes.map((c) => [c.kind, c.object, c.destructive])).toEqual([
        ['dropIndex', 'drift_hand_key', true],
      ])
      await converge([m])
    })

    it('sees an index rebuilt with DESC or with its columns swapped under its own name', async () => {
      await converge([m])
      if (pg) {
        await ctx.db.execute(sql`drop index drift_a_idx`)
        await ctx.db.execute(sql`create index drift_a_idx on drift (a desc)`)
        await ctx.db.execute(sql`drop index drift_a_b_idx`)
        await ctx.db.execute(sql`create index drift_a_b_idx on drift (b, a)`)
      } else {
        await ctx.db.execute(sql`alter table drift drop index drift_a_idx, add index drift_a_idx (a desc)`)
        await ctx.db.execute(sql`alter table drift drop index drift_a_b_idx, add index drift_a_b_idx (b, a)`)
      }
      const plan = await manager().plan([m])
      expect(kinds(plan).sort()).toEqual(['replaceIndex drift_a_b_idx', 'replaceIndex drift_a_idx'])
      expect(plan.toString()).toMatch(/\(a desc\) → \(a\)/)
      await converge([m])
    })
  })

  describe('history tables with rows', () => {
    it('scd2: adding a field with a default and tightening nullability with a default both work; old versions hold the default', async () => {
      const v1 = defineModel({
        table: 'hist_v',
        temporal: 'scd2',
        fields: { title: z.string().max(20), note: z.string().max(10).nullable() },
      })
      await converge([v1])
      const repo = ctx.db.repository(v1, { tenantId: T1, userId: U1 })
      const r = await repo.create({ title: 'one', note: null })
      await repo.update(r.id, { title: 'two' })
      await repo.update(r.id, { title: 'three' })
      const v2 = defineModel({
        table: 'hist_v',
        temporal: 'scd2',
        fields: { title: z.string().max(20), note: z.string().max(10).nullable(), priority: z.int().default(3) },
      })
      expect((await manager().plan([v2])).blockers).toEqual([])
      await converge([v2])
      const v3 = defineModel({
        table: 'hist_v',
        temporal: 'scd2',
        fields: { title: z.string().max(20), note: z.string().max(10).default('n'), priority: z.int().default(3) },
      })
      expect((await manager().plan([v3])).blockers).toEqual([])
      await converge([v3])
      const versions = await ctx.db.repository(v3, { tenantId: T1 }).getVersionHistory(r.id)
      expect(versions.map((x) => [x.version, x.title, x.note, x.priority])).toEqual([
        [1, 'one', 'n', 3],
        [2, 'two', 'n', 3],
        [3, 'three', 'n', 3],
      ])
      expect(await ctx.db.repository(v3, { tenantId: T1 }).compareVersions(r.id, 1, 2)).toMatchObject({
        priority: { changed: false },
        note: { changed: false },
      })
    })

    it('copy_on_change: adding a field with a default to a table with an audit trail', async () => {
      const v1 = defineModel({ table: 'hist_a', temporal: 'copy_on_change', fields: { title: z.string().max(20) } })
      await converge([v1])
      const repo = ctx.db.repository(v1, { tenantId: T1, userId: U1 })
      const r = await repo.create({ title: 'one' })
      await repo.update(r.id, { title: 'two' })
      const v2 = defineModel({
        table: 'hist_a',
        temporal: 'copy_on_change',
        fields: { title: z.string().max(20), priority: z.int().default(3) },
      })
      await converge([v2])
      const repo2 = ctx.db.repository(v2, { tenantId: T1, userId: U1 })
      expect(await repo2.get(r.id)).toMatchObject({ title: 'two', priority: 3 })
      const trail = await repo2.getAuditHistory(r.id)
      expect(trail.map((e) => [e.operation, e.fieldName])).toContainEqual(['UPDATE', 'title'])
    })
  })

  it('a strategy switch with rows works and says what becomes of the old audit table: a destructive drop, applied only when allowed', async () => {
    const m = (temporal: 'copy_on_change' | 'scd2') =>
      defineModel({ table: 'switcher', temporal, fields: { title: z.string().max(20) } })
    await converge([m('copy_on_change')])
    const before = await ctx.db.repository(m('copy_on_change'), { tenantId: T1, userId: U1 }).create({ title: 'kept' })
    const plan = await manager().plan([m('scd2')])
    // the rows become version 1, valid from the switch
    expect(plan.blockers).toEqual([])
    const drop = plan.changes.find((c) => c.kind === 'dropTable')
    expect(drop).toMatchObject({ object: 'switcher_audit', destructive: true })
    expect(drop!.description).toMatch(/switcher is scd2 now and keeps no audit trail/)
    const safe = await manager().sync([m('scd2')])
    expect(safe.pending.map((c) => c.object)).toContain('switcher_audit')
    await converge([m('scd2')])
    const Scd2 = defineModel({ table: 'switcher', temporal: 'scd2', fields: { title: z.string().max(20) } })
    const scd2 = ctx.db.repository(Scd2, { tenantId: T1, userId: U1 })
    expect(await scd2.get(before.id)).toMatchObject({ title: 'kept', version: 1 })
    await scd2.update(before.id, { title: 'changed' })
    expect((await scd2.getVersionHistory(before.id)).map((v) => [v.version, v.title])).toEqual([
      [1, 'kept'],
      [2, 'changed'],
    ])
    // and back: the history table is the one left over now
    const back = await manager().plan([m('copy_on_change')])
    expect(back.changes.filter((c) => c.kind === 'dropTable').map((c) => c.object)).toEqual(['switcher_history'])
  })

  describe('names up to the engine limit', () => {
    const limit = pg ? 63 : 64
    const long = (end: string) => `${'t'.repeat(limit - 1)}${end}`

    it('syncs two long tables that differ only at the end, with audit and history tables and indexes that never collide', async () => {
      const make = (end: string, temporal: 'copy_on_change' | 'scd2') =>
        defineModel({
          table: long(end),
          temporal,
          fields: { code: field(z.string().max(10), { unique: true, index: true }) },
          checks: ["code <> ''"],
        })
      const models = [make('a', 'copy_on_change'), make('b', 'copy_on_change'), make('c', 'scd2'), make('d', 'scd2')]
      await converge(models)
      const names = (
        await ctx.db.query<{ n: string }>(
          pg
            ? sql`select relname as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = current_schema() and relname like ${'tttt%'}`
            : sql`select table_name as n from information_schema.tables where table_schema = database() and table_name like ${'tttt%'} union all select index_name from information_schema.statistics where table_schema = database() and table_name like ${'tttt%'} and index_name <> 'PRIMARY' group by table_name, index_name`,
        )
      ).map((r) => r.n)
      expect(names.length).toBeGreaterThanOrEqual(16)
      expect(new Set(names).size).toBe(names.length)
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(limit)
      for (const m of models) {
        const repo = ctx.db.repository(m, { tenantId: T1, userId: U1 })
        const r = await repo.create({ code: 'x' })
        await repo.update(r.id, { code: 'y' })
        if (m.def.temporal === 'scd2') expect(await repo.getVersionCount(r.id)).toBe(2)
        else expect((await repo.getAuditHistory(r.id)).length).toBeGreaterThanOrEqual(2)
      }
    })

    it('names audit and history tables explicitly with auditTable / historyTable', async () => {
      const A = defineModel({
        table: 'named_a',
        temporal: 'copy_on_change',
        auditTable: 'named_a_trail',
        fields: { t: z.string().max(5) },
      })
      const H = defineModel({
        table: 'named_h',
        temporal: 'scd2',
        historyTable: 'named_h_versions',
        fields: { t: z.string().max(5) },
      })
      expect(kinds(await manager().plan([A, H]))).toEqual([
        'createTable named_a',
        'createTable named_a_trail',
        'createTable named_h',
        'createTable named_h_versions',
      ])
      await converge([A, H])
      const a = ctx.db.repository(A, { tenantId: T1 })
      const ra = await a.create({ t: 'x' })
      await a.update(ra.id, { t: 'y' })
      expect((await a.getFieldHistory(ra.id, 't')).map((e) => e.newValue)).toEqual(['x', 'y'])
      const h = ctx.db.repository(H, { tenantId: T1 })
      const rh = await h.create({ t: 'x' })
      await h.update(rh.id, { t: 'y' })
      expect((await h.getVersion(rh.id, 1))?.t).toBe('x')
      const [{ n }] = (await ctx.db.query(sql`select count(*) as n from ${sql.id('named_h_versions')}`)) as [
        { n: unknown },
      ]
      expect(Number(n)).toBe(1)
    })

    it('refuses a table name past the engine limit', () => {
      const tooLong = defineModel({ table: 'u'.repeat(64), multiTenant: false, fields: {} })
      const errors = validateModel(tooLong, { engine: ctx.db.dialect.name }).filter((p) => p.level === 'error')
      expect(errors.length).toBe(pg ? 1 : 0)
      expect(() => defineModel({ table: 'u'.repeat(65), fields: {} })).toThrow(/longer than 64 bytes/)
    })
  })
})

describeEngines(
  'schema sync II: production safety',
  (ctx) => {
    const manager = (options = {}) => new SchemaManager(ctx.db, options)
    const pg = ctx.family === 'postgres'

    it('gives up on a table lock after lockTimeoutMs and says it was a lock timeout', async () => {
      const v1 = defineModel({ table: 'locked', multiTenant: false, fields: { a: z.int() } })
      await manager().sync([v1])
      await ctx.db.repository(v1).create({ a: 1 })
      const v2 = defineModel({ table: 'locked', multiTenant: false, fields: { a: z.int(), b: z.int().optional() } })
      const other: Database = await ctx.open()
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let locked!: () => void
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve
      })
      const holder = other.transaction(async (tx) => {
        await tx.query(sql`select * from locked`)
        locked()
        await held
      })
      await isLocked
      const started = Date.now()
      const error = await failure(manager({ lockTimeoutMs: 1000 }).sync([v2]))
      const waited = Date.now() - started
      release()
      await holder
      expect(error.lockTimeout).toBe(true)
      expect(error.message).toMatch(/lock timeout: locked is locked by another transaction/)
      expect(waited).toBeLessThan(20_000)
      expect((await manager().sync([v2])).applied.map((c) => c.object)).toEqual(['locked.b'])
    })

    it('builds indexes on large tables without blocking writes, says so in the plan, and cleans up a failed build', async () => {
      const v1 = defineModel({ table: 'online', multiTenant: false, softDelete: false, fields: { a: z.int() } })
      await manager().sync([v1])
      for (let i = 0; i < 20; i++) await ctx.db.repository(v1).create({ a: i % 10 })
      if (pg) await ctx.db.execute(sql`analyze online`)
      const v2 = defineModel({
        table: 'online',
        multiTenant: false,
        softDelete: false,
        fields: { a: field(z.int(), { index: true }) },
      })
      const big = manager({ onlineIndexRows: 10 })
      const plan = await big.plan([v2])
      expect(plan.changes.map((c) => c.description)).toEqual([
        expect.stringMatching(/create index online_a_idx .*built without blocking writes: ~20 rows/),
      ])
      expect(plan.changes[0]!.sql.join('\n')).toMatch(pg ? /CREATE INDEX CONCURRENTLY/ : /ALGORITHM=INPLACE, LOCK=NONE/)
      expect((await manager().plan([v2])).changes[0]!.description).not.toMatch(/without blocking/)
      await big.sync([v2])
      expect(kinds(await big.plan([v2]))).toEqual([])
      // replaced online: the new index is built beside the old one
      const version = (a: ReturnType<typeof field> | z.ZodInt) =>
        defineModel({
          table: 'online',
          multiTenant: false,
          softDelete: false,
          fields: { a, b: z.int().default(0) },
          indexes: [{ columns: ['a', 'b'], name: 'online_a_idx' }],
        })
      const v3 = version(z.int())
      expect(kinds(await big.plan([v3]))).toEqual(['addColumn online.b', 'replaceIndex online_a_idx'])
      await big.sync([v3])
      expect(kinds(await big.plan([v3]))).toEqual([])
      // a unique build that fails (duplicates) leaves no invalid index behind
      const v4 = version(field(z.int(), { unique: true }))
      const error = await failure(big.sync([v4]))
      expect(error.message).toMatch(/create index online_a_key/)
      const leftovers = pg
        ? await ctx.db.query(
            sql`select indexrelid from pg_index i join pg_class c on c.oid = i.indrelid where c.relname = 'online' and not i.indisvalid`,
          )
        : []
      expect(leftovers).toEqual([])
      expect(kinds(await big.plan([v4]))).toEqual(['addIndex online_a_key'])
    })
  },
  (id) => id !== 'pglite',
)

describe('derived names', () => {
  it('keep the start of the table name and differ for names that differ only at the end', async () => {
    const { auditTableName, historyTableName } = await import('../../src/schema/from-models.js')
    const a = defineModel({ table: `${'n'.repeat(62)}a`, temporal: 'copy_on_change', fields: {} }).def
    const b = defineModel({ table: `${'n'.repeat(62)}b`, temporal: 'copy_on_change', fields: {} }).def
    expect(auditTableName(a)).not.toBe(auditTableName(b))
    expect(auditTableName(a)).toMatch(/^n{40,}_[0-9a-f]{8}_audit$/)
    expect(Buffer.byteLength(historyTableName(a))).toBeLessThanOrEqual(63)
    expect(auditTableName(defineModel({ table: 'short', fields: {} }).def)).toBe('short_audit')
  })
})
