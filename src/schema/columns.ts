import type { Dialect } from '../dialect/dialect.js'
import { type FieldDef, isModel, type SqlDefault } from '../model/define-model.js'
import type { LogicalType } from '../model/logical-type.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import type { ColumnDesc } from './types.js'

/** The schema a table lives in on `dialect`: none where the engine has no schemas (MySQL). */
export const schemaOn = (dialect: Dialect, schema: string | undefined) =>
  dialect.capabilities.schemas ? schema : undefined

function renderDefault(d: SqlDefault | undefined, type: LogicalType, dialect: Dialect): string | undefined {
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

export function column(f: FieldDef, dialect: Dialect): ColumnDesc {
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
