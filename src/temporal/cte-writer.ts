import type { Database, Statement, StatementResult } from '../db/database.js'
import type { ModelContext } from '../mapping/model-context.js'
import { valueType } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { AUDIT_COLUMNS as A, CLOSED_BY } from '../schema/from-models.js'
import { and, type Id, type Scope } from '../scope/scope.js'
import { compile, Fragment, id, join, Prepared, q, raw, Slot } from '../sql/fragment.js'
import { type ChangeRequest, type ChangeResult, type InsertRequest, NOW, storedRecords, type Writer } from './writer.js'

/** What an insert statement returns: the stored rows, a count, or a count and the operation's timestamp. */
type InsertResult = 'rows' | 'count' | 'stamp'

const TS = raw(`date_trunc('milliseconds', statement_timestamp())`)
const ACTOR = new Slot('actor')
const TXID = new Slot('transaction id')
const ID = new Slot('id')
const VERSION = new Slot('expected version')

/**
 * A one-dimensional array parameter as PostgreSQL's array text (`{"a","b",NULL}`), built here because
 * it is cheaper than the drivers' general serializers; arrays of anything other than strings,
 * numbers, booleans and nulls are left to the driver.
 */
export function arrayLiteral(values: readonly unknown[]): string | readonly unknown[] {
  const parts = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) parts[i] = 'NULL'
    else if (typeof v === 'string') {
      parts[i] = v.includes('"') || v.includes('\\') ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') parts[i] = String(v)
    else if (typeof v === 'boolean') parts[i] = v ? 't' : 'f'
    else return values
  }
  return `{${parts.join(',')}}`
}

/**
 * Audit SQL for data-modifying CTEs (shared by single-record and set writes): a column's audit JSON,
 * and the INSERT of one entry per field (optionally only where the value changed) per source row.
 */
export function cteAudit(ctx: ModelContext) {
  const { def } = ctx
  const tenant = def.system.tenant
  // the acting user as the audit column's type (uuid, varchar(n) or bigint: the model's actorIdType)
  const actorType = raw(ctx.dialect.types.columnType(def.actorIdType.type))
  const asActor = (value: unknown): Fragment => q`CAST(${value} AS ${actorType})`

  /** The audit trail's JSON of a column: exact numbers as text, everything else as to_jsonb gives it. */
  const auditValue = (alias: string, f: FieldDef): Fragment => {
    const t = valueType(f.type)
    const exactAsText =
      (t?.kind === 'decimal' && !t.asNumber) || t?.kind === 'bigint' || (t?.kind === 'integer' && t.size === 'bigint')
    return exactAsText ? q`to_jsonb(${id(alias)}.${id(f.column)}::text)` : q`to_jsonb(${id(alias)}.${id(f.column)})`
  }

  const auditInsert = (
    source: string,
    fields: readonly FieldDef[],
    values: (f: FieldDef) => [Fragment, Fragment],
    operation: string,
    changedAt: Fragment,
    actor: Fragment,
    txid: unknown,
    from: Fragment,
    onlyChanges: boolean,
  ): Fragment => {
    const rows = join(
      fields.map((f) => {
        const [o, n] = values(f)
        return q`(${f.name}::text, ${o}, ${n})`
      }),
    )
    return q`INSERT INTO ${ctx.audit} (${ctx.auditColumnList})
      SELECT ${id(source)}.${id(def.system.id!.column)}, ${tenant ? q`${id(source)}.${id(tenant.column)}, ` : q``}v.f, v.o, v.n, ${raw(`'${operation}'`)}, ${changedAt}, ${actor}, CAST(${txid} AS uuid)
      FROM ${from} CROSS JOIN LATERAL (VALUES ${rows}) AS v(f, o, n)${onlyChanges ? q` WHERE v.o IS DISTINCT FROM v.n` : q``}`
  }
  return { auditValue, auditInsert, asActor }
}

