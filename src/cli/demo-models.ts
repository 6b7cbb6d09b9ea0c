import { z } from 'zod'
import { defineModel, field } from '../index.js'

/** The models of the tour: one per temporal strategy. */
export function demoModels(prefix = 'demo_') {
  const Country = defineModel({
    table: `${prefix}countries`,
    temporal: 'none',
    multiTenant: false,
    softDelete: false,
    fields: { code: field(z.string().length(2), { unique: true }), name: z.string().max(100) },
  })
  const Customer = defineModel({
    table: `${prefix}customers`,
    temporal: 'copy_on_change',
    fields: {
      email: field(z.email().max(255), { unique: true }),
      name: z.string().max(100),
      tier: field(z.enum(['free', 'pro', 'enterprise']).default('free'), { index: true }),
      creditLimit: field(z.string(), { precision: 12, scale: 2 }),
      country: field(z.uuid().nullable(), { references: { model: () => Country } }),
      preferences: z
        .object({ newsletter: z.boolean(), language: z.string() })
        .default({ newsletter: false, language: 'en' }),
    },
  })
  const Contract = defineModel({
    table: `${prefix}contracts`,
    temporal: 'scd2',
    fields: {
      title: z.string().max(200),
      customerId: field(z.uuid(), { references: { model: () => Customer }, onDelete: 'RESTRICT' }),
      monthlyFee: field(z.string(), { precision: 10, scale: 2 }),
      terms: z.object({ noticeDays: z.int(), autoRenew: z.boolean() }),
    },
  })
  return { Country, Customer, Contract }
}
