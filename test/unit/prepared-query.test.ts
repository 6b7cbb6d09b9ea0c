import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Database } from '../../src/db/database.js'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, ValidationError } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import { lateSource, ScopeValue, standsFor } from '../../src/query/late-source.js'
import { prepareScoped } from '../../src/query/prepared.js'
import { createScoped } from '../../src/query/scoped.js'
import { scopedSource, sourceOf, toRawNode } from '../../src/query/source.js'
import { Scope } from '../../src/scope/scope.js'
import type { Statement } from '../../src/sql/statement.js'

const T1 = '00000000-0000-4000-8000-000000000001'
const T2 = '00000000-0000-4000-8000-000000000002'
const AT = new Date('2026-06-01T00:00:00.000Z')
const Customer = defineModel({ table: 'cu', fields: { name: z.string().max(50) } })
const Contract = defineModel({ table: 'ko', temporal: 'scd2', fields: { customerId: z.uuid(), fee: z.int() } })
const Country = defineModel({ table: 'co', multiTenant: false, softDelete: false, fields: { code: z.string().max(2) } })
const MODELS = [Customer, Contract, Country] as const

const SCOPES: { tenantId?: string; tenantIds?: string[]; asOf?: Date; includeDeleted?: boolean }[] = [
  { tenantId: T1 },
  { tenantId: T2 },
  { tenantIds: [T1, T2] },
  { tenantIds: [T2] },
  { tenantId: T1, asOf: AT },
  { tenantIds: [T1, T2], asOf: AT, includeDeleted: true },
  { tenantId: T2, includeDeleted: true },
]

/** A database that records what it is asked to run (no engine). */
function recorder(dialect: Dialect) {
  const sent: Statement[] = []
  // prepared scoped queries are reads: they run through runRead (re-run after a transient failure)
  const db = {
    dialect,
    runRead: async (statement: Statement) => {
      sent.push(statement)
      return { rows: [], affectedRows: 0 }
    },
  } as unknown as Database
  return { db, sent }
}

for (const [family, dialect] of [
  ['postgres', postgresDialect],
  ['mysql', mysqlDialect],
] as const) {
  describe(`prepared scoped queries: SQL and values per call (no database) [${family}]`, () => {
    it('a late source has the text of the scoped source and stands in for exactly its values', () => {
      for (const model of MODELS) {
        const ctx = new ModelContext(model.def, dialect)
        for (const options of SCOPES) {
          const { tenantId, tenantIds } = model.def.multiTenant ? options : {}
          const scope = new Scope(model.def, {
            ...(tenantId !== undefined && { tenantId }),
            ...(tenantIds !== undefined && { tenantIds }),
          })
          const settings = { asOf: options.asOf, includeDeleted: options.includeDeleted === true }
          const real = sourceOf(toRawNode(scopedSource({ ctx, scope }, settings, undefined)))
          const late = lateSource({ ctx, scope }, settings, undefined)!
          expect(late.text, `${model.def.table} ${JSON.stringify(options)}`).toBe(real.text)
          const bound = late.values.map((v) => (v instanceof ScopeValue ? standsFor(v, scope, settings) : v))
          expect(bound).toEqual(real.values)
          if (model.def.multiTenant)
            expect(late.values.filter((v) => v instanceof ScopeValue).length).toBeGreaterThan(0)
        }
      }
    })

    it('each call sends the SQL and values db.scoped compiles for that scope', async () => {
      const { db, sent } = recorder(dialect)
      const q = prepareScoped(db, MODELS, { fee: z.int() }, (s, a) =>
        s
          .selectFrom('ko')
          .innerJoin('cu', 'cu.id', 'ko.customerId')
          .select(['cu.name', 'ko.fee'])
          .where('ko.fee', '>', a.fee)
          .where(({ exists, selectFrom }) => exists(selectFrom('co').select('co.code').where('co.code', '=', 'DE'))),
      )
      // twice through the scopes: the second round runs on the forms compiled in the first
      for (const options of [...SCOPES, ...SCOPES]) {
        const fee = Math.floor(Math.random() * 1000)
        await q.execute(options, { fee })
        const expected = createScoped(db, MODELS, options)
          .selectFrom('ko')
          .innerJoin('cu', 'cu.id', 'ko.customerId')
          .select(['cu.name', 'ko.fee'])
          .where('ko.fee', '>', fee)
          .where(({ exists, selectFrom }) => exists(selectFrom('co').select('co.code').where('co.code', '=', 'DE')))
          .compile()
        const got = sent.at(-1)!
        expect({ options, sql: got.sql, parameters: got.parameters }).toEqual({
          options,
          sql: expected.sql,
          parameters: expected.parameters,
        })
      }
    })

    it('refuses bad scopes and arguments before anything is sent', async () => {
      const { db, sent } = recorder(dialect)
      const q = prepareScoped(db, MODELS, { fee: z.int() }, (s, a) =>
        s.selectFrom('ko').select('id').where('fee', '=', a.fee),
      )
      await expect(q.execute({ tenantId: 'nope' }, { fee: 1 })).rejects.toThrow(ValidationError)
      await expect(q.execute({ tenantId: T1 }, { fee: 1.5 })).rejects.toThrow(ValidationError)
      await expect(q.execute({ tenantId: T1 }, { fee: 1, more: 2 } as never)).rejects.toThrow(/Unrecognized key/)
      expect(sent).toEqual([])
      // what the quick read of the usual call must leave to the full read (which refuses it)
      const getter = Object.defineProperty({}, 'fee', { get: () => 1, enumerable: true })
      const hidden = Object.defineProperty({ other: 1 }, 'fee', { value: 1, enumerable: false })
      for (const args of [getter, hidden, { feee: 1 }, Object.create({ fee: 1 }), JSON.parse('{"__proto__": 1}')]) {
        await expect(q.execute({ tenantId: T1 }, args), JSON.stringify(args)).rejects.toThrow(ValidationError)
      }
      expect(sent).toEqual([])
      // an argument schema that yields something other than one value is refused per call
      const objects = prepareScoped(db, MODELS, { fee: z.any() }, (s, a) =>
        s.selectFrom('ko').select('id').where('fee', '=', a.fee),
      )
      await expect(objects.execute({ tenantId: T1 }, { fee: { toString: 1 } })).rejects.toThrow(/must be one value/)
      await expect(objects.execute({ tenantId: T1 }, { fee: [1, 2] })).rejects.toThrow(/must be one value/)
      expect(sent).toEqual([])
    })

    it('a scope read before is not taken from a getter, a prototype or extra keys', async () => {
      const { db, sent } = recorder(dialect)
      const q = prepareScoped(db, MODELS, {}, (s) => s.selectFrom('cu').select('name'))
      await q.execute({ tenantId: T1 })
      expect(sent).toHaveLength(1)
      const getter = Object.defineProperty({}, 'tenantId', { get: () => T1, enumerable: true })
      await expect(q.execute(getter)).rejects.toThrow(/getter/)
      await expect(q.execute(Object.create({ tenantId: T1 }))).rejects.toThrow(/tenantId/)
      await expect(q.execute({ tenantId: T1, includeDeleted: 'yes' } as never)).rejects.toThrow(ValidationError)
      await expect(q.execute({ tenantId: T1, other: 1 } as never)).rejects.toThrow(/unknown option/)
      expect(sent).toHaveLength(1)
      // the same tenant in upper case is the same tenant (normalized like db.scoped)
      const lettered = 'abcdef00-0000-4000-8000-0000000000ff'
      await q.execute({ tenantId: lettered.toUpperCase() })
      expect(sent.at(-1)!.parameters).toEqual([lettered])
    })
  })
}
