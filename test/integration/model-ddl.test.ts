import { beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { CheckViolationError, defineModel, field, sql, UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { createTables } from '../helpers/models.js'

const Category = defineModel({
  table: 'categories',
  multiTenant: false,
  softDelete: false,
  fields: { name: z.string().max(100) },
})

/** Every field option at least once, reserved words as names, quotes in defaults and checks. */
const Everything = defineModel({
  table: 'order',
  temporal: 'copy_on_change',
  fields: {
    email: field(z.email().max(255), { unique: true, index: true }),
    limit: field(z.int().min(0).max(1000), { check: '"limit" >= 0', index: { name: 'order_limit_custom' } }),
    user: field(z.string().max(50).default('it\'s "quoted"'), { column: 'user_name' }),
    categoryId: field(z.uuid().nullable(), {
      references: { model: () => Category },
      onDelete: 'SET NULL',
      onUpdate: 'CASCADE',
    }),
    parentCategory: field(z.uuid().optional(), { references: 'categories.id', onDelete: 'CASCADE' }),
    price: field(z.string(), { precision: 10, scale: 2 }),
    small: field(z.int(), { type: 'smallint', sqlDefault: '7' }),
    status: z.enum(['active', 'blocked']).default('active'),
    flag: z.boolean().default(false),
    meta: z.object({ a: z.number() }).nullable(),
    at: z.date().optional(),
  },
  indexes: [{ columns: ['status', 'createdAt'] }],
  checks: ['"limit" < 1000'],
})

const History = defineModel({ table: 'select', temporal: 'scd2', fields: { title: z.string().max(20) } })

describeEngines('model DDL reaches the database', (ctx) => {
  const pg = ctx.family === 'postgres'
  beforeAll(() => createTables(ctx.db, [Category, Everything, History]))

  const columns = async (table: string) => {
    const rows = await ctx.db.query<{ name: string; type: string; nullable: string; dflt: string | null }>(
      pg
        ? sql`select column_name as name, format_type(a.atttypid, a.atttypmod) as type, is_nullable as nullable, column_default as dflt
              from information_schema.columns c join pg_attribute a on a.attrelid = (quote_ident(c.table_name))::regclass and a.attname = c.column_name
              where c.table_schema = current_schema() and c.table_name = ${table} order by c.ordinal_position`
        : sql`select column_name as name, column_type as type, is_nullable as nullable, column_default as dflt
              from information_schema.columns where table_schema = database() and table_name = ${table} order by ordinal_position`,
    )
    return Object.fromEntries(rows.map((r) => [r.name, r]))
  }

  it('creates the columns with their types, nullability and defaults', async () => {
    const cols = await columns('order')
    expect(cols.email).toMatchObject({ type: pg ? 'character varying(255)' : 'varchar(255)', nullable: 'NO' })
    expect(cols.user_name!.dflt).toContain(pg ? `'it''s "quoted"'` : `it''s "quoted"`)
    expect(cols.small).toMatchObject({ type: expect.stringMatching(/^smallint/), dflt: '7' })
    expect(cols.price!.type).toBe(pg ? 'numeric(10,2)' : 'decimal(10,2)')
    expect(cols.category_id!.nullable).toBe('YES')
    expect(cols.parent_category!.nullable).toBe('YES')
    expect(cols.meta!.type).toBe(pg ? 'jsonb' : 'longtext')
    expect(cols.tenant_id!.nullable).toBe('NO')
    expect(cols.flag!.dflt).toMatch(pg ? /^false$/ : /^0$/)
    expect(cols.created_at!.type).toBe(pg ? 'timestamp(3) with time zone' : 'datetime(3)')
  })

  it('creates primary keys, foreign keys with their actions, and the audit table', async () => {
    const constraints = await ctx.db.query<{ name: string; type: string; upd: string | null; del: string | null }>(
      sql`select tc.constraint_name as name, tc.constraint_type as type, rc.update_rule as upd, rc.delete_rule as del
          from information_schema.table_constraints tc
          left join information_schema.referential_constraints rc
            on rc.constraint_name = tc.constraint_name and rc.constraint_schema = tc.constraint_schema
          where tc.table_schema = ${pg ? sql`current_schema()` : sql`database()`} and tc.table_name = ${'order'}`,
    )
    const byName = Object.fromEntries(constraints.map((c) => [c.name, c]))
    expect(constraints.some((c) => c.type === 'PRIMARY KEY')).toBe(true)
    expect(byName.order_category_id_fkey).toMatchObject({ type: 'FOREIGN KEY', del: 'SET NULL', upd: 'CASCADE' })
    expect(byName.order_parent_category_fkey).toMatchObject({ type: 'FOREIGN KEY', del: 'CASCADE', upd: 'NO ACTION' })
    const audit = await columns('order_audit')
    expect(Object.keys(audit)).toEqual([
      'audit_id',
      'record_id',
      'tenant_id',
      'field_name',
      'old_value',
      'new_value',
      'operation',
      'changed_at',
      'changed_by',
      'transaction_id',
    ])
    const history = await columns('select_history')
    expect(history.valid_to!.nullable).toBe('NO')
  })

  it('creates every index, unique and partial where the engine has them', async () => {
    const rows = await ctx.db.query<{ name: string; def: string }>(
      pg
        ? sql`select indexname as name, indexdef as def from pg_indexes where schemaname = current_schema() and tablename = ${'order'}`
        : sql`select index_name as name, group_concat(column_name order by seq_in_index) as def
              from information_schema.statistics where table_schema = database() and table_name = ${'order'} group by index_name`,
    )
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.def]))
    expect(Object.keys(byName).sort()).toEqual(
      [
        pg ? 'order_pkey' : 'PRIMARY',
        'order_tenant_id_idx',
        'order_email_key',
        'order_email_idx',
        'order_limit_custom',
        'order_category_id_idx',
        'order_parent_category_idx',
        'order_status_created_at_idx',
      ].sort(),
    )
    if (pg) {
      expect(byName.order_email_key).toMatch(/CREATE UNIQUE INDEX .* \(tenant_id, email\) WHERE \(deleted_at IS NULL\)/)
    } else {
      expect(byName.order_email_key).toBe('tenant_id,email,_ff_alive')
    }
  })

  it('enforces checks, enums and uniqueness among live rows only', async () => {
    const tenant = '00000000-0000-4000-8000-000000000001'
    const insert = (id: string, email: string, limit: number, status = 'active', deleted = false) =>
      ctx.db.execute(
        sql`insert into ${sql.id('order')} (id, tenant_id, email, ${sql.id('limit')}, price, status, deleted_at)
            values (${id}, ${tenant}, ${email}, ${limit}, ${'1.50'}, ${status}, ${deleted ? new Date() : null})`,
      )
    await insert('00000000-0000-4000-8000-0000000000a1', 'a@x.io', 1, 'active', true)
    await insert('00000000-0000-4000-8000-0000000000a2', 'a@x.io', 1) // the deleted row does not count
    await expect(insert('00000000-0000-4000-8000-0000000000a3', 'a@x.io', 1)).rejects.toBeInstanceOf(
      UniqueViolationError,
    )
    await expect(insert('00000000-0000-4000-8000-0000000000a4', 'b@x.io', -1)).rejects.toBeInstanceOf(
      CheckViolationError,
    )
    await expect(insert('00000000-0000-4000-8000-0000000000a5', 'c@x.io', 1000)).rejects.toBeInstanceOf(
      CheckViolationError,
    )
    await expect(insert('00000000-0000-4000-8000-0000000000a6', 'd@x.io', 1, 'nope')).rejects.toBeInstanceOf(
      CheckViolationError,
    )
    const row = await ctx.db.queryOne<{ user_name: string; small: number }>(
      sql`select user_name, small from ${sql.id('order')} where id = ${'00000000-0000-4000-8000-0000000000a2'}`,
    )
    expect(row).toEqual({ user_name: 'it\'s "quoted"', small: 7 })
  })
})

