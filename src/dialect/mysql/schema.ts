import type { LogicalType } from '../../model/logical-type.js'
import type { ColumnDesc, ForeignKeyDesc, IndexDesc, TableDesc } from '../../schema/types.js'
import { type DdlRenderer, type DdlTimeouts, stringLiteral, type TypeRenderer } from '../ddl.js'
import { quoteMysqlId as q } from './quote.js'

/** Type names as MySQL's information_schema.COLUMNS.COLUMN_TYPE prints them (display widths dropped). */
export const mysqlTypes: TypeRenderer = {
  columnType(type: LogicalType): string {
    switch (type.kind) {
      case 'string':
        // exact text (ids): bytes compare with no case folding and, unlike utf8mb4_bin (PAD SPACE), no
        // trailing-space padding; 4 bytes per character of utf8mb4
        if (type.exact && type.maxLength !== undefined) return `varbinary(${type.maxLength * 4})`
        // unbounded: LONGTEXT (4 GB); TEXT would cut at 64 KB, MEDIUMTEXT at 16 MB
        return type.maxLength === undefined ? 'longtext' : `varchar(${type.maxLength})`
      case 'uuid':
        return 'char(36)'
      case 'date':
        return 'date'
      case 'integer':
        return type.size === 'int' ? 'int' : 'bigint'
      case 'bigint':
        return 'bigint'
      case 'float':
        return 'double'
      case 'decimal':
        return `decimal(${type.precision},${type.scale})`
      case 'boolean':
        return 'tinyint(1)'
      case 'timestamp':
        return 'datetime(3)'
      case 'enum':
        return `varchar(${Math.max(1, ...type.values.map((v) => v.length))})`
      case 'json':
      case 'array':
        return 'json'
      case 'native':
        return type.sql
    }
  },
  literal(value: unknown, type: LogicalType): string {
    if (value === null) return 'NULL'
    const kind = type.kind === 'native' ? type.value?.kind : type.kind
    if (kind === 'json' || kind === 'array') return stringLiteral(JSON.stringify(value), true)
    if (typeof value === 'boolean') return value ? '1' : '0'
    if (typeof value === 'number' || typeof value === 'bigint') return String(value)
    if (value instanceof Date) return stringLiteral(value.toISOString().replace('T', ' ').replace('Z', ''), true)
    if (kind === 'decimal' && /^-?\d+(\.\d+)?$/.test(String(value))) return String(value)
    return stringLiteral(String(value), true)
  },
  now: 'current_timestamp(3)',
  serialType: 'bigint',
}

const qualify = (_schema: string | undefined, name: string): string => q(name)
const list = (names: readonly string[]): string => names.map(q).join(', ')

function columnSql(c: ColumnDesc): string {
  const parts = [q(c.name), c.type]
  if (c.generated !== undefined) parts.push(`GENERATED ALWAYS AS (${c.generated}) STORED`)
  if (!c.nullable && c.generated === undefined) parts.push('NOT NULL')
  if (c.nullable && c.generated === undefined) parts.push('NULL')
  if (c.identity) parts.push('AUTO_INCREMENT')
  if (c.default !== undefined) parts.push(`DEFAULT ${c.default}`)
  return parts.join(' ')
}

