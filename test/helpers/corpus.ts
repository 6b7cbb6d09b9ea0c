import { z } from 'zod'
import { defineModel, field, type Model } from '../../src/index.js'

/**
 * A model corpus using every type and field option, every strategy, reserved words as names,
 * quotes in defaults and checks, and long names: it must sync from empty to an empty next plan.
 */
export function corpus(family: 'postgres' | 'mysql'): Model[] {
  const pg = family === 'postgres'
  const Category = defineModel({
    table: 'categories',
    multiTenant: false,
    softDelete: false,
    fields: {
      name: field(z.string().max(100), { unique: true }),
      parentId: field(z.uuid().nullable(), { references: 'categories.id', onDelete: 'SET NULL' }),
    },
  })
  const Everything = defineModel({
    table: 'order',
    temporal: 'copy_on_change',
    fields: {
      email: field(z.email().max(255), { unique: true, index: true }),
      limit: field(z.int().min(0).max(1000), {
        check: '"limit" >= 0 AND "limit" <= 1000',
        index: { name: 'order_limit_custom' },
      }),
      user: field(z.string().max(50).default('it\'s "quoted" \\ back'), { column: 'user_name' }),
      categoryId: field(z.uuid().nullable(), {
        references: { model: () => Category },
        onDelete: 'CASCADE',
        onUpdate: 'RESTRICT',
      }),
      otherCategory: field(z.uuid().optional(), {
        references: pg ? 'public.categories(id)' : 'categories(id)',
        onDelete: 'SET NULL',
      }),
      price: field(z.string(), { precision: 10, scale: 2, check: 'price >= 0' }),
      ratio: field(z.number(), { precision: 5, scale: 4 }),
      small: field(z.int(), { type: 'SMALLINT', sqlDefault: '7' }),
      code: field(z.string(), { type: pg ? 'CHAR(3)' : 'char(3)' }),
      big: z.bigint(),
      amount: z.number().default(1.5),
      count: z.int().default(0),
      status: z.enum(['active', 'blocked', "o'k"]).default('active'),
      kind: z.literal('fixed'),
      flag: z.boolean().default(false),
      at: z.date().optional(),
      day: z.iso.date().optional(),
      id2: z.uuid().optional(),
      meta: z.object({ a: z.number() }).default({ a: 1 }),
      tags: z.array(z.string()).default([]),
      scores: z.array(z.number()).optional(),
      flags: z.array(z.boolean()).optional(),
      objects: z.array(z.object({ x: z.int() })).optional(),
      record: z.record(z.string(), z.int()).optional(),
      text: z.string().optional(),
      ...(pg && { doc: field(z.object({ k: z.string() }).optional(), { index: { method: 'gin' } }) }),
      ...(pg && {
        partial: field(z.string().max(20).optional(), {
          index: true,
          indexWhere: '(partial IS NOT NULL OR "limit" > 5) AND count > 0',
        }),
      }),
      ...(pg && { hashed: field(z.string().max(20).optional(), { index: { method: 'hash' } }) }),
    },
    indexes: [
      { columns: ['status', 'createdAt'] },
      { columns: ['limit', 'count'], unique: true, name: 'order_limit_count_key' },
      ...(pg ? [{ columns: ['status'], where: "status <> 'blocked'", name: 'order_open_idx' }] : []),
    ],
    checks: [
      '"limit" < 1000 OR status = \'blocked\'',
      "user_name <> ''",
      // literal forms engines store otherwise (MariaDB: false → 0, NOT flag → flag = 0, X'41' → 'A')
      pg
        ? "flag = false OR flag = TRUE OR NOT flag OR flag IS TRUE OR amount > .5 OR amount <> 1e3 OR amount >= -0.5 OR code <> 'it''s' OR day > DATE '2020-01-01' OR count BETWEEN 1 AND 2 OR text IS NULL"
        : "flag = false OR flag = TRUE OR NOT flag OR flag IS TRUE OR amount > .5 OR amount <> 1e3 OR amount >= -0.5 OR code <> 'it''s' OR code <> 'o\\'k' OR day > DATE '2020-01-01' OR count BETWEEN 1 AND 2 OR code <> X'41' OR code <> 0x42 OR code <> _utf8mb4'z' OR text IS NULL",
    ],
  })
  const History = defineModel({
    table: 'select',
    temporal: 'scd2',
    tenantField: 'orgId',
    fields: {
      title: field(z.string().max(20), { unique: true }),
      order: field(z.uuid().nullable(), { references: { model: () => Everything } }),
    },
  })
  const LongNames = defineModel({
    table: 'a_table_name_that_is_quite_long_for_an_index_0123',
    temporal: 'copy_on_change',
    fields: {
      aFieldNameThatIsAlsoRatherLongToForceShortening: field(z.string().max(10), { unique: true, index: true }),
      anotherFieldNameThatIsAlsoRatherLongForShortening: field(z.string().max(10), { index: true }),
    },
  })
  const Plain = defineModel({
    table: 'limit',
    temporal: 'none',
    multiTenant: false,
    fields: { value: z.string().max(5) },
  })
  // the engine's whole name limit, and audit / history tables named explicitly
  const AtTheLimit = defineModel({
    table: `at_the_limit_${'x'.repeat((pg ? 63 : 64) - 13)}`,
    temporal: 'scd2',
    fields: { code: field(z.string().max(10), { unique: true, index: true, check: "code <> ''" }) },
    checks: ["code <> 'none'"],
  })
  const Named = defineModel({
    table: 'named',
    temporal: 'copy_on_change',
    auditTable: 'named_trail',
    fields: {
      parent: field(z.uuid().nullable(), {
        references: { model: () => Category },
        onDelete: 'RESTRICT',
        onUpdate: 'CASCADE',
      }),
    },
  })
  const NamedHistory = defineModel({
    table: 'named_h',
    temporal: 'scd2',
    historyTable: 'named_h_versions',
    fields: { n: z.int().min(0).max(9).default(0) },
  })
  return [Category, Everything, History, LongNames, Plain, AtTheLimit, Named, NamedHistory]
}
