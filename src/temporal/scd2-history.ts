import type { ModelContext } from '../mapping/model-context.js'
import { sameValue } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'
import { validityOf } from '../model/system-fields.js'
import { CLOSED_BY } from '../schema/from-models.js'
import { and, type Scope } from '../scope/scope.js'
import { compile, type Fragment, id, join, q } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import type { Statement } from '../sql/statement.js'

/**
 * scd2 reads as plans: time travel (the version valid at an instant, shared by the repository's
 * `asOf` reads and the scoped query builder) and the version history of one record. Pure: fragments
 * and plans only, no I/O.
 */

type Row = Record<string, unknown>

/** Most records looked up one by one on constants in one `asOf` statement (engines without correlatedTopN). */
export const MAX_LOOKUPS = 1_000

function validity(ctx: ModelContext) {
  const v = validityOf(ctx.def)
  return { idCol: id(ctx.def.roles.id.column), from: id(v.from.column), to: id(v.to.column) }
}

/** `alias.id IN (ids)` (one array parameter where the dialect binds lists as one). */
function idIn(ctx: ModelContext, alias: string, ids: readonly string[]): Fragment {
  const f: FieldDef = ctx.def.roles.id
  return ctx.dialect.readSql.inList(q`${id(alias)}.${id(f.column)}`, ids, false, () => ctx.castType(f))
}

/**
 * The ids of the records in scope now, plus those that left the scope by a transfer after `at`;
 * `where` narrows the records in scope (alias k), `except` leaves ids out.
 */
export function asOfCandidates(
  ctx: ModelContext,
  scope: Scope,
  at: unknown,
  where?: Fragment,
  except: readonly string[] = [],
): Fragment {
  const { idCol, to } = validity(ctx)
  const not = (alias: string) => q`${id(alias)}.${idCol} NOT IN (${join(except.map((i) => q`${i}`))})`
  const scoped = scope.tenants ? scope.tenantPredicate('k') : undefined
  const conditions = [scoped, where, except.length > 0 ? not('k') : undefined].filter(
    (c): c is Fragment => c !== undefined && c.parts.length > 0,
  )
  const main = q`SELECT k.${idCol} AS id FROM ${ctx.main} AS k${conditions.length > 0 ? q` WHERE ${and(conditions)}` : q``}`
  if (!scope.tenants) return main
  return q`${main} UNION SELECT t.${idCol} AS id FROM ${ctx.history} AS t
        WHERE t.${id(CLOSED_BY)} = 'TRANSFER' AND ${scope.tenantPredicate('t')} AND t.${to} > ${at}${except.length > 0 ? q` AND ${not('t')}` : q``}`
}

/**
 * The history versions valid at `at` of the candidates, each found by a correlated index lookup.
 * The candidates sit in one more derived table: MariaDB 10.11 executes the statement once as a
 * server-side prepared statement, then fails every later execution with "Unknown column 'k2.id'"
 * when the correlated subquery reads a UNION derived table directly (seen with mysql2 execute).
 */
export function correlatedVersions(ctx: ModelContext, candidates: Fragment, at: unknown): Fragment {
  const { idCol, from, to } = validity(ctx)
  return q`SELECT ${ctx.select('h')} FROM (
        SELECT k2.id, (SELECT m.${from} FROM ${ctx.history} AS m WHERE m.${idCol} = k2.id AND m.${from} <= ${at}
          ORDER BY m.${from} DESC LIMIT 1) AS vf
        FROM (SELECT * FROM (${candidates}) AS k0) AS k2) AS last
      JOIN ${ctx.history} AS h ON h.${idCol} = last.id AND h.${from} = last.vf
      WHERE h.${to} > ${at}`
}

/**
 * Each candidate record's version valid at `at`, as a derived table (without alias): the current row
 * when it was already valid then, else the closed version found by `correlatedVersions`. The tenant
 * and soft-delete predicates apply to the versions (the caller adds them on the alias).
 */
export function versionsAt(ctx: ModelContext, candidates: Fragment, at: unknown): Fragment {
  const { idCol, from } = validity(ctx)
  return q`(SELECT ${ctx.select('c')} FROM (${candidates}) AS k1 JOIN ${ctx.main} AS c ON c.${idCol} = k1.id WHERE c.${from} <= ${at}
      UNION ALL ${correlatedVersions(ctx, candidates, at)})`
}

/**
 * One record's version at an instant, as `r`: the current row if it was already valid then, else
 * the newest closed version that started by then (a backward index scan on (id, valid_from): the
 * cost does not grow with the number of versions), if it was still valid then. `recordId` and `at`
 * may be Slots (the get-by-id statement is compiled once).
 */