const Methods = defineModel({
  table: 'methods',
  multiTenant: false,
  softDelete: false,
  fields: {
    doc: field(z.object({ k: z.string() }), { index: { method: 'gin' } }),
    code: field(z.string().max(10), { index: { method: 'hash', name: 'methods_code_hash' } }),
    state: field(z.string().max(10), { index: true, indexWhere: "state <> 'done'" }),
    owner: field(z.string().max(10), { unique: true, index: { where: 'owner IS NOT NULL' } }),
  },
})

describeEngines(
  'index methods and predicates reach PostgreSQL',
  (ctx) => {
    beforeAll(() => createTables(ctx.db, [Methods]))

    it('creates gin and hash indexes and partial indexes with their predicates', async () => {
      const rows = await ctx.db.query<{ name: string; def: string }>(
        sql`select indexname as name, indexdef as def from pg_indexes where schemaname = current_schema() and tablename = ${'methods'}`,
      )
      const byName = Object.fromEntries(rows.map((r) => [r.name, r.def]))
      expect(byName.methods_doc_idx).toMatch(/USING gin \(doc\)/)
      expect(byName.methods_code_hash).toMatch(/USING hash \(code\)/)
      expect(byName.methods_state_idx).toMatch(/\(state\) WHERE \(\(state\)::text <> 'done'::text\)/)
      expect(byName.methods_owner_key).toMatch(/UNIQUE INDEX .* \(owner\) WHERE \(owner IS NOT NULL\)/)
      expect(byName.methods_owner_idx).toMatch(/\(owner\) WHERE \(owner IS NOT NULL\)/)
    })
  },
  (id) => id !== 'mariadb',
)
