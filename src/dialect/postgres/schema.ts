import type { LogicalType } from '../../model/logical-type.js'
import { shortName } from '../../schema/names.js'
import type { ColumnDesc, ForeignKeyDesc, IndexDesc, TableDesc } from '../../schema/types.js'
import { type DdlRenderer, stringLiteral, type TypeRenderer } from '../ddl.js'
import { quotePostgresId as q } from './quote.js'

/** Type names as PostgreSQL's `format_type` prints them. */
export const postgresTypes: TypeRenderer = {
  columnType(type: LogicalType): string {
    switch (type.kind) {
      case 'string':
        return type.maxLength === undefined ? 'text' : `character varying(${type.maxLength})`
      case 'uuid':
        return 'uuid'
      case 'date':
        return 'date'
      case 'integer':
        return type.size === 'int' ? 'integer' : 'bigint'
      case 'bigint':
        return 'bigint'
      case 'float':
        return 'double precision'
      case 'decimal':
        return `numeric(${type.precision},${type.scale})`
      case 'boolean':
        return 'boolean'
      case 'timestamp':
        return 'timestamp(3) with time zone'
      case 'enum':
        return 'text'
      case 'json':
        return 'jsonb'
      case 'array':
        return `${postgresTypes.columnType(type.element)}[]`
      case 'native':
        return type.sql
    }
  },
  literal(value: unknown, type: LogicalType): string {
    if (value === null) return 'NULL'
    const kind = type.kind === 'native' ? type.value?.kind : type.kind
    if (kind === 'json') return `${stringLiteral(JSON.stringify(value), false)}::jsonb`
    if (kind === 'array' && Array.isArray(value)) {
      const body = value
        .map((v) => (v === null ? 'NULL' : `"${String(v).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`))
        .join(',')
      return `${stringLiteral(`{${body}}`, false)}::${postgresTypes.columnType(type)}`
    }
    if (typeof value === 'boolean') return value ? 'true' : 'false'
    if (typeof value === 'number' || typeof value === 'bigint') return String(value)
    if (value instanceof Date) return stringLiteral(value.toISOString(), false)
    if (kind === 'decimal' && /^-?\d+(\.\d+)?$/.test(String(value))) return String(value)
    return stringLiteral(String(value), false)
  },
  now: 'now()',
  serialType: 'bigint',
}

const qualify = (schema: string | undefined, name: string): string => (schema ? `${q(schema)}.${q(name)}` : q(name))
const list = (names: readonly string[]): string => names.map(q).join(', ')

function columnSql(c: ColumnDesc): string {
  const parts = [q(c.name), c.type]
  if (c.identity) parts.push('GENERATED ALWAYS AS IDENTITY')
  if (c.generated !== undefined) parts.push(`GENERATED ALWAYS AS (${c.generated}) STORED`)
  if (c.default !== undefined) parts.push(`DEFAULT ${c.default}`)
  if (!c.nullable) parts.push('NOT NULL')
  return parts.join(' ')
}

