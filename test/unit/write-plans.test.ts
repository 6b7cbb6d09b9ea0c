import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mariadbDialect, mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, field } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import type { FieldDef, Model } from '../../src/model/define-model.js'
import { Scope } from '../../src/scope/scope.js'
import { q } from '../../src/sql/fragment.js'
import { type Plan, replay } from '../../src/sql/plan.js'
import { isGuarded, type Statement, type StatementResult } from '../../src/sql/statement.js'
import { AUDIT_PLACEHOLDERS, auditInserts } from '../../src/temporal/audit-rows.js'
import { kitFor } from '../../src/temporal/common.js'
import { writePlans } from '../../src/temporal/plans.js'
import { type ChangeRequest, NOW, type Row } from '../../src/temporal/requests.js'
import { SET_BATCH } from '../../src/temporal/set-change.js'

/**
 * Every write plan of every strategy, driven without a database: canned rows in, the statements it
 * yields (SQL pinned per engine family) and the result it maps them to out.
 */

const T = '00000000-0000-4000-8000-000000000001'
const U = '00000000-0000-4000-8000-0000000000a1'
const R = '00000000-0000-4000-8000-0000000000b1'
const R2 = '00000000-0000-4000-8000-0000000000b2'
const TX = '00000000-0000-4000-8000-0000000000c1'

const fields = { name: z.string().max(50), price: field(z.string(), { precision: 8, scale: 2 }) }
const STRATEGIES = ['none', 'copy_on_change', 'scd2'] as const
const model = (temporal: (typeof STRATEGIES)[number], softDelete = true): Model =>
  defineModel({ table: `w_${temporal}${softDelete ? '' : '_hard'}`, temporal, softDelete, fields }) as unknown as Model
const DIALECTS: [string, Dialect][] = [
  ['postgres', postgresDialect],
  ['mysql', mysqlDialect],
]

const NOW_AT = new Date('2026-01-01T00:00:00.000Z')
const EARLIER = new Date('2025-12-31T00:00:00.000Z')

/** A stored row of the model as the driver returns it (column names), with `ff_now` for MySQL locks. */
function stored(m: Model, values: Record<string, unknown> = {}): Row {
  const row: Row = Object.fromEntries(m.def.fields.map((f) => [f.column, null]))
  return Object.assign(row, {
    id: R,
    tenant_id: T,
    name: 'x',
    price: '1.00',
    created_at: EARLIER,
    updated_at: EARLIER,
    created_by: U,
    updated_by: U,
    ...(m.def.temporal === 'scd2' && { version: 1, valid_from: EARLIER }),
    ff_now: NOW_AT,
    ...values,
  })
}

/** Drive a plan: `answers[i]` answers the i-th statement, the last one every later statement. */
function drive<R>(p: Plan<R>, ...answers: (Row[] | StatementResult)[]) {
  return replay(p, (_s, i) => answers[Math.min(i, answers.length - 1)] ?? [])
}

const sqlOf = (statements: readonly Statement[]) => statements.map((s) => s.sql)

function setup(m: Model, dialect: Dialect) {
  const ctx = new ModelContext(m.def, dialect)
  const scope = new Scope(m.def, { tenantId: T })
  const f = (name: string) => m.def.byName.get(name)!
  const s = m.def.system
  const rename = (to = 'y'): ChangeRequest => ({
    id: R,
    filter: 'live',
    set: new Map([[f('name'), to]]),
    operation: 'UPDATE',
    audited: [f('name')],
    actor: U,
    transactionId: TX,
  })
  const softDelete: ChangeRequest = {
    ...rename(),
    set: new Map<FieldDef, unknown>([
      [s.deletedAt!, NOW],
      [s.deletedBy!, U],
    ]),
    operation: 'DELETE',
    audited: [s.deletedAt!],
  }
  const restore: ChangeRequest = {
    ...softDelete,
    filter: 'deleted',
    set: new Map<FieldDef, unknown>([
      [s.deletedAt!, null],
      [s.deletedBy!, null],
    ]),
    operation: 'RESTORE',
  }
  const row = new Map<FieldDef, unknown>([
    [s.id!, R],
    [s.tenant!, T],
    [f('name'), 'x'],
    [f('price'), '1.00'],
  ])
  return { ctx, scope, plans: writePlans(ctx), rename, softDelete, restore, row, f }
}

