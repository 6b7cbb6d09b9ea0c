import type { ModelContext } from '../mapping/model-context.js'
import type { FieldDef } from '../model/define-model.js'
import type { Fragment } from '../sql/fragment.js'
import type { Row } from './requests.js'

/**
 * What a temporal strategy adds to the writes every model does (insert, change, delete, purge, and
 * their set forms). The steps are written once, in the plans of `insert.ts`, `change.ts`,
 * `remove.ts` and `set-change.ts`; a strategy (`none.ts`, `copy-on-change.ts`, `scd2.ts`) says what
 * it writes besides the row itself. No strategy names are compared anywhere else.
 */
export interface Strategy {
  /** Columns an insert generates besides created/updated at/by (scd2: version 1, valid from now). */
  inserted(now: Fragment): [FieldDef, Fragment][]
  /**
   * The earliest timestamp a change may take, per record (time never runs backwards, scd2 intervals
   * are never empty), from a column of the old row: `column` reads it (`max(…)` in a set write).
   */
  floorSql(column: (f: FieldDef) => Fragment): Fragment
  /** The same from a locked row, in milliseconds. */
  floorOf(locked: Row): number
  /** SET items of the new version besides the values and updated at/by; `old` reads the old row's column. */
  versionSets(old: (f: FieldDef) => Fragment, ts: Fragment): Fragment[]
  /** The values of those items computed from a locked row (they also go into the row written out). */
  versionValues(locked: Row, ts: Date): [FieldDef, unknown][]
  /** scd2: the version being replaced is copied to the history table. */
  readonly history?: {
    /** Inside a data-modifying CTE: copy the rows of `old` that satisfy `where`, closed at `ts.v`. */
    cte(operation: string, where: Fragment): Fragment
    /**
     * Engines without data-modifying CTEs: copy the rows of the main table that satisfy `where`
     * (rows this transaction has locked, so as they were read), closed at `ts`, in one INSERT …
     * SELECT: the server copies every column as stored, nothing is sent back.
     */
    copy(where: Fragment, ts: Fragment, operation: string): Fragment
  }
  /** copy_on_change: every write records one audit entry per field it changes. */
  readonly audited: boolean
  /** Tables purged with a record, each with the column holding the record's id. */
  readonly trails: readonly (readonly [table: Fragment, column: string])[]
}

export type StrategyOf = (ctx: ModelContext) => Strategy