function fkSql(fk: ForeignKeyDesc): string {
  return `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${list(fk.columns)}) REFERENCES ${qualify(fk.refSchema, fk.refTable)} (${list(fk.refColumns)}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
}

export const postgresDdl: DdlRenderer = {
  qualify,
  createSchema: (name) => `CREATE SCHEMA IF NOT EXISTS ${q(name)}`,
  createTable(t: TableDesc): string[] {
    const items = t.columns.map((c) => `  ${columnSql(c)}`)
    if (t.primaryKey) items.push(`  CONSTRAINT ${q(t.primaryKey.name)} PRIMARY KEY (${list(t.primaryKey.columns)})`)
    for (const fk of t.foreignKeys) items.push(`  ${fkSql(fk)}`)
    for (const c of t.checks) items.push(`  CONSTRAINT ${q(c.name)} CHECK (${c.expression})`)
    return [
      `CREATE TABLE ${qualify(t.schema, t.name)} (\n${items.join(',\n')}\n)`,
      ...t.indexes.map((i) => postgresDdl.createIndex(t, i)),
    ]
  },
  dropTable: (t) => `DROP TABLE ${qualify(t.schema, t.name)}`,
  addColumn: (t, c) => `ALTER TABLE ${qualify(t.schema, t.name)} ADD COLUMN ${columnSql(c)}`,
  dropColumn: (t, name) => `ALTER TABLE ${qualify(t.schema, t.name)} DROP COLUMN ${q(name)}`,
  alterColumnType: (t, c) =>
    `ALTER TABLE ${qualify(t.schema, t.name)} ALTER COLUMN ${q(c.name)} TYPE ${c.type} USING ${q(c.name)}::${c.type}`,
  setNullable: (t, c) =>
    `ALTER TABLE ${qualify(t.schema, t.name)} ALTER COLUMN ${q(c.name)} ${c.nullable ? 'DROP' : 'SET'} NOT NULL`,
  setDefault: (t, c) =>
    `ALTER TABLE ${qualify(t.schema, t.name)} ALTER COLUMN ${q(c.name)} ${c.default === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${c.default}`}`,
  createIndex(t: TableDesc, i: IndexDesc): string {
    const method = i.method && i.method !== 'btree' ? ` USING ${i.method}` : ''
    const where = i.where !== undefined ? ` WHERE ${i.where}` : ''
    const columns = i.columns.map((c, n) => `${q(c)}${i.descending?.[n] ? ' DESC' : ''}`).join(', ')
    return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${qualify(t.schema, t.name)}${method} (${columns})${where}`
  },
  dropIndex: (t, i) =>
    i.constraint
      ? `ALTER TABLE ${qualify(t.schema, t.name)} DROP CONSTRAINT ${q(i.name)}`
      : `DROP INDEX ${qualify(t.schema, i.name)}`,
  // the plan runs in one transaction: a failure leaves the old index
  replaceIndex: (t, from, to) => [postgresDdl.dropIndex(t, from), postgresDdl.createIndex(t, to)],
  addPrimaryKey: (t, pk) =>
    `ALTER TABLE ${qualify(t.schema, t.name)} ADD CONSTRAINT ${q(pk.name)} PRIMARY KEY (${list(pk.columns)})`,
  dropPrimaryKey: (t, name) => `ALTER TABLE ${qualify(t.schema, t.name)} DROP CONSTRAINT ${q(name)}`,
  addForeignKey: (t, fk) => `ALTER TABLE ${qualify(t.schema, t.name)} ADD ${fkSql(fk)}`,
  dropForeignKey: (t, name) => `ALTER TABLE ${qualify(t.schema, t.name)} DROP CONSTRAINT ${q(name)}`,
  addCheck: (t, c) => `ALTER TABLE ${qualify(t.schema, t.name)} ADD CONSTRAINT ${q(c.name)} CHECK (${c.expression})`,
  dropCheck: (t, name) => `ALTER TABLE ${qualify(t.schema, t.name)} DROP CONSTRAINT ${q(name)}`,
  createIndexOnline(t, i, from) {
    const concurrently = (x: IndexDesc) =>
      postgresDdl.createIndex(t, x).replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')
    const drop = (name: string) => `DROP INDEX CONCURRENTLY IF EXISTS ${qualify(t.schema, name)}`
    if (!from) return { sql: [concurrently(i)], outsideTransaction: true, cleanup: [drop(i.name)] }
    // build the new index beside the old one, then swap: the table is never without it
    const temp = shortName(`${i.name}_ff_new`)
    return {
      sql: [
        concurrently({ ...i, name: temp }),
        from.constraint ? postgresDdl.dropIndex(t, from) : drop(from.name),
        `ALTER INDEX ${qualify(t.schema, temp)} RENAME TO ${q(i.name)}`,
      ],
      outsideTransaction: true,
      cleanup: [drop(temp)],
    }
  },
  timeouts: (o) => ({
    session: [
      ...(o.lockTimeoutMs !== undefined
        ? [`SET LOCAL lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs))}`]
        : []),
      ...(o.statementTimeoutMs !== undefined
        ? [`SET LOCAL statement_timeout = ${Math.max(1, Math.round(o.statementTimeoutMs))}`]
        : []),
    ],
    wrap: (sql) => sql,
  }),
  lockTimeoutCodes: ['55P03'],
  replaceCheck: (t, from, c) => [
    `ALTER TABLE ${qualify(t.schema, t.name)} DROP CONSTRAINT ${q(from)}, ADD CONSTRAINT ${q(c.name)} CHECK (${c.expression})`,
  ],
}
