import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineModel, field, type ModelInput, type ModelPatch, type ModelRecord } from '../../src/index.js'

const User = defineModel({
  table: 'users',
  temporal: 'copy_on_change',
  fields: {
    email: field(z.email().max(255), { unique: true, index: true }),
    name: z.string().max(255),
    age: z.int().min(0).max(150),
    role: field(z.string().max(50).default('user'), { index: true }),
    nickname: z.string().optional(),
    bio: z.string().nullable(),
    score: field(z.int(), { sqlDefault: '0' }),
    price: field(z.string(), { precision: 10, scale: 2 }),
    tags: z.array(z.string()),
    meta: z.object({ theme: z.enum(['dark', 'light']) }),
  },
})

const Contract = defineModel({
  table: 'contracts',
  temporal: 'scd2',
  tenantField: 'orgId',
  fields: { title: z.string() },
})

const Lookup = defineModel({
  table: 'countries',
  multiTenant: false,
  softDelete: false,
  fields: { code: z.string().length(2) },
})

describe('ModelRecord', () => {
  it('has user fields with Zod output types and the injected system fields', () => {
    type U = ModelRecord<typeof User>
    expectTypeOf<U['email']>().toEqualTypeOf<string>()
    expectTypeOf<U['age']>().toEqualTypeOf<number>()
    expectTypeOf<U['role']>().toEqualTypeOf<string>()
    expectTypeOf<U['nickname']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<U['bio']>().toEqualTypeOf<string | null>()
    expectTypeOf<U['tags']>().toEqualTypeOf<string[]>()
    expectTypeOf<U['meta']>().toEqualTypeOf<{ theme: 'dark' | 'light' }>()
    expectTypeOf<U['id']>().toEqualTypeOf<string>()
    expectTypeOf<U['tenantId']>().toEqualTypeOf<string>()
    expectTypeOf<U['createdAt']>().toEqualTypeOf<Date>()
    expectTypeOf<U['deletedAt']>().toEqualTypeOf<Date | null>()
    expectTypeOf<U>().not.toHaveProperty('version')
  })

  it('adds version and validity on scd2, and honours tenantField', () => {
    type C = ModelRecord<typeof Contract>
    expectTypeOf<C['version']>().toEqualTypeOf<number>()
    expectTypeOf<C['validFrom']>().toEqualTypeOf<Date>()
    expectTypeOf<C['validTo']>().toEqualTypeOf<Date | null>()
    expectTypeOf<C['orgId']>().toEqualTypeOf<string>()
    expectTypeOf<C['deletedAt']>().toEqualTypeOf<Date | null>()
    expectTypeOf<C>().not.toHaveProperty('tenantId')
  })

  it('drops the tenant and soft-delete fields when they are turned off', () => {
    type L = ModelRecord<typeof Lookup>
    expectTypeOf<L>().not.toHaveProperty('tenantId')
    expectTypeOf<L>().not.toHaveProperty('deletedAt')
    expectTypeOf<L['code']>().toEqualTypeOf<string>()
  })
})

describe('ModelInput and ModelPatch', () => {
  it('requires plain fields and makes optional, defaulted and SQL-defaulted ones optional', () => {
    type I = ModelInput<typeof User>
    expectTypeOf<I['email']>().toEqualTypeOf<string>()
    expectTypeOf<{
      email: string
      name: string
      age: number
      bio: null
      price: string
      tags: string[]
      meta: { theme: 'dark' }
    }>().toExtend<I>()
    expectTypeOf<{ email: string }>().not.toExtend<I>()
    expectTypeOf<I>().toHaveProperty('role')
    expectTypeOf<Pick<I, 'role' | 'nickname' | 'score' | 'tenantId'>>().toEqualTypeOf<{
      role?: string | undefined
      nickname?: string | undefined
      score?: number | undefined
      tenantId?: string | undefined
    }>()
    expectTypeOf<I>().not.toHaveProperty('id')
    expectTypeOf<I>().not.toHaveProperty('createdAt')
  })

  it('patches are partial and exclude system fields', () => {
    type P = ModelPatch<typeof User>
    expectTypeOf<{}>().toExtend<P>()
    expectTypeOf<{ age: number }>().toExtend<P>()
    expectTypeOf<P>().not.toHaveProperty('id')
    expectTypeOf<P>().not.toHaveProperty('tenantId')
  })
})

describe('misspelled options', () => {
  it('do not compile: model options, field options and index options', () => {
    // @ts-expect-error temporl is not a model option
    defineModel({ table: 'typo_a', temporl: 'scd2', fields: { name: z.string() } })
    // @ts-expect-error uniqe is not a field option
    defineModel({ table: 'typo_b', fields: { email: field(z.string(), { uniqe: true }) } })
    expectTypeOf(defineModel({ table: 'typo_c', temporal: 'scd2', fields: { name: z.string() } })).not.toBeNever()
  })
})
