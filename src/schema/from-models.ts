import type { Dialect } from '../dialect/dialect.js'
import { type FieldDef, isModel, type Model, type ModelDef, type SqlDefault } from '../model/define-model.js'
import type { ReferentialAction as FieldAction } from '../model/field.js'
import type { LogicalType } from '../model/logical-type.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { constraintName, modelCheckName, withSuffix } from './names.js'
import type { CheckDesc, ColumnDesc, ForeignKeyDesc, IndexDesc, SchemaDesc, TableDesc } from './types.js'

/** On engines without partial indexes, this stored generated column scopes soft-delete uniqueness. */
export const ALIVE_COLUMN = '_ff_alive'
export const AUDIT_OPERATIONS = ['INSERT', 'UPDATE', 'DELETE', 'RESTORE', 'TRANSFER'] as const

/** The audit table of a copy_on_change model: `auditTable`, or `{table}_audit` shortened to fit. */
export const auditTableName = (def: Pick<ModelDef, 'table' | 'auditTable'>): string =>
  def.auditTable ?? withSuffix(def.table, '_audit')
/** History column: the operation that closed the version (UPDATE, DELETE, RESTORE, TRANSFER). */
export const CLOSED_BY = 'closed_by'
/** The history table of an scd2 model: `historyTable`, or `{table}_history` shortened to fit. */
export const historyTableName = (def: Pick<ModelDef, 'table' | 'historyTable'>): string =>
  def.historyTable ?? withSuffix(def.table, '_history')

/** The schema the models need on `dialect`: main tables plus audit and history tables. */
export function fromModels(models: readonly Model[], dialect: Dialect): SchemaDesc {
  const tables: TableDesc[] = []
  for (const model of models) {
    const { def } = model
    const main = mainTable(def, dialect)
    tables.push(main)
    if (def.temporal === 'copy_on_change') tables.push(auditTable(def, dialect))
    if (def.temporal === 'scd2') tables.push(historyTable(def, main, dialect))
  }
  const seen = new Set<string>()
  for (const t of tables) {
    const key = `${t.schema ?? ''}.${t.name}`
    if (seen.has(key)) throw new ModelDefinitionError(`Two models define table "${t.name}"`)
    seen.add(key)
  }
  return { tables }
}

/**
 * Tables a model's strategy used to need and no longer does (its audit table once it is not
 * copy_on_change, its history table once it is not scd2), with the column that marks them as ours.
 */
export function retiredTables(
  models: readonly Model[],
  dialect: Dialect,
): { schema: string | undefined; name: string; marker: string; reason: string }[] {
  return models.flatMap(({ def }) => {
    const schema = schemaOn(dialect, def.schema)
    const out: { schema: string | undefined; name: string; marker: string; reason: string }[] = []
    if (def.temporal !== 'copy_on_change')
      out.push({
        schema,
        name: auditTableName(def),
        marker: AUDIT_COLUMNS.auditId,
        reason: `${def.table} is ${def.temporal} now and keeps no audit trail`,
      })
    if (def.temporal !== 'scd2')
      out.push({
        schema,
        name: historyTableName(def),
        marker: CLOSED_BY,
        reason: `${def.table} is ${def.temporal} now and keeps no version history`,
      })
    return out
  })
}

export function renderDefault(d: SqlDefault | undefined, type: LogicalType, dialect: Dialect): string | undefined {
  if (d === undefined) return undefined
  switch (d.kind) {
    case 'literal':
      return d.value === null ? undefined : dialect.types.literal(d.value, type)
    case 'expression':
      return d.sql
    case 'now':
      return dialect.types.now
  }
}

function column(f: FieldDef, dialect: Dialect): ColumnDesc {
  return {
    name: f.column,
    type: dialect.types.columnType(f.type),
    nullable: f.nullable,
    default: renderDefault(f.default, f.type, dialect),
  }
}

