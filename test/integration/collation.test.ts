import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, SchemaManager, sql, UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { T1, U1 } from '../helpers/fixtures.js'

// Text compares byte for byte on every engine: no case folding, and trailing spaces count. MySQL's
// and MariaDB's utf8mb4_bin is PAD SPACE ('a' = 'a ' in filters and unique indexes), so tables
// there are created with the binary NO PAD collation, and sync converts tables made before.
const Code = defineModel({
  table: 'coll_codes',
  temporal: 'copy_on_change',
  fields: { code: field(z.string().max(20), { unique: true }), note: z.string().optional() },
})

describeEngines('text is exact in unique fields and filters', (ctx) => {
  beforeAll(async () => {
    await new SchemaManager(ctx.db).sync([Code])
  })

  it("keeps 'a', 'a ' and 'A' apart in a unique field, in list filters and in scoped queries", async () => {
    const repo = ctx.db.repository(Code, { tenantId: T1, userId: U1 })
    const a = await repo.create({ code: 'a' })
    const spaced = await repo.create({ code: 'a ' })
    const upper = await repo.create({ code: 'A' })
    await expect(repo.create({ code: 'a ' })).rejects.toThrow(UniqueViolationError)
    expect((await repo.list({ where: { code: 'a' } })).map((r) => r.id)).toEqual([a.id])
    expect((await repo.list({ where: { code: 'a ' } })).map((r) => r.id)).toEqual([spaced.id])
    expect((await repo.list({ where: { code: 'A' } })).map((r) => r.id)).toEqual([upper.id])
    const rows = await ctx.db
      .scoped([Code], { tenantId: T1 })
      .selectFrom('coll_codes')
      .select(['id', 'code'])
      .where('code', '=', 'a')
      .execute()
    expect(rows).toEqual([{ id: a.id, code: 'a' }])
    // a value read back is the value written, trailing space included
    expect((await repo.get(spaced.id))!.code).toBe('a ')
  })
})

const Parent = defineModel({
  table: 'coll_parents',
  temporal: 'copy_on_change',
  fields: {
    code: field(z.string().max(20), { unique: true }),
    doc: z.object({ k: z.string() }).optional(),
    body: z.string().optional(),
  },
})
const Child = defineModel({
  table: 'coll_children',
  temporal: 'scd2',
  fields: {
    parentId: field(z.uuid(), { references: { model: () => Parent } }),
    label: z.string().max(40),
  },
})

describeEngines(
  'tables made with the PAD SPACE collation are converted by sync',
  (ctx) => {
    const models = [Parent, Child]
    const tables = ['coll_parents', 'coll_parents_audit', 'coll_children', 'coll_children_history']
    const collations = async () =>
      (await ctx.db.query<{ tbl: string; coll: string }>(
        sql`SELECT table_name AS tbl, table_collation AS coll FROM information_schema.tables
             WHERE table_schema = database() AND table_name LIKE 'coll\_%' ORDER BY table_name`,
      )) as { tbl: string; coll: string }[]
    let parentId: string
    let trail: unknown[]

    beforeAll(async () => {
      // the tables as an earlier version created them: every statement of the plan, with utf8mb4_bin
      const plan = await new SchemaManager(ctx.db).plan(models)
      const to = ctx.db.dialect.ddl.textCollation!
      for (const change of plan.changes) {
        for (const statement of change.sql) await ctx.db.execute(sql.raw(statement.replaceAll(to, 'utf8mb4_bin')))
      }
      const parent = await ctx.db
        .repository(Parent, { tenantId: T1, userId: U1 })
        .create({ code: 'p', doc: { k: 'v' }, body: 'text' })
      parentId = parent.id
      trail = await ctx.db.repository(Parent, { tenantId: T1, userId: U1 }).getAuditHistory(parentId)
      await ctx.db.repository(Child, { tenantId: T1, userId: U1 }).create({ parentId, label: 'c' })
    })

    it('starts from PAD SPACE tables, where a trailing space collides', async () => {
      expect(new Set((await collations()).map((r) => r.coll))).toEqual(new Set(['utf8mb4_bin']))
      const repo = ctx.db.repository(Parent, { tenantId: T1, userId: U1 })
      await expect(repo.create({ code: 'p ' })).rejects.toThrow(UniqueViolationError)
    })

    it('plans one non-destructive conversion per table, with the text foreign key re-created around it', async () => {
      const plan = await new SchemaManager(ctx.db).plan(models)
      expect(plan.hasDestructive).toBe(false)
      expect(plan.blockers).toEqual([])
      const kinds = plan.changes.map((c) => `${c.kind} ${c.table}`).sort()
      expect(kinds).toEqual([...tables.map((t) => `convertCollation ${t}`), 'replaceForeignKey coll_children'].sort())
      expect(plan.toString()).toContain(
        `convert every text column of coll_parents to ${ctx.db.dialect.ddl.textCollation} (from utf8mb4_bin)`,
      )
    })

    it('applies it keeping every row, after which the plan is empty and text is exact', async () => {
      const result = await new SchemaManager(ctx.db).sync(models)
      expect(result.pending).toEqual([])
      expect((await collations()).map((r) => r.coll)).toEqual(tables.map(() => ctx.db.dialect.ddl.textCollation))
      expect((await new SchemaManager(ctx.db).plan(models)).isEmpty).toBe(true)
      const parents = ctx.db.repository(Parent, { tenantId: T1, userId: U1 })
      expect(await parents.get(parentId)).toMatchObject({ code: 'p', doc: { k: 'v' }, body: 'text' })
      const children = ctx.db.repository(Child, { tenantId: T1, userId: U1 })
      expect((await children.list()).map((c) => c.label)).toEqual(['c'])
      expect(trail.length).toBeGreaterThan(0)
      expect(await parents.getAuditHistory(parentId)).toEqual(trail)
      // the trailing space is another code now, and the foreign key is still enforced
      await parents.create({ code: 'p ' })
      await expect(children.create({ parentId: '018f0000-0000-7000-8000-00000000dead', label: 'x' })).rejects.toThrow()
    })
  },
  (id) => id === 'mariadb',
)

