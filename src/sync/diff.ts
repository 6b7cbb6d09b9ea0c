import type { TypeChangeRules } from '../dialect/type-change.js'
import { isModelCheckName } from '../schema/names.js'
import {
  type CheckDesc,
  type ForeignKeyDesc,
  type IndexDesc,
  type SchemaDesc,
  type TableDesc,
  tableKey,
} from '../schema/types.js'
import type { Change } from './changes.js'

export interface DiffOptions {
  /** The dialect's type change rules (`dialect.typeChange`): widening, and keys that block a change. */
  readonly typeChange: TypeChangeRules
  /** What an absent schema means (PostgreSQL's current schema); tables and references compare with it filled in. */
  readonly defaultSchema?: string
  /** Schemas that exist already (PostgreSQL); others are created first. */
  readonly existingSchemas?: ReadonlySet<string>
}

/**
 * The changes that turn `actual` into `desired`. Pure: both sides are descriptions normalized the
 * same way. Only tables present in `desired` are considered; other tables are never touched.
 */
export function diffSchemas(desired: SchemaDesc, actual: SchemaDesc, options: DiffOptions): Change[] {
  const schemaOf = (s: string | undefined) => s ?? options.defaultSchema ?? ''
  const key = (t: Pick<TableDesc, 'schema' | 'name'>) => `${schemaOf(t.schema)}.${t.name}`
  const actualByKey = new Map(actual.tables.map((t) => [key(t), t]))
  const changes: Change[] = []
  const createdSchemas = new Set<string>()
  for (const want of desired.tables) {
    const have = actualByKey.get(key(want))
    if (!have) {
      if (
        want.schema &&
        options.existingSchemas &&
        !options.existingSchemas.has(want.schema) &&
        !createdSchemas.has(want.schema)
      ) {
        createdSchemas.add(want.schema)
        changes.push({ kind: 'createSchema', schema: want.schema })
      }
      changes.push({ kind: 'createTable', table: want })
      for (const fk of want.foreignKeys) changes.push({ kind: 'addForeignKey', table: want, foreignKey: fk })
      continue
    }
    diffColumns(want, have, options.typeChange, changes)
    if (want.collation !== undefined && have.collation !== undefined && want.collation !== have.collation) {
      changes.push({ kind: 'convertCollation', table: want, collation: want.collation, from: have.collation })
    }
    if (!samePrimaryKey(want, have)) {
      if (have.primaryKey) changes.push({ kind: 'dropPrimaryKey', table: want, primaryKey: have.primaryKey })
      if (want.primaryKey) changes.push({ kind: 'addPrimaryKey', table: want, primaryKey: want.primaryKey })
    }
    diffByName(want.indexes, have.indexes, sameIndex, {
      add: (index) => changes.push({ kind: 'addIndex', table: want, index }),
      drop: (index) => changes.push({ kind: 'dropIndex', table: want, index }),
      replace: (index, from) => changes.push({ kind: 'replaceIndex', table: want, index, from }),
    })
    diffByName(want.foreignKeys, have.foreignKeys, (a, b) => sameForeignKey(a, b, schemaOf), {
      add: (foreignKey) => changes.push({ kind: 'addForeignKey', table: want, foreignKey }),
      drop: (foreignKey) => changes.push({ kind: 'dropForeignKey', table: want, foreignKey }),
      replace: (foreignKey, from) => changes.push({ kind: 'replaceForeignKey', table: want, foreignKey, from }),
    })
    diffChecks(want, have, changes)
  }
  if (options.typeChange.keysBlockTypeChange) recreateKeysAroundTypeChanges(desired, actual, key, changes)
  return changes
}

/**
 * Model-level checks are named by a hash of their text, so an edited check arrives under a new name:
 * a new model check and a vanished one on the same table are one replace (not a destructive drop
 * plus an add). Several are paired in order.
 */
function diffChecks(want: TableDesc, have: TableDesc, changes: Change[]): void {
  const added: CheckDesc[] = []
  const dropped: CheckDesc[] = []
  diffByName(want.checks, have.checks, (a, b) => a.expression === b.expression, {
    add: (check) => added.push(check),
    drop: (check) => dropped.push(check),
    replace: (check, from) => changes.push({ kind: 'replaceCheck', table: want, check, from }),
  })
  const isModelCheck = (c: CheckDesc) => isModelCheckName(want.name, c.name)
  const vanished = dropped.filter(isModelCheck)
  const paired = new Set<CheckDesc>()
  for (const check of added) {
    const from = isModelCheck(check) ? vanished.shift() : undefined
    if (from) paired.add(from)
    changes.push(from ? { kind: 'replaceCheck', table: want, check, from } : { kind: 'addCheck', table: want, check })
  }
  for (const check of dropped) if (!paired.has(check)) changes.push({ kind: 'dropCheck', table: want, check })
}

/**
 * Where the engine refuses to change the type or the collation of a column a foreign key uses
 * (either side: MySQL), such keys are dropped before the change and re-created after it, as one
 * change each. A table's collation conversion changes every text column of it.
 */
