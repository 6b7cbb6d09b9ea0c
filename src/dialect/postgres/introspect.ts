import type {
  ColumnDesc,
  ForeignKeyDesc,
  IndexDesc,
  ReferentialAction,
  SchemaDesc,
  TableDesc,
} from '../../schema/types.js'
import type { CatalogQuery, Introspector } from '../introspection.js'
import { postgresDdl } from './schema.js'

const ACTIONS: Record<string, ReferentialAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
}

const attnames = (keyColumn: string, relColumn: string) => `(SELECT array_agg(a.attname::text ORDER BY k.ord)
  FROM unnest(${keyColumn}) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = ${relColumn} AND a.attnum = k.attnum)`

/** Three catalog queries per call, whatever the number of tables; expressions as PostgreSQL prints them. */
export const postgresIntrospector: Introspector = {
  async read(query: CatalogQuery, schemas: readonly (string | undefined)[]): Promise<SchemaDesc> {
    const current = String((await query('SELECT current_schema() AS s', []))[0]?.s ?? 'public')
    const names = [...new Set(schemas.map((s) => s ?? current))]
    const display = (schema: string) => (schemas.includes(schema) ? schema : schema === current ? undefined : schema)
    const columns = await query(
      `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
              format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity AS identity, a.attgenerated AS generated
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
        ORDER BY n.nspname, c.relname, a.attnum`,
      [names],
    )
    const constraints = await query(
      `SELECT n.nspname AS schema, c.relname AS table, con.conname AS name, con.contype AS type,
              pg_get_expr(con.conbin, con.conrelid) AS expr,
              ${attnames('con.conkey', 'con.conrelid')} AS columns,
              fn.nspname AS ref_schema, fc.relname AS ref_table,
              ${attnames('con.confkey', 'con.confrelid')} AS ref_columns,
              con.confupdtype AS on_update, con.confdeltype AS on_delete
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE n.nspname = ANY($1) AND con.contype IN ('p', 'f', 'c')
        ORDER BY con.conname`,
      [names],
    )
    const indexes = await query(
      `SELECT n.nspname AS schema, t.relname AS table, i.relname AS name, ix.indisunique AS is_unique,
              am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
              (SELECT array_agg(COALESCE(a.attname::text, pg_get_indexdef(ix.indexrelid, k.ord::int, true)) ORDER BY k.ord)
                 FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                WHERE k.ord <= ix.indnkeyatts) AS columns,
              (SELECT array_agg((o.opt & 1) = 1 ORDER BY o.ord)
                 FROM unnest(ix.indoption::int2[]) WITH ORDINALITY AS o(opt, ord)
                WHERE o.ord <= ix.indnkeyatts) AS descending,
              EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype = 'u') AS is_constraint
         FROM pg_index ix
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_am am ON am.oid = i.relam
        WHERE n.nspname = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'x'))
        ORDER BY i.relname`,
      [names],
    )

    const tables = new Map<string, TableBuilder>()
    const table = (schema: string, name: string): TableBuilder => {
      const key = `${schema}.${name}`
      let t = tables.get(key)
      if (!t) {
        t = {
          schema: display(schema),
          name,
          columns: [],
          primaryKey: undefined,
          foreignKeys: [],
          checks: [],
          indexes: [],
        }
        tables.set(key, t)
      }
      return t
    }
    for (const r of columns) {
      const generated = r.generated === 's'
      const column: ColumnDesc = {
        name: String(r.column),
        type: String(r.type),
        nullable: !r.notnull,
        default: generated || r.dflt === null ? undefined : String(r.dflt),
        ...(r.identity === 'a' || r.identity === 'd' ? { identity: true } : {}),
        ...(generated ? { generated: String(r.dflt) } : {}),
      }
      table(String(r.schema), String(r.table)).columns.push(column)
    }
    for (const r of constraints) {
      const t = table(String(r.schema), String(r.table))
      const cols = (r.columns as string[] | null) ?? []
      if (r.type === 'p') t.primaryKey = { name: String(r.name), columns: cols }
      else if (r.type === 'c') t.checks.push({ name: String(r.name), expression: String(r.expr) })
      else {
        const fk: ForeignKeyDesc = {
          name: String(r.name),
          columns: cols,
          refSchema: display(String(r.ref_schema)),
          refTable: String(r.ref_table),
          refColumns: (r.ref_columns as string[] | null) ?? [],
          onDelete: ACTIONS[String(r.on_delete)] ?? 'NO ACTION',
          onUpdate: ACTIONS[String(r.on_update)] ?? 'NO ACTION',
        }
        t.foreignKeys.push(fk)
      }
    }
    for (const r of indexes) {
      const index: IndexDesc = {
        name: String(r.name),
        columns: (r.columns as string[] | null) ?? [],
        unique: Boolean(r.is_unique),
        where: r.predicate === null ? undefined : String(r.predicate),
        method: String(r.method),
        ...((r.descending as boolean[] | null)?.some(Boolean) && { descending: r.descending as boolean[] }),
        ...(r.is_constraint === true && { constraint: true }),
      }
      table(String(r.schema), String(r.table)).indexes.push(index)
    }
    return { tables: [...tables.values()] }
  },
  async defaultSchema(query: CatalogQuery): Promise<string> {
    return String((await query('SELECT current_schema() AS s', []))[0]?.s)
  },
  async existingSchemas(query: CatalogQuery, names: readonly string[]): Promise<ReadonlySet<string>> {
    const rows = await query('SELECT nspname AS s FROM pg_namespace WHERE nspname = ANY($1)', [names])
    return new Set(rows.map((r) => String(r.s)))
  },
  async estimatedRows(query: CatalogQuery, table: Pick<TableDesc, 'schema' | 'name'>): Promise<number> {
    const one = async (sql: string, parameters: unknown[]) => Number((await query(sql, parameters))[0]?.n ?? 0)
    const name = postgresDdl.qualify(table.schema, table.name)
    // reltuples is -1 for a table never analyzed
    const n = await one('SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass', [name])
    return n >= 0 ? n : one(`SELECT count(*) AS n FROM ${name}`, [])
  },
  rendersThroughShadow: true,
}

type TableBuilder = {
  -readonly [K in keyof TableDesc]: TableDesc[K] extends readonly (infer U)[] ? U[] : TableDesc[K]
}
