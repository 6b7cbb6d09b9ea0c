import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Dialect } from '../../src/dialect/dialect.js'
import { mysqlDialect } from '../../src/dialect/mysql/dialect.js'
import { postgresDialect } from '../../src/dialect/postgres/dialect.js'
import { defineModel, type Model } from '../../src/index.js'
import { ModelContext } from '../../src/mapping/model-context.js'
import { countPlan, getManyPlan, getPlan, listPlan } from '../../src/repository/reads.js'
import { compileOrderBy, compileWhere } from '../../src/repository/where.js'
import { Scope, type ScopeOptions } from '../../src/scope/scope.js'
import { compile, type Fragment, type Prepared } from '../../src/sql/fragment.js'
import { replay } from '../../src/sql/plan.js'
import type { Statement } from '../../src/sql/statement.js'
import {
  type Entry,
  fieldTrailPlan,
  recordTrailPlan,
  replayTrail,
  stateAtPlan,
  userChangesPlan,
} from '../../src/temporal/copy-on-change-history.js'
import { asOfSource, comparePlan, MAX_LOOKUPS, timeline, versionsPlan } from '../../src/temporal/scd2-history.js'

/**
 * Every read plan driven without a database: the statements it yields (SQL pinned per engine family,
 * in the snapshot file and by the assertions here) and how it decodes canned rows.
 */

const T = '00000000-0000-4000-8000-000000000001'
const T2 = '00000000-0000-4000-8000-000000000002'
const U = '00000000-0000-4000-8000-0000000000a1'
const R1 = '00000000-0000-4000-8000-0000000000b1'
const R2 = '00000000-0000-4000-8000-0000000000b2'
const AT = new Date('2025-06-01T00:00:00.000Z')
const EARLIER = new Date('2025-01-01T00:00:00.000Z')

const fields = { name: z.string().max(50), meta: z.object({ a: z.number() }), age: z.int().nullable() }
const Plain = defineModel({ table: 'p', fields })
const Audited = defineModel({ table: 'c', temporal: 'copy_on_change', fields })
const Versioned = defineModel({ table: 's', temporal: 'scd2', fields })

const FAMILIES = [
  ['postgres', postgresDialect],
  ['mysql', mysqlDialect],
] as const

/** One row as the family's driver returns it: JSON parsed on PostgreSQL, text on MySQL/MariaDB. */
function driverRow(family: string, model: Model, values: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const f of model.def.fields) {
    const v = values[f.name] ?? null
    row[f.column] = f.name === 'meta' && family === 'mysql' && v !== null ? JSON.stringify(v) : v
  }
  return row
}

const base = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  tenantId: T,
  name: 'Ada',
  meta: { a: 1 },
  age: 36,
  createdAt: EARLIER,
  updatedAt: EARLIER,
  createdBy: U,
  updatedBy: U,
  deletedAt: null,
  deletedBy: null,
  ...extra,
})

const version = (id: string, n: number, from: Date, to: Date | null, extra: Record<string, unknown> = {}) =>
  base(id, { version: n, validFrom: from, validTo: to, ...extra })

function auditRow(family: string, values: Partial<Record<string, unknown>> & { audit_id: number; operation: string }) {
  const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v))
  return {
    record_id: R1,
    tenant_id: T,
    field_name: null,
    changed_at: EARLIER,
    changed_by: U,
    transaction_id: 'tx-1',
    ...values,
    // JSON columns are read as text on every engine (the dialect's jsonText hook)
    old_value: json(values.old_value),
    new_value: json(values.new_value),
    ...(family === 'mysql' ? { audit_id: String(values.audit_id) } : {}),
  }
}

