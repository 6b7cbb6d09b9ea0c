import type { Dialect } from '../dialect/dialect.js'
import type { ModelDef } from '../model/define-model.js'
import type { ReferentialAction as FieldAction } from '../model/field.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { column, parseReference, schemaOn } from './columns.js'
import { constraintName, modelCheckName } from './names.js'

import type { CheckDesc, ForeignKeyDesc, IndexDesc, TableDesc } from './types.js'

/** On engines without partial indexes, this stored generated column scopes soft-delete uniqueness. */
const ALIVE_COLUMN = '_ff_alive'

/** A model's own table: its columns, keys, unique and plain indexes, checks. */
export function mainTable(def: ModelDef, dialect: Dialect): TableDesc {
  const { table } = def
  const partial = dialect.capabilities.partialIndexes
  const tenant = def.roles.tenant?.column
  const deletedAt = def.roles.softDelete?.at.column
  const validity = def.roles.validity
  // a table switched to scd2 holding rows: each becomes version 1, valid from the switch
  const scd2Backfill = new Map<string, string>(
    validity
      ? [
          [validity.version.column, '1'],
          [validity.from.column, dialect.types.now],
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
    const cols = validity && !dialect.capabilities.correlatedTopN ? [tenant, validity.from.column] : [tenant]
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
    primaryKey: { name: constraintName(table, [], 'pkey'), columns: [def.roles.id.column] },
    foreignKeys,
    checks,
    indexes,
    role: 'main',
    model: table,
  }
}