/**
 * PostgreSQL: every write is one statement. A data-modifying CTE locks the row, writes it, writes its
 * audit entries or closed version, and returns the result, so a write costs one round trip and is
 * atomic without an explicit transaction.
 */
export function cteWriter(ctx: ModelContext): Writer {
  const { def } = ctx
  const coc = def.temporal === 'copy_on_change'
  const scd2 = def.temporal === 'scd2'

  const { auditValue, auditInsert, asActor } = cteAudit(ctx)

  /**
   * The rows to insert. Many rows with the same columns and no array-typed column go through
   * `unnest` of one array per column (a handful of parameters instead of one per value); otherwise
   * VALUES, where each parameter takes its type from its target column.
   */
  const source = (
    provided: readonly FieldDef[],
    generated: ReadonlyMap<FieldDef, Fragment>,
    rows: readonly ReadonlyMap<FieldDef, unknown>[],
  ): Fragment => {
    const uniform = rows.every((r) => provided.every((f) => r.has(f)))
    const arrays = provided.some((f) => ctx.castType(f).endsWith(']'))
    if (rows.length > 1 && uniform && !arrays) {
      // a column with one value in every row (the tenant, say) is bound once, not as an array
      const outputs: Fragment[] = []
      const columns: Fragment[] = []
      const names: string[] = []
      for (const f of provided) {
        const values = rows.map((r) => r.get(f))
        const first = values[0]
        if (typeof first === 'string' && values.every((v) => v === first)) {
          outputs.push(q`CAST(${first} AS ${raw(ctx.castType(f))})`)
        } else {
          names.push(`c${names.length}`)
          columns.push(q`CAST(${arrayLiteral(values)} AS ${raw(`${ctx.castType(f)}[]`)})`)
          outputs.push(raw(`u.${names.at(-1)}`))
        }
      }
      return q`SELECT ${join([...outputs, ...generated.values()])} FROM unnest(${join(columns)}) AS u(${raw(names.join(', '))})`
    }
    const all = [...provided, ...generated.keys()]
    return q`VALUES ${join(rows.map((row) => q`(${join(all.map((f) => generated.get(f) ?? (row.has(f) ? q`${row.get(f)}` : q`DEFAULT`)))})`))}`
  }

  const run = (db: Database, statement: Fragment | Statement) =>
    db.runAtomic(statement instanceof Fragment ? compile(statement, ctx.dialect) : statement)

  /** INSERT of `rows` (values or Slots), with the audit CTE on copy_on_change. */
  const insertStatement = (
    provided: readonly FieldDef[],
    rows: readonly ReadonlyMap<FieldDef, unknown>[],
    actorValue: unknown,
    transactionId: unknown,
    returning: InsertResult,
  ): Fragment => {
    const s = def.system
    const actor = q`${actorValue}`
    const generated = new Map<FieldDef, Fragment>([
      [s.createdAt!, TS],
      [s.updatedAt!, TS],
      [s.createdBy!, actor],
      [s.updatedBy!, actor],
    ])
    if (scd2) {
      generated.set(s.version!, q`1`)
      generated.set(s.validFrom!, TS)
    }
    const columns = [...provided, ...generated.keys()]
    const insert = q`INSERT INTO ${ctx.main} (${ctx.columnList(columns)}) ${source(provided, generated, rows)}`
    if (!coc) {
      if (returning === 'rows') return q`${insert} RETURNING ${ctx.columnList()}`
      return returning === 'count'
        ? insert
        : q`WITH ins AS (${insert} RETURNING 1) SELECT count(*) AS n, ${TS} AS ts FROM ins`
    }
    const aud = auditInsert(
      'ins',
      def.userFields,
      (f) => [q`NULL::jsonb`, auditValue('ins', f)],
      'INSERT',
      q`ins.${id(s.createdAt!.column)}`,
      q`ins.${id(s.createdBy!.column)}`,
      transactionId,
      q`ins`,
      false,
    )
    const final =
      returning === 'rows'
        ? q`SELECT ${ctx.select('ins')} FROM ins`
        : q`SELECT count(*) AS n${returning === 'stamp' ? q`, ${TS} AS ts` : q``} FROM ins`
    return q`WITH ins AS (${insert} RETURNING ${ctx.columnList()}), aud AS (${aud}) ${final}`
  }

  const finish = (result: StatementResult<Record<string, unknown>>, returning: boolean) => {
    if (returning) return { rows: result.rows, count: result.rows.length }
    return { rows: [], count: coc ? Number(result.rows[0]?.n ?? 0) : result.affectedRows }
  }

  /**
   * The row a change locks: its id, in scope, live or deleted. Whether it is in the state the change
   * needs (`filter`) is decided on the locked row, in the same statement, so a restore or delete
   * committing meanwhile is seen by the lock, never by a later read.
   */
  const changeTarget = (scope: Scope, values: { id: unknown; tenants: readonly unknown[] }) =>
    and([q`r.${id(def.system.id!.column)} = ${values.id}`, ...scope.read('r', true, values.tenants)])

  const inState = (r: ChangeRequest): Fragment | undefined => {
    const deletedAt = def.system.deletedAt
    if (!deletedAt) return undefined
    return r.filter === 'live' ? q`old.${id(deletedAt.column)} IS NULL` : q`old.${id(deletedAt.column)} IS NOT NULL`
  }

  /**
   * One change as one statement, with Slots for its values: lock the row, compute the operation's
   * timestamp, write the closed version (scd2), update, write the audit entries (copy_on_change).
   * It returns the updated row (`ff_state` 'c'), or the locked row unchanged: 'u' when it was in the
   * state the change needs but nothing differed (or another version was expected), 'x' when not.
   */
  const changeStatement = (scope: Scope, r: ChangeRequest): Fragment => {
    const s = def.system
    const idCol = s.id!.column
    const tenants = scope.tenants?.map((_, i) => tenantSlot(i))
    const where = changeTarget(scope, { id: ID, tenants: tenants ?? [] })
    const state = inState(r)
    // Per record, time never runs backwards: a statement that waited for the row lock may have
    // started before the change it waited for. scd2 intervals must also be non-empty.
    const tsExpr = scd2
      ? q`GREATEST(${TS}, old.${id(s.validFrom!.column)} + interval '1 millisecond')`
      : q`GREATEST(${TS}, old.${id(s.updatedAt!.column)})`
    // `col = $n` and `old.col IS DISTINCT FROM $n` take the parameter's type from the column
    const newValue = (f: FieldDef, value: unknown): Fragment => (value === NOW ? q`ts.v` : q`${slotOf(f)}`)
    const differs = () => {
      const any =
        r.set.size === 0
          ? q`false`
          : join(
              [...r.set].map(([f, v]) => q`old.${id(f.column)} IS DISTINCT FROM ${newValue(f, v)}`),
              ' OR ',
            )
      const conditions = [q`(${any})`]
      if (state) conditions.push(state)
      if (r.expectedVersion !== undefined) conditions.push(q`old.${id(s.version!.column)} = ${VERSION}`)
      return join(conditions, ' AND ')
    }
    const sets: Fragment[] = [...r.set].map(([f, v]) => q`${id(f.column)} = ${newValue(f, v)}`)
    sets.push(q`${id(s.updatedAt!.column)} = ts.v`, q`${id(s.updatedBy!.column)} = ${ACTOR}`)
    if (scd2) {
      sets.push(q`${id(s.version!.column)} = old.${id(s.version!.column)} + 1`, q`${id(s.validFrom!.column)} = ts.v`)
    }
    const parts: Fragment[] = [
      q`old AS (SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE)`,
      q`ts AS (SELECT ${tsExpr} AS v FROM old)`,
    ]
    if (scd2) {
      const validTo = s.validTo!
      const cols = ctx.columns
      parts.push(
        q`hist AS (INSERT INTO ${ctx.history} (${ctx.columnList(cols)}, ${id(CLOSED_BY)}) SELECT ${join(cols.map((f) => (f === validTo ? q`ts.v` : q`old.${id(f.column)}`)))}, ${raw(`'${r.operation}'`)} FROM old, ts WHERE ${differs()})`,
      )
    }
    parts.push(
      q`upd AS (UPDATE ${ctx.main} AS u SET ${join(sets)} FROM old, ts WHERE u.${id(idCol)} = old.${id(idCol)} AND ${differs()} RETURNING ${ctx.select('u')})`,
    )
    if (coc && r.audited.length > 0) {
      parts.push(
        q`aud AS (${auditInsert('upd', r.audited, (f) => [auditValue('old', f), auditValue('upd', f)], r.operation, q`ts.v`, asActor(ACTOR), TXID, q`upd CROSS JOIN old CROSS JOIN ts`, true)})`,
      )
    }
    const unchanged = state ? q`CASE WHEN ${state} THEN 'u' ELSE 'x' END` : q`'u'`
    return q`WITH ${join(parts)} SELECT 'c' AS ff_state, ${ctx.select('upd')} FROM upd
      UNION ALL SELECT ${unchanged}, ${ctx.select('old')} FROM old WHERE NOT EXISTS (SELECT 1 FROM upd)`
  }

  const changes = new Map<string, Prepared>()
  const tenantSlots: Slot<number>[] = []
  const tenantSlot = (i: number) => {
    tenantSlots[i] ??= new Slot(`tenant ${i}`, i)
    return tenantSlots[i]
  }

  const singleRow = new Map<string, Prepared>()
  const slots = new Map<FieldDef, Slot<FieldDef>>()
  const slotOf = (f: FieldDef): Slot<FieldDef> => {
    let slot = slots.get(f)
    if (!slot) {
      slot = new Slot(f.name, f)
      slots.set(f, slot)
    }
    return slot
  }

  return {
    async insert(db: Database, _scope: Scope, request: InsertRequest) {
      const returning = request.returning !== false
      const rows = request.rows
      if (rows.length === 1) {
        // one row: the statement depends only on which columns are given; compiled once per shape
        const row = rows[0]!
        let key = returning ? '+' : '-'
        for (const f of ctx.columns) key += row.has(f) ? '1' : '0'
        let prepared = singleRow.get(key)
        if (!prepared) {
          const provided = ctx.columns.filter((f) => row.has(f))
          prepared = new Prepared(
            insertStatement(
              provided,
              [new Map(provided.map((f) => [f, slotOf(f)]))],
              ACTOR,
              TXID,
              returning ? 'rows' : 'count',
            ),
            ctx.dialect,
          )
          singleRow.set(key, prepared)
        }
        const statement = prepared.bind((slot) =>
          slot === ACTOR ? request.actor : slot === TXID ? request.transactionId : row.get(slot.key as FieldDef),
        )
        const result = await run(db, statement)
        return finish(result, returning)
      }
      // many rows: written out from the inserted values where they read back exactly as bound
      const provided = ctx.columns.filter((f) => rows.some((r) => r.has(f)))
      const stored = returning ? storedRecords(ctx, rows, request.actor) : undefined
      const mode: InsertResult = stored ? 'stamp' : returning ? 'rows' : 'count'
      const result = await run(db, insertStatement(provided, rows, request.actor, request.transactionId, mode))
      if (stored) return { rows: [], records: stored(result.rows[0]!.ts as Date), count: rows.length }
      return finish(result, returning)
    },

    async change(db: Database, scope: Scope, r: ChangeRequest): Promise<ChangeResult> {
      // the statement depends on the change's shape and the scope's, not on its values: compiled once
      let key = `${r.operation}|${r.filter}|${r.expectedVersion !== undefined}|${scope.tenants?.length ?? '-'}|`
      for (const [f, v] of r.set) key += v === NOW ? `${f.name}=now,` : `${f.name},`
      key += '|'
      for (const f of r.audited) key += `${f.name},`
      let prepared = changes.get(key)
      if (!prepared) {
        prepared = new Prepared(changeStatement(scope, r), ctx.dialect)
        if (changes.size >= 256) changes.delete(changes.keys().next().value!)
        changes.set(key, prepared)
      }
      const { rows } = await run(
        db,
        prepared.bind((slot) => {
          if (slot === ID) return r.id
          if (slot === ACTOR) return r.actor
          if (slot === TXID) return r.transactionId
          if (slot === VERSION) return r.expectedVersion
          if (typeof slot.key === 'number') return scope.tenants![slot.key]
          return r.set.get(slot.key as FieldDef)
        }),
      )
      const row = rows[0]
      if (!row) return { state: 'missing' }
      if (row.ff_state === 'c') return { state: 'changed', row }
      // not in the state the change needs: an update of a deleted row finds nothing to update; a
      // restore of a live row leaves it as it is
      if (row.ff_state === 'x' && r.filter === 'live') return { state: 'missing' }
      return { state: 'unchanged', row }
    },

    async hardDelete(db: Database, scope: Scope, recordId: string, actor: Id | null, transactionId: string) {
      const s = def.system
      const where = and([q`r.${id(s.id!.column)} = CAST(${recordId} AS uuid)`, ...scope.read('r', true)])
      let statement = q`WITH del AS (DELETE FROM ${ctx.main} AS r WHERE ${where} RETURNING ${ctx.select('r')}), ts AS (SELECT ${TS} AS v)`
      if (coc) {
        const aud = auditInsert(
          'del',
          def.userFields,
          (f) => [auditValue('del', f), q`NULL::jsonb`],
          'DELETE',
          q`ts.v`,
          asActor(actor),
          transactionId,
          q`del CROSS JOIN ts`,
          false,
        )
        statement = q`${statement}, aud AS (${aud})`
      }
      const { rows } = await run(db, q`${statement} SELECT count(*) AS n FROM del`)
      return Number(rows[0]?.n ?? 0) > 0
    },

    async purge(db: Database, scope: Scope, recordId: string) {
      const s = def.system
      const where = and([q`r.${id(s.id!.column)} = CAST(${recordId} AS uuid)`, ...scope.read('r', true)])
      if (!coc && !scd2) {
        return (await run(db, q`DELETE FROM ${ctx.main} AS r WHERE ${where}`)).affectedRows > 0
      }
      // Two statements in one transaction: the lock first, then the deletes under a snapshot taken
      // after it, so audit entries or versions committed by a write this purge waited for are seen
      // (one statement's snapshot predates the lock and would leave them behind). Every writer locks
      // the row first, so nothing new can be added once it is locked.
      return db.transaction(async (tx) => {
        const locked = await tx.run(compile(q`SELECT 1 FROM ${ctx.main} AS r WHERE ${where} FOR UPDATE`, ctx.dialect))
        if (locked.rows.length === 0) return false
        const target = q`CAST(${recordId} AS uuid)`
        const parts: Fragment[] = []
        if (coc) parts.push(q`a AS (DELETE FROM ${ctx.audit} WHERE ${id(A.recordId)} = ${target})`)
        if (scd2) parts.push(q`h AS (DELETE FROM ${ctx.history} WHERE ${id(s.id!.column)} = ${target})`)
        const main = q`DELETE FROM ${ctx.main} WHERE ${id(s.id!.column)} = ${target}`
        await tx.run(compile(parts.length > 0 ? q`WITH ${join(parts)} ${main}` : main, ctx.dialect))
        return true
      })
    },
  }
}