export function parseReference(
  ref: NonNullable<FieldDef['options']['references']>,
  fieldName: string,
): { schema: string | undefined; table: string; column: string } {
  if (typeof ref === 'string') {
    const paren = /^(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*)\s*\)$/.exec(ref)
    if (paren) return { schema: paren[1], table: paren[2]!, column: paren[3]! }
    const dotted = /^(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/.exec(ref)
    if (dotted) return { schema: dotted[1], table: dotted[2]!, column: dotted[3]! }
    throw new ModelDefinitionError(
      `Field "${fieldName}": references "${ref}" is not "table.column", "table(column)" or "schema.table(column)"`,
    )
  }
  if (typeof ref === 'object' && ref !== null && typeof ref.model === 'function') {
    const target = ref.model()
    if (!isModel(target)) {
      throw new ModelDefinitionError(`Field "${fieldName}": references.model() did not return a model from defineModel`)
    }
    return { schema: target.def.schema, table: target.def.table, column: ref.column ?? 'id' }
  }
  throw new ModelDefinitionError(`Field "${fieldName}": references must be a string or { model: () => Model }`)
}

/** The schema a table lives in on `dialect`: none where the engine has no schemas (MySQL). */
const schemaOn = (dialect: Dialect, schema: string | undefined) => (dialect.capabilities.schemas ? schema : undefined)