function fkSql(fk: ForeignKeyDesc): string {
  return `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${list(fk.columns)}) REFERENCES ${q(fk.refTable)} (${list(fk.refColumns)}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
}

function indexSql(i: IndexDesc): string {
  if (i.where !== undefined) {
    throw new Error(`MySQL has no partial indexes: index ${i.name} has WHERE ${i.where}`)
  }
  const method = i.method && i.method !== 'btree' ? ` USING ${i.method.toUpperCase()}` : ''
  const columns = i.columns.map((c, n) => `${q(c)}${i.descending?.[n] ? ' DESC' : ''}`).join(', ')
  return `${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} (${columns})${method}`
}

/**
 * MySQL and MariaDB: InnoDB, utf8mb4 with a binary NO PAD collation, so text compares as exactly as
 * on PostgreSQL — byte for byte, no case folding, and trailing spaces count (`utf8mb4_bin` is PAD
 * SPACE: `'a'` = `'a '` in filters and unique indexes). `collation`: the engine's name for it.
 */
const mysqlFamilyDdl = (collation: string): DdlRenderer => ({
  qualify,
  createSchema: (name) => `CREATE DATABASE IF NOT EXISTS ${q(name)}`,
  createTable(t: TableDesc): string[] {
    const items = t.columns.map((c) => `  ${columnSql(c)}`)
    if (t.primaryKey) items.push(`  PRIMARY KEY (${list(t.primaryKey.columns)})`)
    for (const i of t.indexes) items.push(`  ${indexSql(i)}`)
    for (const fk of t.foreignKeys) items.push(`  ${fkSql(fk)}`)
    for (const c of t.checks) items.push(`  CONSTRAINT ${q(c.name)} CHECK (${c.expression})`)
    return [
      `CREATE TABLE ${q(t.name)} (\n${items.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`,
    ]
  },
  dropTable: (t) => `DROP TABLE ${q(t.name)}`,
  addColumn: (t, c) => `ALTER TABLE ${q(t.name)} ADD COLUMN ${columnSql(c)}`,
  dropColumn: (t, name) => `ALTER TABLE ${q(t.name)} DROP COLUMN ${q(name)}`,
  alterColumnType: (t, c) => `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${columnSql(c)}`,
  setNullable: (t, c) => `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${columnSql(c)}`,
  setDefault: (t, c) =>
    `ALTER TABLE ${q(t.name)} ALTER COLUMN ${q(c.name)} ${c.default === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${c.default}`}`,
  createIndex: (t, i) => `ALTER TABLE ${q(t.name)} ADD ${indexSql(i)}`,
  dropIndex: (t, i) => `ALTER TABLE ${q(t.name)} DROP INDEX ${q(i.name)}`,
  // one ALTER is atomic in InnoDB: if the new index cannot be built, the old one stays
  replaceIndex: (t, from, to) => [`ALTER TABLE ${q(t.name)} DROP INDEX ${q(from.name)}, ADD ${indexSql(to)}`],
  addPrimaryKey: (t, pk) => `ALTER TABLE ${q(t.name)} ADD PRIMARY KEY (${list(pk.columns)})`,
  dropPrimaryKey: (t) => `ALTER TABLE ${q(t.name)} DROP PRIMARY KEY`,
  addForeignKey: (t, fk) => `ALTER TABLE ${q(t.name)} ADD ${fkSql(fk)}`,
  dropForeignKey: (t, name) => `ALTER TABLE ${q(t.name)} DROP FOREIGN KEY ${q(name)}`,
  addCheck: (t, c) => `ALTER TABLE ${q(t.name)} ADD CONSTRAINT ${q(c.name)} CHECK (${c.expression})`,
  dropCheck: (t, name) => `ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(name)}`,
  createIndexOnline: (t, i, from) => ({
    sql: [
      `ALTER TABLE ${q(t.name)} ${from ? `DROP INDEX ${q(from.name)}, ` : ''}ADD ${indexSql(i)}, ALGORITHM=INPLACE, LOCK=NONE`,
    ],
    outsideTransaction: false,
    cleanup: [],
  }),
  // MySQL 8 has no per-statement setting for DDL (MariaDB's SET STATEMENT below)
  timeouts: () => ({ session: [], wrap: (sql) => sql }),
  lockTimeoutCodes: ['1205'],
  // one ALTER: if rows violate the new check, the old one stays
  replaceCheck: (t, from, c) => [
    `ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(from)}, ADD CONSTRAINT ${q(c.name)} CHECK (${c.expression})`,
  ],
  textCollation: collation,
  // the table's default and every text column (JSON included on MariaDB, where it is longtext)
  convertCollation: (t, to) => `ALTER TABLE ${q(t.name)} CONVERT TO CHARACTER SET utf8mb4 COLLATE ${to}`,
})

/** MySQL 8.0.17 and later: `utf8mb4_0900_bin` is the binary NO PAD collation. */
export const mysqlDdl: DdlRenderer = Object.freeze(mysqlFamilyDdl('utf8mb4_0900_bin'))

/** MariaDB: per-statement bounds (`SET STATEMENT … FOR`), so no session setting outlives the sync. */
export const mariadbDdl: DdlRenderer = Object.freeze({
  ...mysqlFamilyDdl('utf8mb4_nopad_bin'),
  timeouts(o: DdlTimeouts) {
    const settings = [
      ...(o.lockTimeoutMs !== undefined ? [`lock_wait_timeout=${Math.max(1, Math.ceil(o.lockTimeoutMs / 1000))}`] : []),
      ...(o.statementTimeoutMs !== undefined
        ? [`max_statement_time=${Math.max(0.001, o.statementTimeoutMs / 1000)}`]
        : []),
    ]
    return {
      session: [],
      wrap: (sql: string) => (settings.length ? `SET STATEMENT ${settings.join(', ')} FOR ${sql}` : sql),
    }
  },
})
