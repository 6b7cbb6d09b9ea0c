/**
 * The session sql_mode every MySQL/MariaDB connection runs with: the server's (or the session's)
 * mode, without the flags that change what the library's SQL means, plus the three it relies on.
 * Generated DDL and compound statements quote literals with backslash escapes and identifiers with
 * double quotes, read CHAR(n) values back as stored and use `||` as OR nowhere: a server configured
 * otherwise must not make them mean something else.
 */

/** Added: errors instead of silent truncation, no engine swap, "double-quoted" identifiers. */
const REQUIRED = ['STRICT_ALL_TABLES', 'NO_ENGINE_SUBSTITUTION', 'ANSI_QUOTES']

/**
 * Removed, with why:
 * - NO_BACKSLASH_ESCAPES: '\\' in generated literals (defaults, enum CHECKs) would be two characters.
 * - PAD_CHAR_TO_FULL_LENGTH: CHAR(n) values read back padded with spaces (false changes, missed filters).
 * - PIPES_AS_CONCAT, IGNORE_SPACE, REAL_AS_FLOAT, HIGH_NOT_PRECEDENCE: change the meaning of `||`,
 *   of function names followed by a space, of REAL columns and of NOT … BETWEEN.
 * - EMPTY_STRING_IS_NULL (MariaDB): '' would be stored as NULL.
 * - SIMULTANEOUS_ASSIGNMENT (MariaDB): changes what `SET a = b, b = a` in an UPDATE assigns.
 * - TIME_ROUND_FRACTIONAL (MySQL): rounds fractional seconds where the library expects truncation.
 * - ALLOW_INVALID_DATES: accepts '2024-02-30'.
 * - NO_KEY_OPTIONS, NO_TABLE_OPTIONS, NO_FIELD_OPTIONS: SHOW CREATE TABLE would leave out index,
 *   table and column options (what an operator compares with the generated DDL).
 * - the combination modes that switch several of these on (ANSI, ORACLE, MSSQL, DB2, POSTGRESQL,
 *   MAXDB, MYSQL323, MYSQL40): the server lists their parts as well, and those that are harmless stay.
 */
const REMOVED = new Set([
  'NO_BACKSLASH_ESCAPES',
  'PAD_CHAR_TO_FULL_LENGTH',
  'PIPES_AS_CONCAT',
  'IGNORE_SPACE',
  'REAL_AS_FLOAT',
  'HIGH_NOT_PRECEDENCE',
  'EMPTY_STRING_IS_NULL',
  'SIMULTANEOUS_ASSIGNMENT',
  'TIME_ROUND_FRACTIONAL',
  'ALLOW_INVALID_DATES',
  'NO_KEY_OPTIONS',
  'NO_TABLE_OPTIONS',
  'NO_FIELD_OPTIONS',
  'ANSI',
  'ORACLE',
  'MSSQL',
  'DB2',
  'POSTGRESQL',
  'MAXDB',
  'MYSQL323',
  'MYSQL40',
])

/** The mode to set, given `@@session.sql_mode` of a fresh connection (a comma-separated list). */
export function sessionSqlMode(current: string): string {
  const kept = current
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '' && !REMOVED.has(m) && !REQUIRED.includes(m))
  return [...new Set(kept), ...REQUIRED].join(',')
}