function recreateKeysAroundTypeChanges(
  desired: SchemaDesc,
  actual: SchemaDesc,
  key: (t: Pick<TableDesc, 'schema' | 'name'>) => string,
  changes: Change[],
): void {
  const wanted = new Map(desired.tables.map((t) => [key(t), t]))
  const altered = changes.filter((c) => c.kind === 'alterColumnType')
  const converted = changes.filter((c) => c.kind === 'convertCollation')
  if (altered.length === 0 && converted.length === 0) return
  const touched = new Set(
    changes.flatMap((c) =>
      c.kind === 'dropForeignKey' || c.kind === 'replaceForeignKey'
        ? [`${key(c.table)}.${(c.kind === 'dropForeignKey' ? c.foreignKey : c.from).name}`]
        : [],
    ),
  )
  const isText = (t: TableDesc | undefined, column: string) =>
    /char|text/.test(t?.columns.find((c) => c.name === column)?.type ?? '')
  const actualByName = new Map(actual.tables.map((t) => [t.name, t]))
  for (const have of actual.tables) {
    const want = wanted.get(key(have))
    if (!want) continue // tables outside the models are never touched
    for (const fk of have.foreignKeys) {
      if (touched.has(`${key(have)}.${fk.name}`)) continue
      const typeChange = altered.find(
        (c) =>
          (key(c.table) === key(have) && fk.columns.includes(c.column.name)) ||
          (c.table.name === fk.refTable && fk.refColumns.includes(c.column.name)),
      )
      const textKey =
        fk.columns.some((c) => isText(have, c)) || fk.refColumns.some((c) => isText(actualByName.get(fk.refTable), c))
      const conversion = textKey
        ? converted.find((c) => key(c.table) === key(have) || c.table.name === fk.refTable)
        : undefined
      const target = want.foreignKeys.find((f) => f.name === fk.name)
      if ((!typeChange && !conversion) || !target) continue
      touched.add(`${key(have)}.${fk.name}`)
      changes.push({
        kind: 'replaceForeignKey',
        table: want,
        foreignKey: target,
        from: fk,
        ...(typeChange
          ? { reason: `around the type change of ${tableKey(typeChange.table)}.${typeChange.column.name}` }
          : { reason: `around the collation conversion of ${tableKey(conversion!.table)}`, collation: true }),
      })
    }
  }
}

function diffColumns(want: TableDesc, have: TableDesc, rules: TypeChangeRules, changes: Change[]): void {
  const haveByName = new Map(have.columns.map((c) => [c.name, c]))
  const wantNames = new Set(want.columns.map((c) => c.name))
  for (const column of want.columns) {
    const from = haveByName.get(column.name)
    if (!from) {
      changes.push({ kind: 'addColumn', table: want, column })
      continue
    }
    if (column.type !== from.type || (column.generated ?? '') !== (from.generated ?? '')) {
      changes.push({
        kind: 'alterColumnType',
        table: want,
        column,
        from,
        widening: rules.isWidening(from.type, column.type) && column.generated === from.generated,
      })
    }
    if (!column.identity && column.generated === undefined && column.default !== from.default) {
      changes.push({ kind: 'setDefault', table: want, column, from })
    }
    if (column.generated === undefined && column.nullable !== from.nullable) {
      changes.push({ kind: column.nullable ? 'setNullable' : 'setNotNull', table: want, column })
    }
  }
  // generated columns first: MySQL refuses to drop a column a generated column reads
  const drops = have.columns.filter((c) => !wantNames.has(c.name))
  for (const column of [
    ...drops.filter((c) => c.generated !== undefined),
    ...drops.filter((c) => c.generated === undefined),
  ])
    changes.push({ kind: 'dropColumn', table: want, column })
}

function diffByName<T extends { name: string }>(
  want: readonly T[],
  have: readonly T[],
  same: (a: T, b: T) => boolean,
  on: { add(x: T): void; drop(x: T): void; replace(x: T, from: T): void },
): void {
  const haveByName = new Map(have.map((x) => [x.name, x]))
  const wantNames = new Set(want.map((x) => x.name))
  for (const x of want) {
    const from = haveByName.get(x.name)
    if (!from) on.add(x)
    else if (!same(x, from)) on.replace(x, from)
  }
  for (const x of have) if (!wantNames.has(x.name)) on.drop(x)
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

function samePrimaryKey(a: TableDesc, b: TableDesc): boolean {
  if (!a.primaryKey || !b.primaryKey) return !a.primaryKey === !b.primaryKey
  return sameList(a.primaryKey.columns, b.primaryKey.columns)
}

function sameIndex(a: IndexDesc, b: IndexDesc): boolean {
  return (
    a.unique === b.unique &&
    a.method === b.method &&
    (a.where ?? '') === (b.where ?? '') &&
    sameList(a.columns, b.columns) &&
    a.columns.every((_, i) => (a.descending?.[i] ?? false) === (b.descending?.[i] ?? false))
  )
}

function sameForeignKey(a: ForeignKeyDesc, b: ForeignKeyDesc, schemaOf: (s: string | undefined) => string): boolean {
  return (
    sameList(a.columns, b.columns) &&
    sameList(a.refColumns, b.refColumns) &&
    a.refTable === b.refTable &&
    schemaOf(a.refSchema) === schemaOf(b.refSchema) &&
    a.onDelete === b.onDelete &&
    a.onUpdate === b.onUpdate
  )
}