function versionAt(ctx: ModelContext, recordId: unknown, at: unknown): Fragment {
  const { idCol, from, to } = validity(ctx)
  return q`(SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE c.${idCol} = ${recordId} AND c.${from} <= ${at}
      UNION ALL SELECT ${ctx.select('v')} FROM (SELECT ${ctx.select('h')} FROM ${ctx.history} AS h
        WHERE h.${idCol} = ${recordId} AND h.${from} <= ${at} ORDER BY h.${from} DESC LIMIT 1) AS v WHERE v.${to} > ${at}) AS r`
}

/**
 * The get-by-id statement as of an instant: one record's version at `at` that passes `filter` (the
 * scope's read predicates on an alias), or no row. Where derived unions are planned inline the
 * filter applies to `versionAt` as `r`. Elsewhere (MariaDB materializes that derived table, and
 * the one around `LIMIT 1`, on every execution) it is a top-level `UNION ALL` of index lookups
 * with the filter in each branch: the current row if valid then; else, when the current row
 * started after `at` (the only case a closed version can be valid then: intervals are contiguous
 * up to the current row, which MariaDB reads as a constant, skipping the branch when it started by
 * then), the closed version whose `valid_from` is the newest not after `at` (a MIN/MAX lookup on
 * (id, valid_from) resolved while optimizing, then an equality lookup: one index entry however
 * many versions follow) if still valid then. The filter sits outside the choice of that version,
 * so it never picks an older one instead.
 */
export function versionByIdAt(
  ctx: ModelContext,
  recordId: unknown,
  at: unknown,
  filter: (alias: string) => Fragment[],
): Fragment {
  const { idCol, from, to } = validity(ctx)
  if (ctx.dialect.capabilities.inlineDerivedUnions) {
    const where = and([q`r.${idCol} = ${recordId}`, ...filter('r')])
    return q`SELECT ${ctx.select('r')} FROM ${versionAt(ctx, recordId, at)} WHERE ${where}`
  }
  const current = and([q`c.${idCol} = ${recordId}`, q`c.${from} <= ${at}`, ...filter('c')])
  const newest = q`SELECT max(m.${from}) FROM ${ctx.history} AS m WHERE m.${idCol} = ${recordId} AND m.${from} <= ${at}`
  const closed = and([
    q`k.${idCol} = ${recordId}`,
    q`k.${from} > ${at}`,
    q`h.${from} = (${newest})`,
    q`h.${to} > ${at}`,
    ...filter('h'),
  ])
  return q`SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE ${current}
      UNION ALL SELECT ${ctx.select('h')} FROM ${ctx.main} AS k JOIN ${ctx.history} AS h ON h.${idCol} = k.${idCol} WHERE ${closed}`
}

/**
 * Each record's version at `at`, as `r` (of `ids`, or of every candidate: the records in scope now
 * plus those that left the scope by a transfer after the instant). For each, its version is found
 * with one index lookup (the newest `valid_from` not after the instant, `ORDER BY … DESC LIMIT 1` on
 * `(id, valid_from)`), so the cost grows with the records listed, not with their history.
 * A step of a read plan: it yields a statement only on the lookups path.
 */
export function* asOfSource(ctx: ModelContext, scope: Scope, at: Date, ids?: readonly string[]): PlanSteps<Fragment> {
  if (!ctx.dialect.capabilities.correlatedTopN) return yield* sourceByLookups(ctx, scope, at, ids)
  const { idCol } = validity(ctx)
  const candidates = ids
    ? q`SELECT k.${idCol} AS id FROM ${ctx.main} AS k WHERE ${idIn(ctx, 'k', ids)}`
    : asOfCandidates(ctx, scope, at)
  return q`${versionsAt(ctx, candidates, at)} AS r`
}

/**
 * `asOfSource` on engines whose correlated `ORDER BY … LIMIT 1` reads every index entry under the id
 * (MariaDB): the records changed since the instant are fetched first (one indexed query), then each
 * one's version is found by a lookup on constants, which seeks straight to (id, instant). Records
 * changed between the two statements are caught by a correlated lookup restricted to them.
 */
