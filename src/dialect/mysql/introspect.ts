import { constraintName } from '../../schema/names.js'
import type { ColumnDesc, IndexDesc, ReferentialAction, SchemaDesc, TableDesc } from '../../schema/types.js'
import type { CatalogQuery, Introspector } from '../introspection.js'

type TableBuilder = {
  -readonly [K in keyof TableDesc]: TableDesc[K] extends readonly (infer U)[] ? U[] : TableDesc[K]
}

const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))

/**
 * information_schema of the current database: six queries whatever the number of tables. MariaDB's
 * JSON (longtext plus a json_valid check) reads back as `json`; integer display widths are dropped.
 * A table's collation is its default one when every text column but JSON ones has it (MariaDB gives
 * a new JSON column `utf8mb4_bin` whatever the table's), else the collations found.
 */
export const mysqlIntrospector: Introspector = {
  async read(query: CatalogQuery): Promise<SchemaDesc> {
    const columns = await query(
      `SELECT table_name AS tbl, column_name AS col, column_type AS type, is_nullable AS nullable,
              column_default AS dflt, extra, generation_expression AS gen, collation_name AS coll
         FROM information_schema.columns WHERE table_schema = database()
        ORDER BY table_name, ordinal_position`,
      [],
    )
    const defaults = await query(
      `SELECT table_name AS tbl, table_collation AS coll
         FROM information_schema.tables WHERE table_schema = database() AND table_type = 'BASE TABLE'`,
      [],
    )
    const keys = await query(
      `SELECT tc.table_name AS tbl, tc.constraint_name AS name, tc.constraint_type AS type,
              k.column_name AS col, k.referenced_table_name AS ref_table, k.referenced_column_name AS ref_col,
              rc.update_rule AS on_update, rc.delete_rule AS on_delete
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage k
           ON k.constraint_schema = tc.constraint_schema AND k.table_name = tc.table_name AND k.constraint_name = tc.constraint_name
         LEFT JOIN information_schema.referential_constraints rc
           ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name AND rc.table_name = tc.table_name
        WHERE tc.table_schema = database() AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
        ORDER BY tc.table_name, tc.constraint_name, k.ordinal_position`,
      [],
    )
    const checks = await query(
      `SELECT table_name AS tbl, constraint_name AS name, check_clause AS expr
         FROM information_schema.check_constraints WHERE constraint_schema = database()
        ORDER BY table_name, constraint_name`,
      [],
    )
    const stats = await query(
      `SELECT table_name AS tbl, index_name AS name, non_unique, column_name AS col, index_type AS method, collation AS dir
         FROM information_schema.statistics WHERE table_schema = database() AND index_name <> 'PRIMARY'
        ORDER BY table_name, index_name, seq_in_index`,
      [],
    )

    const tables = new Map<string, TableBuilder>()
    const table = (name: string): TableBuilder => {
      let t = tables.get(name)
      if (!t) {
        t = { schema: undefined, name, columns: [], primaryKey: undefined, foreignKeys: [], checks: [], indexes: [] }
        tables.set(name, t)
      }
      return t
    }
    const collations = new Map<string, Set<string>>()
    for (const r of defaults) if (r.coll != null) collations.set(str(r.tbl), new Set([str(r.coll)]))
    const jsonChecks = new Set<string>()
    for (const r of checks) {
      const expr = str(r.expr)
      const m = /^json_valid\([`"]?([^`"()]+)[`"]?\)$/i.exec(expr.trim())
      if (m && m[1] === str(r.name)) {
        jsonChecks.add(`${str(r.tbl)}.${m[1]}`)
        continue
      }
      table(str(r.tbl)).checks.push({ name: str(r.name), expression: expr })
    }
    for (const r of columns) {
      const name = str(r.col)
      const tbl = str(r.tbl)
      const extra = str(r.extra ?? '').toLowerCase()
      const generated = extra.includes('generated')
      let type = str(r.type).toLowerCase()
      if (type === 'longtext' && jsonChecks.has(`${tbl}.${name}`)) type = 'json'
      type = type.replace(/^(smallint|mediumint|int|bigint)\(\d+\)/, '$1').replace(/^tinyint\((?!1\))\d+\)/, 'tinyint')
      const dflt = r.dflt === null || r.dflt === undefined ? undefined : str(r.dflt)
      const column: ColumnDesc = {
        name,
        type,
        nullable: str(r.nullable) === 'YES',
        default: generated || dflt === undefined || dflt === 'NULL' ? undefined : dflt,
        ...(extra.includes('auto_increment') ? { identity: true } : {}),
        ...(generated ? { generated: str(r.gen) } : {}),
      }
      table(tbl).columns.push(column)
      if (r.coll != null && type !== 'json') collations.get(tbl)?.add(str(r.coll))
    }
    for (const [tbl, found] of collations) {
      if (tables.has(tbl)) table(tbl).collation = [...found].sort().join(', ')
    }
    const fks = new Map<
      string,
      { tbl: string; name: string; cols: string[]; refTable: string; refCols: string[]; u: string; d: string }
    >()
    for (const r of keys) {
      const t = table(str(r.tbl))
      if (r.type === 'PRIMARY KEY') {
        t.primaryKey = {
          name: constraintName(str(r.tbl), [], 'pkey'),
          columns: [...(t.primaryKey?.columns ?? []), str(r.col)],
        }
        continue
      }
      const key = `${str(r.tbl)}.${str(r.name)}`
      let fk = fks.get(key)
      if (!fk) {
        fk = {
          tbl: str(r.tbl),
          name: str(r.name),
          cols: [],
          refTable: str(r.ref_table),
          refCols: [],
          u: str(r.on_update),
          d: str(r.on_delete),
        }
        fks.set(key, fk)
      }
      fk.cols.push(str(r.col))
      fk.refCols.push(str(r.ref_col))
    }
    for (const fk of fks.values()) {
      table(fk.tbl).foreignKeys.push({
        name: fk.name,
        columns: fk.cols,
        refSchema: undefined,
        refTable: fk.refTable,
        refColumns: fk.refCols,
        onUpdate: fk.u as ReferentialAction,
        onDelete: fk.d as ReferentialAction,
      })
    }
    const idx = new Map<string, { tbl: string; desc: IndexDesc & { columns: string[] }; descending: boolean[] }>()
    for (const r of stats) {
      const key = `${str(r.tbl)}.${str(r.name)}`
      let entry = idx.get(key)
      if (!entry) {
        entry = {
          tbl: str(r.tbl),
          desc: {
            name: str(r.name),
            columns: [],
            unique: Number(r.non_unique) === 0,
            where: undefined,
            method: str(r.method).toLowerCase(),
          },
          descending: [],
        }
        idx.set(key, entry)
      }
      entry.desc.columns.push(str(r.col))
      entry.descending.push(str(r.dir ?? 'A') === 'D')
    }
    for (const { tbl, desc, descending } of idx.values())
      table(tbl).indexes.push(descending.some(Boolean) ? { ...desc, descending } : desc)
    return { tables: [...tables.values()] }
  },
  defaultSchema: async () => undefined,
  existingSchemas: async () => undefined,
  async estimatedRows(query: CatalogQuery, table: Pick<TableDesc, 'schema' | 'name'>): Promise<number> {
    const rows = await query(
      'SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = database() AND table_name = ?',
      [table.name],
    )
    return Number(rows[0]?.n ?? 0)
  },
  rendersThroughShadow: false,
}