/** Placeholders agree with parameters (PostgreSQL numbers them, MySQL counts `?`). */
function expectBound(statements: readonly Statement[], dialect: Dialect) {
  for (const st of statements) {
    const marks =
      dialect === postgresDialect ? new Set(st.sql.match(/\$\d+/g)).size : (st.sql.match(/\?/g)?.length ?? 0)
    expect(marks).toBe(st.parameters.length)
  }
}

for (const strategy of STRATEGIES) {
  for (const [family, dialect] of DIALECTS) {
    const m = model(strategy)
    const cte = dialect.capabilities.returning
    describe(`${strategy} on ${family}`, () => {
      it('insert: one row, then many', () => {
        const { plans, row } = setup(m, dialect)
        const one = drive(plans.insert({ rows: [row], actor: U, transactionId: TX }), [stored(m)])
        expect(one.result.count).toBe(1)
        if (cte) expect(one.result.rows).toEqual([stored(m)])
        else expect(one.result.records?.[0]).toMatchObject({ id: R, name: 'x', price: '1.00' })
        const second = new Map(row).set(m.def.system.id!, R2)
        const many = drive(plans.insert({ rows: [row, second], actor: U, transactionId: TX }), [
          { n: 2, ts: NOW_AT, created_at: NOW_AT },
        ])
        // many rows that read back as bound are written out, stamped with the database's time
        expect(many.result.records?.map((r) => [r.id, r.createdAt, r.updatedBy])).toEqual([
          [R, NOW_AT, U],
          [R2, NOW_AT, U],
        ])
        const count = drive(plans.insert({ rows: [row, second], actor: U, transactionId: TX, returning: false }), {
          rows: [{ n: 2, ts: NOW_AT, created_at: NOW_AT }],
          affectedRows: 2,
        })
        expect(count.result.count).toBe(2)
        expect(one.statements.every((st) => !st.sql.includes('undefined'))).toBe(true)
        expectBound([...one.statements, ...many.statements], dialect)
        expect(sqlOf([...one.statements, ...many.statements, ...count.statements])).toMatchSnapshot()
        // one row: compiled once per shape, the same text for another row of the same shape
        const again = drive(plans.insert({ rows: [second], actor: U, transactionId: TX }), [stored(m, { id: R2 })])
        expect(again.statements[0]!.sql).toBe(one.statements[0]!.sql)
      })

      it('change: missing, unchanged, changed', () => {
        const { plans, scope, rename, ctx } = setup(m, dialect)
        // nothing locked: missing, and nothing else sent
        const missing = drive(plans.change(scope, rename()), [])
        expect(missing.result).toEqual({ state: 'missing' })
        expect(missing.statements).toHaveLength(1)
        expect(missing.statements[0]!.sql).toMatch(/FOR UPDATE/)
        if (cte) {
          const unchanged = drive(plans.change(scope, rename()), [[{ ff_state: 'u', ...stored(m) }]].flat())
          expect(unchanged.result.state).toBe('unchanged')
          const changed = drive(plans.change(scope, rename()), [{ ff_state: 'c', ...stored(m, { name: 'y' }) }])
          expect(changed.result).toMatchObject({ state: 'changed', row: { name: 'y' } })
          expect(changed.statements).toHaveLength(1)
          expect(sqlOf(changed.statements)).toMatchSnapshot()
          // the same shape again: the same text, only the values bound anew
          const other = drive(plans.change(scope, rename('z')), [])
          expect(other.statements[0]!.sql).toBe(changed.statements[0]!.sql)
          expect(other.statements[0]!.parameters).toContain('z')
          // compiled once for the shape: one prepared statement for the four calls
          expect(kitFor(ctx).changes.size).toBe(1)
          expectBound(changed.statements, dialect)
          return
        }
        // values equal to the locked row: unchanged, nothing written
        const unchanged = drive(plans.change(scope, rename('x')), [stored(m)])
        expect(unchanged.result.state).toBe('unchanged')
        expect(unchanged.statements).toHaveLength(1)
        const changed = drive(plans.change(scope, rename()), [stored(m)], [])
        expect(changed.result.state).toBe('changed')
        const row = changed.result.state === 'changed' ? changed.result.row : {}
        // the row written out from the lock: the clock of the lock, the new value, no ff_now
        expect(row).toMatchObject({ name: 'y', updated_at: NOW_AT, updated_by: U })
        expect(row).not.toHaveProperty('ff_now')
        if (strategy === 'scd2') expect(row).toMatchObject({ version: 2, valid_from: NOW_AT })
        const expected = { none: 2, copy_on_change: 3, scd2: 3 }[strategy] // lock, [history], update, [audit]
        expect(changed.statements).toHaveLength(expected)
        expectBound(changed.statements, dialect)
        expect(sqlOf(changed.statements)).toMatchSnapshot()
      })

      it('change: the state is read from the lock (delete of a deleted row, restore of a live one)', () => {
        const { plans, scope, softDelete, restore } = setup(m, dialect)
        if (cte) {
          // 'x': the locked row is not in the state the change needs
          expect(drive(plans.change(scope, softDelete), [{ ff_state: 'x', ...stored(m) }]).result).toEqual({
            state: 'missing',
          })
          expect(drive(plans.change(scope, restore), [{ ff_state: 'x', ...stored(m) }]).result.state).toBe('unchanged')
          const sql = drive(plans.change(scope, restore), []).statements[0]!.sql
          expect(sql).toContain(`CASE WHEN "old"."deleted_at" IS NOT NULL THEN 'u' ELSE 'x' END`)
          return
        }
        const deleted = stored(m, { deleted_at: EARLIER, deleted_by: U })
        const again = drive(plans.change(scope, softDelete), [deleted])
        expect(again.result).toEqual({ state: 'missing' })
        expect(again.statements).toHaveLength(1)
        const live = drive(plans.change(scope, restore), [stored(m)])
        expect(live.result.state).toBe('unchanged')
        expect(live.statements).toHaveLength(1)
        // the timestamp of a delete never runs before the row's last change
        const later = new Date(NOW_AT.getTime() + 60_000)
        const del = drive(plans.change(scope, softDelete), [stored(m, { updated_at: later, valid_from: later })], [])
        const at = del.result.state === 'changed' ? del.result.row.deleted_at : undefined
        expect(at).toEqual(strategy === 'scd2' ? new Date(later.getTime() + 1) : later)
      })

      if (strategy === 'scd2') {
        it('change: expectedVersion other than the locked version writes nothing', () => {
          const { plans, scope, rename } = setup(m, dialect)
          const request = { ...rename(), expectedVersion: 3 }
          if (cte) {
            const sql = drive(plans.change(scope, request), []).statements[0]!.sql
            expect(sql).toMatch(/old\."version" = \$\d+/)
            return
          }
          const result = drive(plans.change(scope, request), [stored(m, { version: 2 })])
          expect(result.result.state).toBe('unchanged')
          expect(result.statements).toHaveLength(1)
        })
      }

      it('hardDelete (no soft delete): false when nothing is locked, true with the audit entries', () => {
        const hard = model(strategy, false)
        const { plans, scope } = setup(hard, dialect)
        const req = { actor: U, transactionId: TX }
        if (cte) {
          expect(drive(plans.hardDelete(scope, R, req), [{ n: 0 }]).result).toBe(false)
          const yes = drive(plans.hardDelete(scope, R, req), [{ n: 1 }])
          expect(yes.result).toBe(true)
          expect(yes.statements).toHaveLength(1)
          expect(yes.statements[0]!.sql.includes('aud AS')).toBe(strategy === 'copy_on_change')
          expect(sqlOf(yes.statements)).toMatchSnapshot()
          return
        }
        const no = drive(plans.hardDelete(scope, R, req), [])
        expect(no.result).toBe(false)
        expect(no.statements).toHaveLength(1)
        const yes = drive(plans.hardDelete(scope, R, req), [stored(hard)], [])
        expect(yes.result).toBe(true)
        expect(yes.statements).toHaveLength(strategy === 'copy_on_change' ? 3 : 2)
        expectBound(yes.statements, dialect)
        expect(sqlOf(yes.statements)).toMatchSnapshot()
      })

      it('purge: locks first, then removes the trail and the row', () => {
        const { plans, scope } = setup(m, dialect)
        const trail = strategy !== 'none'
        const no = drive(plans.purge(scope, R), [], [])
        expect(no.result).toBe(false)
        if (cte && !trail) {
          // no trail: one DELETE, false when it deleted nothing
          expect(no.statements).toHaveLength(1)
          expect(drive(plans.purge(scope, R), [{}]).result).toBe(true)
          return
        }
        expect(no.statements).toHaveLength(1)
        expect(no.statements[0]!.sql).toMatch(/FOR UPDATE$/)
        const yes = drive(plans.purge(scope, R), [{ id: R }], [])
        expect(yes.result).toBe(true)
        expect(yes.statements).toHaveLength(cte ? 2 : trail ? 3 : 2)
        expect(plans.purge(scope, R).mode).toBe('transaction')
        expect(sqlOf(yes.statements)).toMatchSnapshot()
      })

      it('changeMany: the matched rows that differ, counted', () => {
        const { plans, scope, f } = setup(m, dialect)
        const request = {
          where: [q`r.name = ${'x'}`],
          filter: 'live' as const,
          set: new Map([[f('name'), 'y']]),
          operation: 'UPDATE' as const,
          audited: [f('name')],
          actor: U,
          transactionId: TX,
        }
        if (cte) {
          const result = drive(plans.changeMany(scope, request), [{ n: 3 }])
          expect(result.result).toBe(3)
          expect(result.statements[0]!.sql).toContain(`AND ("r"."deleted_at" IS NULL)`)
          expect(sqlOf(result.statements)).toMatchSnapshot()
          return
        }
        // one batch: one row already has the value, one differs
        const batch = [stored(m, { name: 'y' }), stored(m, { id: R2 })]
        const result = drive(plans.changeMany(scope, request), batch, [])
        expect(result.result).toBe(1)
        const update = result.statements.find((st) => st.sql.startsWith('UPDATE'))!
        expect(update.parameters.at(-1)).toBe(R2)
        expect(result.statements[0]!.sql).toContain('LIMIT ? FOR UPDATE')
        expect(result.statements[0]!.parameters.at(-1)).toBe(SET_BATCH)
        expectBound(result.statements, dialect)
        expect(sqlOf(result.statements)).toMatchSnapshot()
        // a full batch asks for the next one after its last id
        const full = Array.from({ length: SET_BATCH }, () => stored(m, { name: 'y' }))
        const two = drive(plans.changeMany(scope, request), full, [])
        expect(two.result).toBe(0)
        expect(two.statements).toHaveLength(2)
        expect(two.statements[1]!.sql).toContain('r.`id` > ?')
      })

      it('deleteMany (no soft delete): deleted rows counted, audited on copy_on_change', () => {
        const hard = model(strategy, false)
        const { plans, scope } = setup(hard, dialect)
        const req = { actor: U, transactionId: TX }
        if (cte) {
          expect(drive(plans.deleteMany(scope, [], req), [{ n: 2 }]).result).toBe(2)
          expect(sqlOf(drive(plans.deleteMany(scope, [], req), [{ n: 2 }]).statements)).toMatchSnapshot()
          return
        }
        const rows = [stored(hard), stored(hard, { id: R2 })]
        const result = drive(plans.deleteMany(scope, [], req), rows, [])
        expect(result.result).toBe(2)
        expect(result.statements).toHaveLength(strategy === 'copy_on_change' ? 3 : 2)
        expectBound(result.statements, dialect)
        expect(sqlOf(result.statements)).toMatchSnapshot()
      })
    })
  }
}

