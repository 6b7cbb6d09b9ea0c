import type { Dialect } from '../dialect/dialect.js'
import type { ModelDef } from '../model/define-model.js'
import { validityOf } from '../model/system-fields.js'
import { schemaOn } from './columns.js'
import { constraintName, withSuffix } from './names.js'
import type { ColumnDesc, IndexDesc, TableDesc } from './types.js'

const AUDIT_OPERATIONS = ['INSERT', 'UPDATE', 'DELETE', 'RESTORE', 'TRANSFER'] as const

/** The audit table of a copy_on_change model: `auditTable`, or `{table}_audit` shortened to fit. */
export const auditTableName = (def: Pick<ModelDef, 'table' | 'auditTable'>): string =>
  def.auditTable ?? withSuffix(def.table, '_audit')
/** History column: the operation that closed the version (UPDATE, DELETE, RESTORE, TRANSFER). */
export const CLOSED_BY = 'closed_by'
/** The history table of an scd2 model: `historyTable`, or `{table}_history` shortened to fit. */
export const historyTableName = (def: Pick<ModelDef, 'table' | 'historyTable'>): string =>
  def.historyTable ?? withSuffix(def.table, '_history')

/** An scd2 model's history table: every closed version, with the operation that closed it. */
export function historyTable(def: ModelDef, main: TableDesc, dialect: Dialect): TableDesc {
  const name = historyTableName(def)
  const id = def.roles.id.column
  const validity = validityOf(def)
  const version = validity.version.column
  const validFrom = validity.from.column
  const validTo = validity.to.column
  const tenant = def.roles.tenant?.column
  const columns = [
    ...main.columns
      .filter((c) => c.generated === undefined)
      // versions older than a field hold the main table's default (as the current rows do), so
      // adding a field or tightening it never leaves history rows that break the model's types
      .map(({ default: dflt, ...c }) => ({
        ...c,
        default: undefined,
        ...(dflt !== undefined && { backfill: dflt }),
        nullable: c.name === validTo ? false : c.nullable,
      })),
    {
      name: CLOSED_BY,
      type: dialect.types.columnType({ kind: 'string', maxLength: 16 }),
      nullable: true,
      default: undefined,
    },
  ]
  const indexes: IndexDesc[] = [
    {
      name: constraintName(name, [id, validFrom], 'idx'),
      columns: [id, validFrom],
      unique: false,
      where: undefined,
      method: 'btree',
    },
  ]
  if (tenant) {
    // versions that left their tenant by a transfer: what `list({ asOf })` must still find there
    const transfers = `${dialect.quoteId(CLOSED_BY)} = 'TRANSFER'`
    indexes.push(
      dialect.capabilities.partialIndexes
        ? {
            name: constraintName(name, ['transfers'], 'idx'),
            columns: [tenant, validTo],
            unique: false,
            where: transfers,
            method: 'btree',
          }
        : {
            name: constraintName(name, ['transfers'], 'idx'),
            columns: [CLOSED_BY, tenant, validTo],
            unique: false,
            where: undefined,
            method: 'btree',
          },
    )
  }
  return {
    schema: main.schema,
    name,
    columns,
    primaryKey: { name: constraintName(name, [], 'pkey'), columns: [id, version] },
    foreignKeys: [],
    checks: [
      {
        name: constraintName(name, ['validity'], 'check'),
        expression: `${dialect.quoteId(validTo)} > ${dialect.quoteId(validFrom)}`,
      },
    ],
    indexes,
    role: 'history',
    model: def.table,
  }
}

/** Audit table columns, in order. */
export const AUDIT_COLUMNS = {
  auditId: 'audit_id',
  recordId: 'record_id',
  fieldName: 'field_name',
  oldValue: 'old_value',
  newValue: 'new_value',
  operation: 'operation',
  changedAt: 'changed_at',
  changedBy: 'changed_by',
  transactionId: 'transaction_id',
} as const

/** A copy_on_change model's audit table: one row per changed field. */
export function auditTable(def: ModelDef, dialect: Dialect): TableDesc {
  const name = auditTableName(def)
  const t = dialect.types
  const uuid = t.columnType({ kind: 'uuid' })
  const json = t.columnType({ kind: 'json' })
  const tenant = def.roles.tenant?.column
  const A = AUDIT_COLUMNS
  const columns: ColumnDesc[] = [
    { name: A.auditId, type: t.serialType, nullable: false, default: undefined, identity: true },
    { name: A.recordId, type: uuid, nullable: false, default: undefined },
    ...(tenant
      ? [{ name: tenant, type: t.columnType(def.tenantIdType.type), nullable: false, default: undefined }]
      : []),
    { name: A.fieldName, type: t.columnType({ kind: 'string', maxLength: 255 }), nullable: true, default: undefined },
    { name: A.oldValue, type: json, nullable: true, default: undefined },
    { name: A.newValue, type: json, nullable: true, default: undefined },
    { name: A.operation, type: t.columnType({ kind: 'string', maxLength: 16 }), nullable: false, default: undefined },
    { name: A.changedAt, type: t.columnType({ kind: 'timestamp' }), nullable: false, default: undefined },
    { name: A.changedBy, type: t.columnType(def.actorIdType.type), nullable: true, default: undefined },
    { name: A.transactionId, type: uuid, nullable: false, default: undefined },
  ]
  const idx = (cols: string[]): IndexDesc => ({
    name: constraintName(name, cols, 'idx'),
    columns: cols,
    unique: false,
    where: undefined,
    method: 'btree',
  })
  const ops = AUDIT_OPERATIONS.map((o) => t.literal(o, { kind: 'string' })).join(', ')
  return {
    schema: schemaOn(dialect, def.schema),
    name,
    columns,
    primaryKey: { name: constraintName(name, [], 'pkey'), columns: [A.auditId] },
    foreignKeys: [],
    checks: [
      { name: constraintName(name, [A.operation], 'check'), expression: `${dialect.quoteId(A.operation)} IN (${ops})` },
    ],
    indexes: [
      idx([A.recordId, A.fieldName]),
      idx([A.changedAt]),
      ...(tenant ? [idx([tenant])] : []),
      idx([A.changedBy]),
    ],
    role: 'audit',
    model: def.table,
  }
}
