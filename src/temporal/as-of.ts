import type { ModelContext } from '../mapping/model-context.js'
import { CLOSED_BY } from '../schema/from-models.js'
import { and, type Scope } from '../scope/scope.js'
import { type Fragment, id, join, q } from '../sql/fragment.js'

/**
 * scd2 time travel as SQL, shared by the repository (`get`/`list`/`count` with `asOf`) and the scoped
 * query builder (`db.scoped(models, { asOf })`): one definition of "the version valid at an instant".
 * Pure: fragments only, no I/O.
 */

function validity(ctx: ModelContext) {
  const s = ctx.def.system
  return { idCol: id(s.id!.column), from: id(s.validFrom!.column), to: id(s.validTo!.column) }
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