describe('audit rows', () => {
  it('split into INSERTs under the placeholder limit', () => {
    const m = model('copy_on_change')
    const ctx = new ModelContext(m.def, mysqlDialect)
    const name = m.def.byName.get('name')!
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      owner: { id: `id-${i}`, tenant: T },
      field: name,
      old: 'a',
      new: 'b',
    }))
    const inserts = auditInserts(ctx, entries, 'UPDATE', NOW_AT, U, TX)
    const perStatement = Math.floor(AUDIT_PLACEHOLDERS / ctx.auditColumns.length)
    expect(inserts).toHaveLength(Math.ceil(entries.length / perStatement))
    expect(auditInserts(ctx, [], 'UPDATE', NOW_AT, U, TX)).toEqual([])
  })
})

describe('single changes as one guarded compound statement (MariaDB)', () => {
  for (const strategy of ['none', 'scd2'] as const) {
    it(`${strategy}: update, soft delete and restore are one step, compared in SQL, mapped by the state read`, () => {
      const m = model(strategy)
      const { plans, scope, rename, softDelete, restore } = setup(m, mariadbDialect)
      for (const r of [rename(), softDelete, restore]) {
        const changed = drive(plans.change(scope, r), [{ ff_state: 'c', ...stored(m) }])
        expect(changed.steps).toHaveLength(1)
        expect(isGuarded(changed.steps[0]!)).toBe(true)
        expect(changed.result.state).toBe('changed')
        expectBound(changed.statements, mariadbDialect)
        expect(sqlOf(changed.statements)).toMatchSnapshot()
        expect(drive(plans.change(scope, r), [{ ff_state: 'u', ...stored(m) }]).result.state).toBe('unchanged')
        expect(drive(plans.change(scope, r), []).result.state).toBe('missing')
        // not in the state the change needs: an update of a deleted row finds nothing, a restore of a
        // live row leaves it as it is
        expect(drive(plans.change(scope, r), [{ ff_state: 'x', ...stored(m) }]).result.state).toBe(
          r.filter === 'live' ? 'missing' : 'unchanged',
        )
      }
      const step = drive(plans.change(scope, rename()), []).steps[0]!
      if (!isGuarded(step)) throw new Error('guarded step expected')
      // text byte for byte, the version's floor 1 ms after it started (scd2)
      expect(step.set.sql).toContain('CAST(r.`name` AS BINARY) <=> CAST(? AS BINARY)')
      if (strategy === 'scd2') expect(step.set.sql).toContain('INTERVAL 1000 MICROSECOND')
      expect(step.result.sql).toContain('WHERE _ff_state IS NOT NULL')
    })
  }

  it('audited changes and values SQL cannot compare exactly keep the lock-compare-write transaction', () => {
    const audited = setup(model('copy_on_change'), mariadbDialect)
    expect(isGuarded(drive(audited.plans.change(audited.scope, audited.rename()), []).steps[0]!)).toBe(false)
    const Json = defineModel({ table: 'w_json', temporal: 'scd2', fields: { doc: z.object({ a: z.int() }) } })
    const ctx = new ModelContext(Json.def, mariadbDialect)
    const scope = new Scope(Json.def, { tenantId: T })
    const request: ChangeRequest = {
      id: R,
      filter: 'live',
      set: new Map([[Json.def.byName.get('doc')!, '{"a":1}']]),
      operation: 'UPDATE',
      audited: [],
      actor: U,
      transactionId: TX,
    }
    const first = drive(writePlans(ctx).change(scope, request), []).steps[0]!
    expect(isGuarded(first)).toBe(false)
  })
})
