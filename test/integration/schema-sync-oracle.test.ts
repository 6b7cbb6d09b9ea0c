import { expect, it } from 'vitest'
import { z } from 'zod'
import { type Database, defineModel, field, type Model, SchemaManager, sql } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'

/**
 * The oracle: a database synced step by step through a model's versions must equal one synced
 * straight to the last version, as the engine's own catalog prints them (pg_get_indexdef,
 * pg_get_constraintdef, format_type on PostgreSQL and PGlite; SHOW CREATE TABLE on MariaDB).
 * Both run in one database under different table prefixes, which the dump replaces.
 */
type Version = (p: string) => Model[]

const t = (p: string, name: string) => `${p}_${name}`

const SEQUENCES: Record<string, (pg: boolean) => Version[]> = {
  'columns: add with default, index, widen, drop': () => [
    (p) => [
      defineModel({ table: t(p, 'cols'), fields: { name: z.string().max(50), note: z.string().max(20).optional() } }),
    ],
    (p) => [
      defineModel({
        table: t(p, 'cols'),
        fields: {
          name: z.string().max(50),
          note: z.string().max(20).optional(),
          level: z.int().min(0).max(9).default(1),
        },
        indexes: [{ columns: ['level'] }],
      }),
    ],
    (p) => [
      defineModel({
        table: t(p, 'cols'),
        fields: { name: z.string().max(200), level: z.int().min(0).max(9).default(1) },
        indexes: [{ columns: ['level', 'name'] }],
      }),
    ],
  ],
  'copy_on_change: unique, model checks edited, foreign key added': () => {
    const cat = (p: string) =>
      defineModel({ table: t(p, 'cat'), multiTenant: false, softDelete: false, fields: { n: z.int().min(0).max(9) } })
    return [
      (p) => [
        cat(p),
        defineModel({
          table: t(p, 'coc'),
          temporal: 'copy_on_change',
          fields: { a: z.int().min(0).max(99) },
          checks: ['a >= 0'],
        }),
      ],
      (p) => {
        const c = cat(p)
        return [
          c,
          defineModel({
            table: t(p, 'coc'),
            temporal: 'copy_on_change',
            fields: {
              a: z.int().min(0).max(99),
              email: field(z.string().max(80).optional(), { unique: true }),
              cat: field(z.uuid().nullable(), { references: { model: () => c }, onDelete: 'SET NULL' }),
            },
            checks: ['a >= 1', 'a < 100'],
          }),
        ]
      },
    ]
  },
  'scd2: field with default added, nullability tightened, index': () => [
    (p) => [
      defineModel({
        table: t(p, 'ver'),
        temporal: 'scd2',
        fields: { title: z.string().max(20), note: z.string().max(10).nullable() },
      }),
    ],
    (p) => [
      defineModel({
        table: t(p, 'ver'),
        temporal: 'scd2',
        fields: {
          title: z.string().max(20),
          note: z.string().max(10).nullable(),
          priority: z.int().min(0).max(9).default(3),
        },
      }),
    ],
    (p) => [
      defineModel({
        table: t(p, 'ver'),
        temporal: 'scd2',
        fields: {
          title: field(z.string().max(20), { index: true }),
          note: z.string().max(10).default('n'),
          priority: z.int().min(0).max(9).default(3),
        },
      }),
    ],
  ],
  'nullable SET NULL key made required CASCADE': () => {
    const parent = (p: string) =>
      defineModel({ table: t(p, 'par'), multiTenant: false, softDelete: false, fields: { n: z.int().min(0).max(9) } })
    const child = (p: string, required: boolean) => {
      const P = parent(p)
      return [
        P,
        defineModel({
          table: t(p, 'chi'),
          multiTenant: false,
          fields: {
            p: required
              ? field(z.uuid(), { references: { model: () => P }, onDelete: 'CASCADE' })
              : field(z.uuid().nullable(), { references: { model: () => P }, onDelete: 'SET NULL' }),
          },
        }),
      ]
    }
    return [(p) => child(p, false), (p) => child(p, true)]
  },
  'softDelete switched off with uniques': () => [
    (p) => [defineModel({ table: t(p, 'soft'), fields: { code: field(z.string().max(10), { unique: true }) } })],
    (p) => [
      defineModel({
        table: t(p, 'soft'),
        softDelete: false,
        fields: { code: field(z.string().max(10), { unique: true }) },
      }),
    ],
  ],
  'foreign-key columns widened on both sides': () => {
    const pair = (p: string, n: number) => [
      defineModel({
        table: t(p, 'kp'),
        multiTenant: false,
        softDelete: false,
        fields: { code: field(z.string().max(n), { unique: true }) },
      }),
      defineModel({
        table: t(p, 'kc'),
        multiTenant: false,
        softDelete: false,
        fields: { code: field(z.string().max(n), { references: `${t(p, 'kp')}.code` }) },
      }),
    ]
    return [(p) => pair(p, 2), (p) => pair(p, 3), (p) => pair(p, 8)]
  },
  'indexes: add, extend, make unique, field checks edited': () => {
    const m = (p: string, v: number) =>
      defineModel({
        table: t(p, 'idx'),
        multiTenant: false,
        fields: {
          a: field(z.int().min(0).max(99), { check: v < 2 ? 'a >= 0' : 'a >= 0 AND a < 90' }),
          b: z.string().max(10),
        },
        indexes: v === 0 ? [] : [{ columns: v === 1 ? ['a'] : ['a', 'b'], name: `${t(p, 'idx')}_ab`, unique: v >= 3 }],
      })
    return [0, 1, 2, 3].map((v) => (p: string) => [m(p, v)])
  },
  'types and defaults: int → bigint, varchar → text, decimal widened, defaults changed': () => [
    (p) => [
      defineModel({
        table: t(p, 'typ'),
        multiTenant: false,
        fields: {
          n: z.int().min(0).max(1000),
          s: z.string().max(10).default('a'),
          d: field(z.string(), { precision: 8, scale: 2 }),
          o: z.string().max(5).nullable(),
        },
      }),
    ],
    (p) => [
      defineModel({
        table: t(p, 'typ'),
        multiTenant: false,
        fields: {
          n: z.bigint(),
          s: z.string().default('b'),
          d: field(z.string(), { precision: 12, scale: 4 }),
          o: z.string().max(5).default('x'),
        },
      }),
    ],
  ],
  'strategy switch copy_on_change → scd2 on an empty table': () => [
    (p) => [defineModel({ table: t(p, 'sw'), temporal: 'copy_on_change', fields: { title: z.string().max(20) } })],
    (p) => [defineModel({ table: t(p, 'sw'), temporal: 'scd2', fields: { title: z.string().max(20) } })],
  ],
  'enum values added and a partial or plain index on them': (pg) => [
    (p) => [defineModel({ table: t(p, 'en'), fields: { status: z.enum(['a', 'b']).default('a') } })],
    (p) => [
      defineModel({
        table: t(p, 'en'),
        fields: {
          status: field(z.enum(['a', 'b', "c'd"]).default('a'), { index: pg ? { where: "status <> 'a'" } : true }),
        },
      }),
    ],
  ],
}

