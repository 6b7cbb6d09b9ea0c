import { z } from 'zod'
import { defineModel, field } from '../../src/index.js'

export const T1 = '00000000-0000-4000-8000-000000000001'
export const T2 = '00000000-0000-4000-8000-000000000002'
export const T3 = '00000000-0000-4000-8000-000000000003'
export const U1 = '00000000-0000-4000-8000-0000000000a1'
export const U2 = '00000000-0000-4000-8000-0000000000a2'
export const MISSING = '00000000-0000-4000-8000-00000000ffff'

const fields = {
  email: field(z.email().max(255), { unique: true }),
  name: z.string().max(100),
  age: z.int().min(0).max(150),
  role: field(z.string().max(20).default('user'), { index: true }),
  price: field(z.string(), { precision: 10, scale: 2 }),
  meta: z
    .object({ theme: z.string(), flags: z.array(z.string()).optional() })
    .nullable()
    .default(null),
  birthday: z.date().optional(),
  score: z.number().optional(),
}

export const Plain = defineModel({ table: 'plain_users', temporal: 'none', fields })
export const Audited = defineModel({ table: 'audited_users', temporal: 'copy_on_change', fields })
export const Versioned = defineModel({ table: 'versioned_users', temporal: 'scd2', fields })
export const HardAudited = defineModel({
  table: 'hard_audited',
  temporal: 'copy_on_change',
  softDelete: false,
  fields: { name: z.string().max(100), amount: field(z.string(), { precision: 12, scale: 4 }) },
})
export const Global = defineModel({
  table: 'countries',
  multiTenant: false,
  softDelete: false,
  fields: { code: field(z.string().length(2), { unique: true }), name: z.string().max(100) },
})

export const ALL_STRATEGIES = [Plain, Audited, Versioned] as const

export const sample = (n: number, extra: Record<string, unknown> = {}) => ({
  email: `user${n}@example.com`,
  name: `User ${n}`,
  age: 20 + (n % 50),
  price: `${n}.5`,
  ...extra,
})

export const pause = (ms = 3) => new Promise((r) => setTimeout(r, ms))
