import type { FieldDef } from '../model/define-model.js'
import type { Fragment } from '../sql/fragment.js'

/**
 * The SQL pieces reads write differently per engine (hooks, never text rewrites). Pure: fragments in,
 * fragments out.
 */
export interface ReadSql {
  /** `column` matches `pattern` without regard to case. */
  ilike(column: Fragment, pattern: string): Fragment
  /**
   * `column IN (values)` / `NOT IN`: on PostgreSQL one array parameter cast to `elementType[]` (any
   * length), elsewhere one placeholder per value (at most `maxInList`).
   */
  inList(column: Fragment, values: readonly unknown[], negated: boolean, elementType: () => string): Fragment
  /** The most values `inList` takes in one statement; undefined: no limit (one parameter). */
  readonly maxInList: number | undefined
  /** NULL sorts after every value in ascending order (PostgreSQL), not before it (MySQL/MariaDB). */
  readonly nullsLastAscending: boolean
  /** A JSON column read as its text (decoded by the caller: one decoding path on every engine). */
  jsonText(column: Fragment): Fragment
  /** The instant 1 ms after `t` (an scd2 version never starts at the instant the one it closes did). */
  afterMillisecond(t: Fragment): Fragment
  /**
   * `column` holds `value` exactly as the model compares values (`sameValue`: text byte for byte,
   * numbers and instants exactly, NULL equal to NULL), as a predicate; undefined for a type whose
   * equality the engine cannot state in SQL (the caller then compares in JS).
   */
  sameValue(f: FieldDef, column: Fragment, value: Fragment): Fragment | undefined
}