async function dump(db: Database, prefix: string): Promise<string[]> {
  const like = `${prefix}\\_%`
  const lines: string[] = []
  if (db.dialect.family === 'postgres') {
    const rows = await db.query<{ l: string }>(sql`
      select c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || case when a.attgenerated <> '' then ' generated' else '' end
             || case when a.attidentity <> '' then ' identity' else '' end as l
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where n.nspname = current_schema() and c.relkind = 'r' and c.relname like ${like}
      union all
      select c.relname || ' constraint ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
        from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relname like ${like}
      union all
      select pg_get_indexdef(i.indexrelid)
        from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relname like ${like}`)
    lines.push(...rows.map((r) => r.l))
  } else {
    const tables = await db.query<{ n: string }>(
      sql`select table_name as n from information_schema.tables where table_schema = database() and table_name like ${like}`,
    )
    for (const { n } of tables) {
      const [row] = await db.query<Record<string, string>>(sql`show create table ${sql.id(n)}`)
      const text = String(row!['Create Table'])
      for (const line of text.split('\n')) {
        lines.push(
          `${n}: ${line
            .trim()
            .replace(/,$/, '')
            .replace(/ AUTO_INCREMENT=\d+/, '')}`,
        )
      }
    }
  }
  return lines.map((l) => l.replaceAll(prefix, 'P')).sort()
}

describeEngines('schema sync oracle: step by step equals straight to the last version', (ctx) => {
  const pg = ctx.family === 'postgres'
  const entries = Object.entries(SEQUENCES)
  it('has at least 8 evolution sequences', () => expect(entries.length).toBeGreaterThanOrEqual(8))
  for (const [i, [title, sequence]] of entries.entries()) {
    it(title, async () => {
      const versions = sequence(pg)
      const manager = new SchemaManager(ctx.db)
      const step = `o${i}s`
      const straight = `o${i}l`
      for (const v of versions) await manager.sync(v(step), { allowDestructive: true })
      const last = versions.at(-1)!
      await manager.sync(last(straight), { allowDestructive: true })
      expect((await manager.plan(last(step))).changes.map((c) => c.description)).toEqual([])
      expect((await manager.plan(last(straight))).changes.map((c) => c.description)).toEqual([])
      const a = await dump(ctx.db, step)
      expect(a.length).toBeGreaterThan(3)
      expect(a).toEqual(await dump(ctx.db, straight))
    })
  }
})