for (const [family, dialect] of FAMILIES) {
  const ctxOf = (model: Model) => new ModelContext(model.def, dialect as Dialect)
  const scopeOf = (model: Model, options: ScopeOptions = { tenantId: T }) => new Scope(model.def, options)
  const Q = (name: string) => (family === 'postgres' ? `"${name}"` : `\`${name}\``)
  const P = (n: number) => (family === 'postgres' ? `$${n}` : '?')

  describe(`read plans [${family}]`, () => {
    it('get by id: one prepared statement per shape, bound per call, the row decoded', () => {
      const ctx = ctxOf(Plain)
      const scope = scopeOf(Plain)
      const prepared = new Map<number, Prepared>()
      const row = driverRow(family, Plain, base(R1))
      const found = replay(getPlan(ctx, scope, prepared, R1, {}), () => [row])
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.sql).toContain(
        `FROM ${Q('p')} AS r WHERE (r.${Q('id')} = ${P(1)}) AND (${Q('r')}.${Q('tenant_id')} = ${P(2)}) AND (${Q('r')}.${Q('deleted_at')} IS NULL)`,
      )
      expect(found.statements[0]!.parameters).toEqual([R1, T])
      expect(found.result).toEqual(base(R1))
      // the same shape again: the compiled text is reused, only the values change
      const again = replay(getPlan(ctx, scope, prepared, R2, {}), () => [])
      expect(again.result).toBeNull()
      expect(again.statements[0]!.sql).toBe(found.statements[0]!.sql)
      expect(again.statements[0]!.parameters).toEqual([R2, T])
      replay(getPlan(ctx, scope, prepared, R2, { includeDeleted: true }), () => [])
      expect(prepared.size).toBe(2)
    })

    it('get by id as of an instant: the current row or the newest version started by then', () => {
      const ctx = ctxOf(Versioned)
      const prepared = new Map<number, Prepared>()
      const row = driverRow(family, Versioned, version(R1, 2, EARLIER, null))
      const found = replay(getPlan(ctx, scopeOf(Versioned), prepared, R1, { asOf: AT }), () => [row])
      expect(found.statements).toHaveLength(1)
      expect(found.statements[0]).toMatchSnapshot()
      const { sql, parameters } = found.statements[0]!
      if (dialect.capabilities.inlineDerivedUnions) {
        // the version as a derived table r, the scope on r (PostgreSQL pushes it into the branches)
        expect(sql).toContain(`) AS r WHERE (r.${Q('id')} = ${P(6)}) AND (${Q('r')}.${Q('tenant_id')} = ${P(7)})`)
        expect(parameters).toEqual([R1, AT, R1, AT, AT, R1, T])
      } else {
        // no derived table (MariaDB would materialize it): index lookups, the scope in each branch
        expect(sql).not.toMatch(/\) AS [a-z]/)
        const scoped = (a: string) => `(${Q(a)}.${Q('tenant_id')} = ?) AND (${Q(a)}.${Q('deleted_at')} IS NULL)`
        expect(sql).toContain(`WHERE (c.${Q('id')} = ?) AND (c.${Q('valid_from')} <= ?) AND ${scoped('c')}`)
        // a closed version only while the current row started after the instant, the newest one started by then
        expect(sql).toContain(
          `FROM ${Q('s')} AS k JOIN ${Q('s_history')} AS h ON h.${Q('id')} = k.${Q('id')} WHERE (k.${Q('id')} = ?) AND (k.${Q('valid_from')} > ?) AND (h.${Q('valid_from')} = (SELECT max(m.${Q('valid_from')}) FROM ${Q('s_history')} AS m WHERE m.${Q('id')} = ? AND m.${Q('valid_from')} <= ?)) AND (h.${Q('valid_to')} > ?) AND ${scoped('h')}`,
        )
        expect(parameters).toEqual([R1, AT, T, R1, AT, R1, AT, AT, T])
      }
      expect(found.result).toEqual(version(R1, 2, EARLIER, null))
      // includeDeleted: the same shapes without the soft-delete predicate
      const deleted = replay(
        getPlan(ctx, scopeOf(Versioned), prepared, R1, { asOf: AT, includeDeleted: true }),
        () => [],
      )
      expect(deleted.result).toBeNull()
      expect(deleted.statements[0]!.sql).not.toContain('deleted_at` IS NULL')
      expect(deleted.statements[0]!.sql).not.toContain('deleted_at" IS NULL')
      expect(prepared.size).toBe(2)
    })

    it('getMany: the ids as one list (the dialect hook), records decoded', () => {
      const ctx = ctxOf(Plain)
      const rows = [driverRow(family, Plain, base(R2)), driverRow(family, Plain, base(R1))]
      const found = replay(getManyPlan(ctx, scopeOf(Plain), [R1, R2], {}), () => rows)
      const list = family === 'postgres' ? `= ANY(CAST(${P(1)} AS uuid[]))` : `IN (?, ?)`
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.sql).toContain(`WHERE (${Q('r')}.${Q('id')} ${list}) AND`)
      expect(found.statements[0]!.parameters).toEqual(family === 'postgres' ? [`{"${R1}","${R2}"}`, T] : [R1, R2, T])
      expect(found.result).toEqual([base(R2), base(R1)])
    })

    it('getMany: one statement per chunk where each list value is a placeholder', () => {
      const ids = Array.from({ length: 12_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
      const found = replay(getManyPlan(ctxOf(Plain), scopeOf(Plain), ids, {}), () => [])
      expect(found.statements).toHaveLength(family === 'postgres' ? 1 : 3)
      expect(found.result).toEqual([])
    })

    it('getMany as of an instant: the source of the ids (no statement before it)', () => {
      const rows = [driverRow(family, Versioned, version(R1, 1, EARLIER, null))]
      const found = replay(getManyPlan(ctxOf(Versioned), scopeOf(Versioned), [R1], { asOf: AT }), () => rows)
      expect(found.statements).toHaveLength(1)
      expect(found.statements[0]).toMatchSnapshot()
      expect(found.result).toEqual([version(R1, 1, EARLIER, null)])
    })

    it('list: the where (ILIKE through the dialect hook), the scope, order and paging', () => {
      const ctx = ctxOf(Plain)
      const filter = compileWhere(ctx, { name: { ilike: 'a%' }, age: { gte: 18 } }, 'r')
      const order = compileOrderBy(Plain.def, { name: 'asc' }, 'r')
      const rows = [driverRow(family, Plain, base(R1))]
      const found = replay(listPlan(ctx, scopeOf(Plain), { filter }, order, 10, 20), () => rows)
      const ilike =
        family === 'postgres' ? `${Q('r')}.${Q('name')} ILIKE $2` : `LOWER(${Q('r')}.${Q('name')}) LIKE LOWER(?)`
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.sql).toContain(
        `WHERE (${Q('r')}.${Q('tenant_id')} = ${P(1)}) AND (${Q('r')}.${Q('deleted_at')} IS NULL) AND (${ilike}) AND (${Q('r')}.${Q('age')} >= ${P(3)}) ORDER BY ${Q('r')}.${Q('name')} ASC, ${Q('r')}.${Q('id')} ASC LIMIT ${P(4)} OFFSET ${P(5)}`,
      )
      expect(found.statements[0]!.parameters).toEqual([T, 'a%', 18, 10, 20])
      expect(found.result).toEqual([base(R1)])
      // keyset pages: no OFFSET
      const page = replay(listPlan(ctx, scopeOf(Plain), { filter: [] }, order, 11), () => [])
      expect(page.statements[0]!.sql).toMatch(new RegExp(`LIMIT \\${P(2)}$`))
    })

    it('count: records in scope, the count decoded from the driver type', () => {
      const ctx = ctxOf(Plain)
      const found = replay(
        countPlan(ctx, scopeOf(Plain, { tenantIds: [T, T2] }), { filter: [], includeDeleted: true }),
        () => [{ n: family === 'postgres' ? '7' : 7 }],
      )
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.sql).toBe(
        `SELECT count(*) AS n FROM ${Q('p')} AS r WHERE (${Q('r')}.${Q('tenant_id')} IN (${P(1)}, ${P(2)}))`,
      )
      expect(found.result).toBe(7)
      expect(replay(countPlan(ctx, scopeOf(Plain), { filter: [] }), () => []).result).toBe(0)
    })

    it('count as of an instant: the candidates and their versions', () => {
      const ctx = ctxOf(Versioned)
      const found = replay(countPlan(ctx, scopeOf(Versioned), { filter: [], asOf: AT }), (_s, i) =>
        family === 'mysql' && i === 0 ? [{ id: R1 }] : [{ n: 3 }],
      )
      expect(found.result).toBe(3)
      expect(found.statements).toMatchSnapshot()
    })

    it(`asOf source: ${family === 'postgres' ? 'correlated lookups in one statement' : 'the changed ids first, then a lookup on constants for each'}`, () => {
      const ctx = ctxOf(Versioned)
      const steps = asOfSource(ctx, scopeOf(Versioned), AT)
      const first = steps.next()
      if (family === 'postgres') {
        // correlatedTopN: nothing to ask first, one index lookup per candidate in the statement
        expect(first.done).toBe(true)
        const source = compile(first.value as Fragment, dialect)
        expect(source.sql).toContain('ORDER BY m."valid_from" DESC LIMIT 1')
        expect(source).toMatchSnapshot()
        return
      }
      expect(first.done).toBe(false)
      const changed = first.value as Statement
      expect(changed).toMatchSnapshot()
      expect(changed.sql).toContain('k.`valid_from` > ?')
      expect(changed.parameters.at(-1)).toBe(MAX_LOOKUPS + 1)
      const last = steps.next({ rows: [{ id: R1 }, { id: R2 }], affectedRows: 2 })
      expect(last.done).toBe(true)
      const source = last.value as { parts: unknown[] }
      // each changed id is looked up on constants, and left out of the correlated lookup
      const text = JSON.stringify(source.parts)
      expect(text).toContain(R1)
      expect(text).toContain(R2)
    })

    // engines with correlatedTopN have no lookups path (the test above)
    if (family === 'mysql')
      it('asOf source: more changed records than MAX_LOOKUPS fall back to the correlated lookup', () => {
        const many = Array.from({ length: MAX_LOOKUPS + 1 }, (_, i) => ({ id: `id-${i}` }))
        const ctx = ctxOf(Versioned)
        const list = listPlan(
          ctx,
          scopeOf(Versioned),
          { filter: [], asOf: AT },
          compileOrderBy(Versioned.def, undefined, 'r'),
          5,
        )
        const found = replay(list, (_s, i) => (i === 0 ? many : []))
        expect(found.statements).toHaveLength(2)
        expect(found.statements[1]!.parameters).not.toContain('id-0')
        expect(found.statements[1]).toMatchSnapshot()
      })

    it('list as of an instant in a permissive scope: transferred records are candidates', () => {
      const ctx = ctxOf(Versioned)
      const order = compileOrderBy(Versioned.def, undefined, 'r')
      const found = replay(
        listPlan(ctx, scopeOf(Versioned, { tenantIds: [T, T2] }), { filter: [], asOf: AT }, order, 5),
        (_s, i) => (family === 'mysql' && i === 0 ? [] : [driverRow(family, Versioned, version(R1, 3, EARLIER, null))]),
      )
      expect(found.statements.at(-1)!.sql).toContain("'TRANSFER'")
      expect(found.statements).toMatchSnapshot()
      expect(found.result).toEqual([version(R1, 3, EARLIER, null)])
    })

    it('audit trail of a record: JSON as text (the dialect hook), entries decoded', () => {
      const ctx = ctxOf(Audited)
      const rows = [
        auditRow(family, { audit_id: 1, operation: 'INSERT', field_name: 'meta', new_value: { a: 1 } }),
        auditRow(family, { audit_id: 2, operation: 'UPDATE', field_name: 'age', old_value: 36, new_value: 37 }),
      ]
      const found = replay(recordTrailPlan(ctx, scopeOf(Audited), R1), () => rows)
      const json = (c: string) =>
        family === 'postgres' ? `a.${Q(c)}::text AS ${Q(c)}` : `CAST(a.${Q(c)} AS CHAR) AS ${Q(c)}`
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.sql).toContain(`a.${Q('field_name')}, ${json('old_value')}, ${json('new_value')}, a.`)
      expect(found.statements[0]!.sql).toContain(
        `FROM ${Q('c_audit')} AS a WHERE (a.${Q('record_id')} = ${P(1)}) AND (${Q('a')}.${Q('tenant_id')} = ${P(2)}) ORDER BY a.${Q('audit_id')}`,
      )
      expect(found.statements[0]!.parameters).toEqual([R1, T])
      expect(found.result).toEqual([
        {
          auditId: 1,
          recordId: R1,
          tenantId: T,
          fieldName: 'meta',
          oldValue: null,
          newValue: { a: 1 },
          operation: 'INSERT',
          changedAt: EARLIER,
          changedBy: U,
          transactionId: 'tx-1',
        },
        expect.objectContaining({ auditId: 2, fieldName: 'age', oldValue: 36, newValue: 37, operation: 'UPDATE' }),
      ])
    })

    it('field history and changes by user: their predicates, the limit bound', () => {
      const ctx = ctxOf(Audited)
      const field = replay(fieldTrailPlan(ctx, scopeOf(Audited), R1, Audited.def.byName.get('age')!), () => [])
      expect(field.statements[0]!.sql).toContain(
        `WHERE (a.${Q('record_id')} = ${P(1)}) AND (a.${Q('field_name')} = ${P(2)}) AND (${Q('a')}.${Q('tenant_id')} = ${P(3)}) ORDER BY`,
      )
      expect(field.statements[0]!.parameters).toEqual([R1, 'age', T])
      const byUser = replay(userChangesPlan(ctx, scopeOf(Audited), U, { from: EARLIER, to: AT, limit: 50 }), () => [
        auditRow(family, { audit_id: 9, operation: 'DELETE', field_name: 'deletedAt', new_value: AT.toISOString() }),
      ])
      expect(byUser.statements[0]!.sql).toMatch(
        new RegExp(
          `WHERE \\(a\\.${Q('changed_by')} = \\${P(1)}\\) AND \\(a\\.${Q('changed_at')} >= \\${P(2)}\\) AND \\(a\\.${Q('changed_at')} <= \\${P(3)}\\) AND .* ORDER BY a\\.${Q('audit_id')} LIMIT \\${P(5)}$`,
        ),
      )
      expect(byUser.statements[0]!.parameters).toEqual([U, EARLIER, AT, T, 50])
      expect(byUser.result[0]).toMatchObject({ auditId: 9, operation: 'DELETE', newValue: AT })
    })

    it('getStateAt: the whole trail up to the instant (not tenant-filtered), replayed, then the scope decides', () => {
      const ctx = ctxOf(Audited)
      const trail = [
        auditRow(family, { audit_id: 1, operation: 'INSERT', field_name: 'name', new_value: 'Ada' }),
        auditRow(family, { audit_id: 2, operation: 'INSERT', field_name: 'meta', new_value: { a: 1 } }),
        auditRow(family, { audit_id: 3, operation: 'INSERT', field_name: 'age', new_value: 36 }),
        auditRow(family, {
          audit_id: 4,
          operation: 'UPDATE',
          field_name: 'age',
          old_value: 36,
          new_value: 37,
          changed_at: AT,
        }),
      ]
      const found = replay(stateAtPlan(ctx, scopeOf(Audited), R1, AT, false), () => trail)
      expect(found.statements[0]!.sql).toContain(
        `WHERE (a.${Q('record_id')} = ${P(1)}) AND (a.${Q('changed_at')} <= ${P(2)}) ORDER BY`,
      )
      expect(found.statements[0]!.parameters).toEqual([R1, AT])
      expect(found.result).toEqual(base(R1, { age: 37, updatedAt: AT }))
      // another tenant's scope does not see it; a soft-deleted state only with includeDeleted
      expect(replay(stateAtPlan(ctx, scopeOf(Audited, { tenantId: T2 }), R1, AT, false), () => trail).result).toBeNull()
      const deleted = [
        ...trail,
        auditRow(family, { audit_id: 5, operation: 'DELETE', field_name: 'deletedAt', new_value: AT.toISOString() }),
      ]
      expect(replay(stateAtPlan(ctx, scopeOf(Audited), R1, AT, false), () => deleted).result).toBeNull()
      expect(replay(stateAtPlan(ctx, scopeOf(Audited), R1, AT, true), () => deleted).result).toMatchObject({
        deletedAt: AT,
        deletedBy: U,
      })
      expect(replay(stateAtPlan(ctx, scopeOf(Audited), R1, AT, false), () => []).result).toBeNull()
    })

    it('replay of a trail: nothing before the INSERT, null after a hard delete', () => {
      const Hard = defineModel({ table: 'h', temporal: 'copy_on_change', softDelete: false, fields })
      const ctx = ctxOf(Hard)
      const e = (auditId: number, operation: Entry['operation'], fieldName: string | null, newValue: unknown) =>
        ({
          auditId,
          recordId: R1,
          tenantId: T,
          fieldName,
          oldValue: null,
          newValue,
          operation,
          changedAt: AT,
          changedBy: U,
          transactionId: 't',
        }) as Entry
      expect(replayTrail(ctx, [e(1, 'UPDATE', 'age', 3)])).toBeNull()
      expect(replayTrail(ctx, [e(1, 'INSERT', 'age', 3)])).toMatchObject({ id: R1, age: 3, name: undefined })
      expect(replayTrail(ctx, [e(1, 'INSERT', 'age', 3), e(2, 'DELETE', null, null)])).toBeNull()
    })

    it('versions: current and history in one statement, version ascending, decoded; timeline', () => {
      const ctx = ctxOf(Versioned)
      const rows = [
        driverRow(family, Versioned, version(R1, 1, EARLIER, AT)),
        driverRow(family, Versioned, version(R1, 2, AT, null, { deletedAt: AT, deletedBy: U })),
      ]
      const found = replay(versionsPlan(ctx, scopeOf(Versioned), R1), () => rows)
      expect(found.statements).toMatchSnapshot()
      expect(found.statements[0]!.parameters).toEqual([R1, T])
      expect(found.result).toEqual([
        version(R1, 1, EARLIER, AT),
        version(R1, 2, AT, null, { deletedAt: AT, deletedBy: U }),
      ])
      expect(timeline(ctx, found.result)).toEqual([
        { version: 1, validFrom: EARLIER, validTo: AT, isCurrent: false, isDeleted: false },
        { version: 2, validFrom: AT, validTo: null, isCurrent: true, isDeleted: true },
      ])
      const one = replay(versionsPlan(ctx, scopeOf(Versioned), R1, [2]), () => [])
      expect(one.statements[0]!.sql).toContain(`AND (r.${Q('version')} IN (${P(3)})) ORDER BY r.${Q('version')}`)
      expect(one.statements[0]!.parameters).toEqual([R1, T, 2])
    })

    it('compare: both versions in one statement, field by field; the missing one named', () => {
      const ctx = ctxOf(Versioned)
      const rows = [
        driverRow(family, Versioned, version(R1, 1, EARLIER, AT)),
        driverRow(family, Versioned, version(R1, 3, AT, null, { age: 40, meta: { a: 1 } })),
      ]
      const found = replay(comparePlan(ctx, scopeOf(Versioned), R1, 1, 3), () => rows)
      expect(found.statements[0]!.parameters).toEqual([R1, T, 1, 3])
      expect(found.result).toEqual({
        comparison: {
          name: { old: 'Ada', new: 'Ada', changed: false },
          meta: { old: { a: 1 }, new: { a: 1 }, changed: false },
          age: { old: 36, new: 40, changed: true },
        },
      })
      expect(replay(comparePlan(ctx, scopeOf(Versioned), R1, 1, 2), () => rows.slice(0, 1)).result).toEqual({
        missing: 2,
      })
      const same = replay(comparePlan(ctx, scopeOf(Versioned), R1, 1, 1), () => rows.slice(0, 1))
      expect(same.statements[0]!.parameters).toEqual([R1, T, 1])
      expect(same.result).toMatchObject({ comparison: { age: { changed: false } } })
    })
  })
}
