import { createHash } from 'node:crypto'
import { ValidationError, type ValidationIssue } from '../errors.js'
import type { ModelContext } from '../mapping/model-context.js'
import { valueType } from '../model/codec.js'
import type { FieldDef, ModelDef } from '../model/define-model.js'
import { constraintName } from '../schema/names.js'
import { and, type Id } from '../scope/scope.js'
import { type Fragment, id, join, q, raw } from '../sql/fragment.js'
import { stableKey } from './cache.js'
import { compileWhere, type OrderItem, orderItems } from './where.js'

/** What a cursor is bound to: the query and the scope it was issued for (the page size is not). */
export interface KeysetQuery {
  readonly where: unknown
  readonly orderBy: unknown
  readonly tenants: readonly Id[] | undefined
  readonly strict: boolean
  readonly asOf: Date | undefined
  readonly includeDeleted: boolean
}

const VERSION = 'k1'

const bad = (message: string, path: (string | number)[] = ['after']): ValidationError =>
  new ValidationError('Invalid cursor', [{ code: 'custom', message, path }] satisfies ValidationIssue[])

/**
 * Keyset pagination over a model's sort keys (`id` always last, so the order is total).
 *
 * A cursor is `k1.<payload>.<digest>`: the payload is the last record's sort-key values (JSON,
 * base64url), the digest a SHA-256 over the query's canonical form (model, where, orderBy, scope,
 * asOf, includeDeleted) and the payload. A cursor given to another query, or edited, fails the
 * digest and is a ValidationError. The digest is not a secret: whoever forges one still only gets
 * key values that are validated like filter values, applied inside the repository's own scope, so
 * a cursor can narrow what a page shows, never widen it. Cursors survive restarts and work across
 * processes (no server-side state, no key to share).
 *
 * NULL ordering follows each engine's native rule, so an index on the sort keys serves the page:
 * PostgreSQL/PGlite sort NULL after every value ascending (first descending); MySQL/MariaDB sort
 * NULL before every value ascending (last descending).
 */
export class Keyset {
  readonly items: readonly OrderItem[]
  readonly #ctx: ModelContext
  readonly #binding: string
  /** The model's index that holds the page in order, when it has one (see `table`). */
  readonly index: string | undefined