function* sourceByLookups(ctx: ModelContext, scope: Scope, at: Date, ids?: readonly string[]): PlanSteps<Fragment> {
  const { idCol, from, to } = validity(ctx)
  const lookup = (recordId: string) =>
    q`(SELECT ${ctx.select('h')} FROM ${ctx.history} AS h WHERE h.${idCol} = ${recordId} AND h.${from} <= ${at} ORDER BY h.${from} DESC LIMIT 1)`
  const looked = (list: readonly string[]) =>
    list.length === 0
      ? q``
      : q` UNION ALL SELECT * FROM (${join(list.map(lookup), ' UNION ALL ')}) AS v WHERE v.${to} > ${at}`
  if (ids) {
    // the given ids (distinct): each looked up, or beyond MAX_LOOKUPS every version valid then
    const current = q`SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE ${idIn(ctx, 'c', ids)} AND c.${from} <= ${at}`
    return ids.length <= MAX_LOOKUPS
      ? q`(${current}${looked(ids)}) AS r`
      : q`(${current} UNION ALL SELECT ${ctx.select('h')} FROM ${ctx.history} AS h WHERE ${idIn(ctx, 'h', ids)} AND h.${from} <= ${at} AND h.${to} > ${at}) AS r`
  }
  const changed = q`k.${from} > ${at}`
  const { rows } = yield compile(q`${asOfCandidates(ctx, scope, at, changed)} LIMIT ${MAX_LOOKUPS + 1}`, ctx.dialect)
  const known = rows.length <= MAX_LOOKUPS ? rows.map((r) => r.id as string) : []
  const inScope = scope.tenants ? q` AND ${scope.tenantPredicate('c')}` : q``
  return q`(SELECT ${ctx.select('c')} FROM ${ctx.main} AS c WHERE c.${from} <= ${at}${inScope}${looked(known)}
      UNION ALL ${correlatedVersions(ctx, asOfCandidates(ctx, scope, at, changed, known), at)}) AS r`
}

/** The versions of one record in scope (all, or those listed), version ascending, deleted ones included. */
export function versionsPlan(
  ctx: ModelContext,
  scope: Scope,
  recordId: string,
  versions?: readonly number[],
): Plan<Record<string, unknown>[]> {
  const role = ctx.def.roles
  const v = id(validityOf(ctx.def).version.column)
  const predicates = [q`r.${id(role.id.column)} = ${recordId}`, scope.tenantPredicate('r')]
  if (versions !== undefined) predicates.push(q`r.${v} IN (${join(versions.map((n) => q`${n}`))})`)
  const statement = compile(
    q`SELECT ${ctx.select('r')} FROM (SELECT ${ctx.select('c')} FROM ${ctx.main} AS c UNION ALL SELECT ${ctx.select('h')} FROM ${ctx.history} AS h) AS r
        WHERE ${and(predicates.filter((p) => p.parts.length > 0))} ORDER BY r.${v}`,
    ctx.dialect,
  )
  return plan('read', () => readVersions(ctx, statement))
}

// module-level generator functions (see repository/reads.ts: a generator closure per call is slow)
function* readVersions(ctx: ModelContext, statement: Statement): PlanSteps<Row[]> {
  const { rows } = yield statement
  return rows.map((r) => ctx.decode(r))
}

/** One entry of a record's version timeline. */
export interface TimelineEntry {
  readonly version: number
  readonly validFrom: Date
  readonly validTo: Date | null
  readonly isCurrent: boolean
  readonly isDeleted: boolean
}

/** The timeline of decoded versions (as `versionsPlan` returns them). */
export function timeline(ctx: ModelContext, versions: readonly Record<string, unknown>[]): TimelineEntry[] {
  const { version, from, to } = validityOf(ctx.def)
  const deletedAt = ctx.def.roles.softDelete?.at
  return versions.map((v) => {
    const validTo = v[to.name] as Date | null
    return {
      version: v[version.name] as number,
      validFrom: v[from.name] as Date,
      validTo,
      isCurrent: validTo === null,
      isDeleted: deletedAt !== undefined && v[deletedAt.name] !== null,
    }
  })
}

/** Field by field: the values of two versions and whether they differ. */
export type Comparison = Record<string, { old: unknown; new: unknown; changed: boolean }>

/**
 * Two versions of a record in one statement, compared field by field (user fields); `missing` names
 * the first of the two versions the record does not have.
 */
export function comparePlan(
  ctx: ModelContext,
  scope: Scope,
  recordId: string,
  from: number,
  to: number,
): Plan<{ comparison: Comparison } | { missing: number }> {
  const versions = versionsPlan(ctx, scope, recordId, from === to ? [from] : [from, to])
  return plan('read', () => compared(ctx, versions, from, to))
}

function* compared(
  ctx: ModelContext,
  versions: Plan<Row[]>,
  from: number,
  to: number,
): PlanSteps<{ comparison: Comparison } | { missing: number }> {
  const rows = yield* versions.steps()
  const vName = validityOf(ctx.def).version.name
  const a = rows.find((r) => r[vName] === from)
  const b = rows.find((r) => r[vName] === to)
  if (!a || !b) return { missing: !a ? from : to }
  const comparison: Comparison = {}
  for (const f of ctx.def.userFields)
    comparison[f.name] = { old: a[f.name], new: b[f.name], changed: !sameValue(f, a[f.name], b[f.name]) }
  return { comparison }
}
