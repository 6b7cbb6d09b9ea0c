import type { ModelContext } from '../mapping/model-context.js'
import type { FieldDef } from '../model/define-model.js'
import { validityOf } from '../model/system-fields.js'
import { CLOSED_BY } from '../schema/from-models.js'
import { type Fragment, id, join, q, raw } from '../sql/fragment.js'
import type { Strategy } from './strategy.js'

/**
 * temporal: 'scd2' — the main table holds the current version (version number, valid from); a
 * change copies the version it replaces to the history table, closed (valid to) at the change's
 * time, then writes the new version (version + 1, valid from that time). Intervals are never empty:
 * a change takes at least 1 ms after the version it closes. Purge removes every version.
 */
export function scd2(ctx: ModelContext): Strategy {
  const role = ctx.def.roles
  const { version, from: validFrom, to: validTo } = validityOf(ctx.def)
  const into = q`INSERT INTO ${ctx.history} (${ctx.columnList()}, ${id(CLOSED_BY)})`
  /** The closed version of a row: every column as it was, valid to `ts`. */
  const closed = (value: (f: FieldDef) => Fragment, ts: Fragment) =>
    join(ctx.columns.map((f) => (f === validTo ? ts : value(f))))
  return {
    inserted: (now) => [
      [version, q`1`],
      [validFrom, now],
    ],
    floorSql: (column) => ctx.dialect.readSql.afterMillisecond(column(validFrom)),
    floorOf: (locked) => (locked[validFrom.column] as Date).getTime() + 1,
    versionSets: (old, ts) => [q`${id(version.column)} = ${old(version)} + 1`, q`${id(validFrom.column)} = ${ts}`],
    versionValues: (locked, ts) => [
      [version, Number(locked[version.column]) + 1],
      [validFrom, ts],
    ],
    history: {
      cte: (operation, where) =>
        q`hist AS (${into} SELECT ${closed((f) => q`old.${id(f.column)}`, q`ts.v`)}, ${raw(`'${operation}'`)} FROM old, ts WHERE ${where})`,
      copy: (where, ts, operation) =>
        q`${into} SELECT ${closed((f) => q`${id(f.column)}`, ts)}, ${operation} FROM ${ctx.main} WHERE ${where}`,
    },
    audited: false,
    trails: [[ctx.history, role.id.column]],
  }
}