function mainTable(def: ModelDef, dialect: Dialect): TableDesc {
  const { table } = def
  const partial = dialect.capabilities.partialIndexes
  const tenant = def.tenantField ? def.byName.get(def.tenantField)!.column : undefined
  const deletedAt = def.system.deletedAt?.column
  // a table switched to scd2 holding rows: each becomes version 1, valid from the switch
  const scd2Backfill = new Map<string, string>(
    def.temporal === 'scd2'
      ? [
          [def.system.version!.column, '1'],
          [def.system.validFrom!.column, dialect.types.now],
        ]
      : [],
  )
  const columns = def.fields.map((f) => {
    const c = column(f, dialect)
    const backfill = scd2Backfill.get(c.name)
    return backfill === undefined ? c : { ...c, backfill }
  })
  const indexes: IndexDesc[] = []
  const checks: CheckDesc[] = []
  const foreignKeys: ForeignKeyDesc[] = []
  const add = (idx: IndexDesc) => {
    if (!indexes.some((i) => i.name === idx.name)) indexes.push(idx)
  }
  let needsAlive = false
  /** Unique among live rows: a partial index, or the generated-column trick without partial indexes. */
  const liveUnique = (name: string, cols: readonly string[], where: string | undefined, method: string): IndexDesc => {
    if (!deletedAt) return { name, columns: cols, unique: true, where, method }
    if (partial) {
      const live = `${dialect.quoteId(deletedAt)} IS NULL`
      return { name, columns: cols, unique: true, where: where ? `(${live}) AND (${where})` : live, method }
    }
    needsAlive = true
    return { name, columns: [...cols, ALIVE_COLUMN], unique: true, where, method }
  }

  if (tenant) {
    // scd2 on engines that look versions up one by one (MariaDB): `list({ asOf })` first asks which
    // of a tenant's records changed since the instant, a range on this index read from the index alone
    const cols =
      def.temporal === 'scd2' && !dialect.capabilities.correlatedTopN
        ? [tenant, def.system.validFrom!.column]
        : [tenant]
    add({ name: constraintName(table, cols, 'idx'), columns: cols, unique: false, where: undefined, method: 'btree' })
  }
  /** Unique within the tenant unless asked for across tenants: the tenant leads the key. */
  const uniqueColumns = (cols: readonly string[], unique: true | 'global'): readonly string[] =>
    tenant && unique !== 'global' && !cols.includes(tenant) ? [tenant, ...cols] : cols
  for (const f of def.userFields) {
    const o = f.options
    const indexOptions = typeof o.index === 'object' ? o.index : {}
    const method = indexOptions.method ?? 'btree'
    if (o.unique) {
      const cols = uniqueColumns([f.column], o.unique)
      add(liveUnique(constraintName(table, [f.column], 'key'), cols, indexOptions.where ?? o.indexWhere, method))
    }
    if (o.index) {
      add({
        name: indexOptions.name ?? constraintName(table, [f.column], 'idx'),
        columns: [f.column],
        unique: false,
        where: indexOptions.where ?? o.indexWhere,
        method,
      })
    }
    if (o.check !== undefined) checks.push({ name: constraintName(table, [f.column], 'check'), expression: o.check })
    const enumType =
      f.type.kind === 'enum'
        ? f.type
        : f.type.kind === 'native' && f.type.value?.kind === 'enum'
          ? f.type.value
          : undefined
    if (enumType) {
      const values = enumType.values.map((v) => dialect.types.literal(v, { kind: 'string' }))
      // one value is written as `=`, the form engines print it back in
      const column = dialect.quoteId(f.column)
      const expression = values.length === 1 ? `${column} = ${values[0]}` : `${column} IN (${values.join(', ')})`
      checks.push({ name: constraintName(table, [f.column], 'enum'), expression })
    }
    if (o.references !== undefined) {
      const ref = parseReference(o.references, f.name)
      foreignKeys.push({
        name: constraintName(table, [f.column], 'fkey'),
        columns: [f.column],
        refSchema: schemaOn(dialect, ref.schema),
        refTable: ref.table,
        refColumns: [ref.column],
        onDelete: (o.onDelete ?? 'NO ACTION') as FieldAction,
        onUpdate: (o.onUpdate ?? 'NO ACTION') as FieldAction,
      })
      if (!indexes.some((i) => i.columns[0] === f.column)) {
        add({
          name: constraintName(table, [f.column], 'idx'),
          columns: [f.column],
          unique: false,
          where: undefined,
          method: 'btree',
        })
      }
    }
  }
  for (const idx of def.indexes) {
    const method = idx.method ?? 'btree'
    if (idx.unique) {
      // the same rules as a field's unique: within the tenant, among live rows
      const name = idx.name ?? constraintName(table, idx.columns, 'key')
      add(liveUnique(name, uniqueColumns(idx.columns, idx.unique), idx.where, method))
      continue
    }
    add({
      name: idx.name ?? constraintName(table, idx.columns, 'idx'),
      columns: idx.columns,
      unique: false,
      where: idx.where,
      method,
    })
  }
  for (const expression of def.checks) {
    checks.push({ name: modelCheckName(table, expression), expression })
  }
  if (needsAlive) {
    columns.push({
      name: ALIVE_COLUMN,
      type: 'tinyint(1)',
      nullable: true,
      default: undefined,
      generated: `case when ${dialect.quoteId(deletedAt!)} is null then 1 else null end`,
    })
  }
  for (const idx of indexes) {
    if (idx.where !== undefined && !partial) {
      throw new ModelDefinitionError(
        `Model "${table}": index ${idx.name} has a WHERE predicate, but ${dialect.name} has no partial indexes`,
      )
    }
  }
  return {
    schema: schemaOn(dialect, def.schema),
    name: table,
    columns,
    primaryKey: { name: constraintName(table, [], 'pkey'), columns: [def.system.id!.column] },
    foreignKeys,
    checks,
    indexes,
    role: 'main',
    model: table,
  }
}

function historyTable(def: ModelDef, main: TableDesc, dialect: Dialect): TableDesc {
  const name = historyTableName(def)
  const id = def.system.id!.column
  const version = def.system.version!.column
  const validFrom = def.system.validFrom!.column
  const validTo = def.system.validTo!.column
  const tenant = def.tenantField ? def.byName.get(def.tenantField)!.column : undefined
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

function auditTable(def: ModelDef, dialect: Dialect): TableDesc {
  const name = auditTableName(def)
  const t = dialect.types
  const uuid = t.columnType({ kind: 'uuid' })
  const json = t.columnType({ kind: 'json' })
  const tenant = def.tenantField ? def.byName.get(def.tenantField)!.column : undefined
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