  constructor(ctx: ModelContext, query: KeysetQuery) {
    this.#ctx = ctx
    this.items = orderItems(ctx.def, query.orderBy)
    const issues: ValidationIssue[] = []
    for (const { f } of this.items) {
      const t = valueType(f.type)
      if (!t || t.kind === 'json' || t.kind === 'array')
        issues.push({
          code: 'custom',
          message: `"${f.name}" holds JSON or an array: it cannot be a page key`,
          path: ['orderBy', f.name],
        })
      // a JS number holds 15 significant digits exactly: past that, the cursor's value would be
      // rounded and rows equal to it skipped or repeated
      else if (t.kind === 'decimal' && t.asNumber && t.precision > 15)
        issues.push({
          code: 'custom',
          message: `"${f.name}" is a decimal of ${t.precision} digits read as a JS number, which holds 15 exactly: it cannot be a page key (declare it with z.string() to read it exactly)`,
          path: ['orderBy', f.name],
        })
    }
    if (issues.length) throw new ValidationError('Invalid orderBy', issues)
    const { def } = ctx
    // one tenant (or none): the index range starts at the cursor; several tenants interleave, no index order helps
    this.index = !def.multiTenant || query.strict ? keysetIndex(def, this.items) : undefined
    this.#binding = stableKey({
      m: `${def.schema ?? ''}.${def.table}`,
      w: query.where ?? null,
      o: this.items.map(({ f, dir }) => `${f.name} ${dir}`),
      s: query.tenants ? [query.strict, query.tenants.map(String).sort()] : null,
      a: query.asOf ? query.asOf.toISOString() : null,
      d: query.includeDeleted,
    })
  }

  /**
   * The model's table as `alias`, for a page read from the current rows: with the dialect's hint to
   * read the keyset index in order where the engine needs one (MariaDB; see Dialect.orderedIndexHint).
   */
  table(alias: string): Fragment {
    const hint = this.index === undefined ? '' : this.#ctx.dialect.orderedIndexHint(this.index)
    return hint ? q`${this.#ctx.main} AS ${id(alias)} ${raw(hint)}` : q`${this.#ctx.main} AS ${id(alias)}`
  }

  #digest(payload: string): string {
    return createHash('sha256').update(this.#binding).update('\n').update(payload).digest('base64url').slice(0, 27)
  }

  /** The cursor that continues after `record` (a decoded record of this model). */
  cursor(record: Readonly<Record<string, unknown>>): string {
    const values = this.items.map(({ f }) => {
      const v = record[f.name]
      if (v === undefined || v === null) return null
      if (typeof v === 'bigint') return v.toString()
      if (v instanceof Date) return v.toISOString()
      // a decimal read as a number: its text at the column's scale (String(1e-7) is '1e-7')
      const t = valueType(f.type)
      if (typeof v === 'number' && t?.kind === 'decimal') return v.toFixed(t.scale)
      return v
    })
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url')
    return `${VERSION}.${payload}.${this.#digest(payload)}`
  }

  /** The key values in `cursor`, checked against this query; ValidationError when it is not one of its cursors. */
  #values(cursor: unknown): unknown[] {
    if (typeof cursor !== 'string' || cursor.length > 16_384) throw bad('after must be a cursor string from page()')
    const parts = cursor.split('.')
    if (parts.length !== 3 || parts[0] !== VERSION) throw bad('after is not a page() cursor')
    const [, payload, digest] = parts as [string, string, string]
    if (this.#digest(payload) !== digest)
      throw bad('the cursor does not belong to this query (where, orderBy, scope, asOf and includeDeleted must match)')
    let values: unknown
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      throw bad('after is not a page() cursor')
    }
    if (!Array.isArray(values) || values.length !== this.items.length) throw bad('after is not a page() cursor')
    return values.map((v, i) => {
      const f = this.items[i]!.f
      // only scalars: an object or array would read as an operator or IN list
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw bad(`cursor value for "${f.name}" is not a scalar`)
      if (v === null && !f.nullable) throw bad(`cursor value for "${f.name}" cannot be null`)
      if (valueType(f.type)?.kind === 'bigint' && typeof v === 'string') {
        if (!/^-?\d{1,20}$/.test(v)) throw bad(`cursor value for "${f.name}" is not an integer`)
        return BigInt(v)
      }
      return v
    })
  }

  /**
   * The rows after the cursor, on `alias`: `k1 > v1 OR (k1 = v1 AND k2 > v2) OR …` with NULLs placed
   * per engine, AND-ed with a redundant bound on the first key so that an index range starts at the
   * cursor instead of the table's start. Values are compiled by `compileWhere`: validated like filters.
   */
  after(cursor: unknown, alias: string): Fragment {
    const values = this.#values(cursor)
    const ctx = this.#ctx
    const where = (f: FieldDef, condition: unknown): Fragment => {
      try {
        return all(compileWhere(ctx, { [f.name]: condition }, alias))
      } catch (error) {
        if (error instanceof ValidationError) throw bad(`cursor value for "${f.name}" does not fit the field`)
        throw error
      }
    }
    const nullsLast = ({ dir }: OrderItem) => ctx.dialect.readSql.nullsLastAscending === (dir === 'asc')
    const beyond = (item: OrderItem, v: unknown): Fragment | undefined => {
      const { f, dir } = item
      if (v === null) return nullsLast(item) ? undefined : where(f, { isNull: false })
      const cmp = where(f, { [dir === 'asc' ? 'gt' : 'lt']: v })
      return nullsLast(item) && f.nullable ? q`(${cmp}) OR ${where(f, null)}` : cmp
    }
    const branches: Fragment[] = []
    const equal: Fragment[] = []
    this.items.forEach((item, i) => {
      const step = beyond(item, values[i])
      if (step) branches.push(all([...equal, step]))
      equal.push(where(item.f, values[i]))
    })
    const any =
      branches.length === 0
        ? q`1 = 0`
        : join(
            branches.map((b) => q`(${b})`),
            ' OR ',
          )
    const first = this.items[0]!
    const v0 = values[0]
    const bound =
      v0 === null
        ? nullsLast(first)
          ? where(first.f, null)
          : undefined
        : nullsLast(first) && first.f.nullable
          ? undefined
          : where(first.f, { [first.dir === 'asc' ? 'gte' : 'lte']: v0 })
    return bound ? and([bound, any]) : any
  }
}

/**
 * The name of a model index (plain, declared in `indexes`) whose columns start with the tenant (on
 * multi-tenant models) and then the sort keys in order, `id` last: the index a keyset page reads
 * as one ordered range. Sort keys in mixed directions are not one range of an ascending index.
 */
export function keysetIndex(def: ModelDef, items: readonly OrderItem[]): string | undefined {
  if (items.some((i) => i.dir !== items[0]!.dir)) return undefined
  const wanted = [
    ...(def.tenantField ? [def.byName.get(def.tenantField)!.column] : []),
    ...items.map((i) => i.f.column),
  ]
  const index = def.indexes.find(
    (idx) =>
      !idx.unique &&
      idx.where === undefined &&
      (idx.method ?? 'btree') === 'btree' &&
      wanted.every((column, i) => idx.columns[i] === column),
  )
  return index && (index.name ?? constraintName(def.table, index.columns, 'idx'))
}

/** AND without parentheses around a single predicate. */
const all = (predicates: readonly Fragment[]): Fragment => (predicates.length === 1 ? predicates[0]! : and(predicates))