// What would stop a conversion half-way is found by the plan, before anything runs
const Group = defineModel({
  table: 'coll_groups',
  multiTenant: false,
  fields: { code: field(z.string().max(20), { unique: true }) },
})
const Member = defineModel({
  table: 'coll_members',
  multiTenant: false,
  fields: { groupCode: field(z.string().max(20), { references: 'coll_groups.code' }) },
})
const Team = defineModel({
  table: 'coll_teams',
  multiTenant: false,
  fields: { code: field(z.string().max(20), { unique: true }) },
})
const Linked = defineModel({
  table: 'coll_linked',
  multiTenant: false,
  fields: { legacyCode: field(z.string().max(20), { references: 'coll_legacy.code' }) },
})

describeEngines(
  'collation conversions that cannot complete are refused by the plan',
  (ctx) => {
    /** The tables of `models` as an earlier version created them (utf8mb4_bin). */
    const oldTables = async (models: Parameters<SchemaManager['plan']>[0]) => {
      const plan = await new SchemaManager(ctx.db).plan(models)
      const to = ctx.db.dialect.ddl.textCollation!
      for (const change of plan.changes) {
        for (const statement of change.sql) await ctx.db.execute(sql.raw(statement.replaceAll(to, 'utf8mb4_bin')))
      }
    }
    const collationOf = async (table: string) =>
      (
        await ctx.db.queryOne<{ coll: string }>(
          sql`SELECT table_collation AS coll FROM information_schema.tables WHERE table_schema = database() AND table_name = ${table}`,
        )
      )?.coll
    const refusedWithNothingApplied = async (models: Parameters<SchemaManager['plan']>[0], message: RegExp) => {
      const plan = await new SchemaManager(ctx.db).plan(models)
      expect(plan.blockers.map((b) => b.message).join('\n')).toMatch(message)
      await expect(new SchemaManager(ctx.db).sync(models)).rejects.toThrow(/Nothing was applied/)
    }

    it('a text key whose rows matched their parent only with trailing spaces ignored', async () => {
      await oldTables([Group, Member])
      await ctx.db.repository(Group, { userId: U1 }).create({ code: 'g' })
      // PAD SPACE: 'g ' finds its parent 'g'
      await ctx.db.repository(Member, { userId: U1 }).create({ groupCode: 'g ' })
      await refusedWithNothingApplied(
        [Group, Member],
        /coll_members_group_code_fkey on coll_members: 1 row of coll_members\(group_code\) matches a row of coll_groups only with trailing spaces ignored/,
      )
      expect([await collationOf('coll_groups'), await collationOf('coll_members')]).toEqual([
        'utf8mb4_bin',
        'utf8mb4_bin',
      ])
      // fixed, it converts; the key is there again
      await ctx.db.execute(sql`UPDATE coll_members SET group_code = 'g'`)
      await new SchemaManager(ctx.db).sync([Group, Member])
      expect((await new SchemaManager(ctx.db).plan([Group, Member])).isEmpty).toBe(true)
      await expect(ctx.db.repository(Member, { userId: U1 }).create({ groupCode: 'g ' })).rejects.toThrow()
    })

    it('a text key to a table outside the models in another collation, either way', async () => {
      await ctx.db.execute(
        sql.raw(
          'CREATE TABLE coll_legacy (code varchar(20) NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
        ),
      )
      // a new model referencing it: its key could never be added
      await refusedWithNothingApplied(
        [Linked],
        /references coll_legacy, a table outside the models whose text is utf8mb4_bin/,
      )
      expect(await collationOf('coll_linked')).toBeUndefined()
      // a table outside the models referencing a model's table that needs converting
      await oldTables([Team])
      await ctx.db.execute(
        sql.raw(
          'CREATE TABLE coll_outside (code varchar(20), CONSTRAINT coll_outside_fk FOREIGN KEY (code) REFERENCES coll_teams (code)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
        ),
      )
      await refusedWithNothingApplied([Team], /table coll_outside, outside the models, has foreign key coll_outside_fk/)
      expect(await collationOf('coll_teams')).toBe('utf8mb4_bin')
    })
  },
  (id) => id === 'mariadb',
)
