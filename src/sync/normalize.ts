import type { SchemaNormalizer } from '../dialect/expression.js'
import type { ColumnDesc, SchemaDesc, TableDesc } from '../schema/types.js'

/**
 * A description in the form the diff compares: expressions and types in the dialect's canonical text
 * (`dialect.normalize`), index methods in lower case, order irrelevant.
 */
export function normalizeSchema(schema: SchemaDesc, normalize: SchemaNormalizer): SchemaDesc {
  return { tables: schema.tables.map((t) => normalizeTable(t, normalize)) }
}

function normalizeTable(t: TableDesc, normalize: SchemaNormalizer): TableDesc {
  return {
    ...t,
    columns: t.columns.map(
      (c): ColumnDesc => ({
        ...c,
        type: normalize.type(c.type),
        default: normalize.expression(c.default),
        ...(c.generated !== undefined && { generated: normalize.expression(c.generated)! }),
      }),
    ),
    checks: t.checks.map((c) => ({ ...c, expression: normalize.expression(c.expression)! })),
    indexes: t.indexes.map((i) => ({
      ...i,
      where: normalize.expression(i.where),
      method: i.method.toLowerCase(),
    })),
  }
}
