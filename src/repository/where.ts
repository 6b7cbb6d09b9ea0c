import { ValidationError, type ValidationIssue } from '../errors.js'
import { normalizeUuid } from '../ids.js'
import type { ModelContext } from '../mapping/model-context.js'
import { normalizeDecimal, valueType } from '../model/codec.js'
import type { FieldDef, ModelDef } from '../model/define-model.js'
import { dateProblem, storableProblem, textProblem, timestampProblem } from '../model/storable.js'
import { type Fragment, id, join, q, raw } from '../sql/fragment.js'
import { ownData, toInstant } from './input.js'

export type Operator = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'notIn' | 'like' | 'ilike' | 'isNull'
const OPERATORS = new Set<string>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'like', 'ilike', 'isNull'])

export type OrderDirection = 'asc' | 'desc'

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v))

/**
 * Compile a caller's `where` into predicates on `alias`. Keys must be record properties, operators
 * known, and values scalars of the field's type; every problem is collected and thrown as one
 * ValidationError before any SQL is sent.
 */
export function compileWhere(ctx: ModelContext, where: unknown, alias: string): Fragment[] {
  if (where === undefined || where === null) return []
  const issues: ValidationIssue[] = []
  if (!isPlainObject(where)) {
    throw new ValidationError('where must be a plain object', [
      { code: 'custom', message: 'expected an object', path: ['where'] },
    ])
  }
  const out: Fragment[] = []
  for (const [key, condition] of Object.entries(ownData(where, ['where'], issues))) {
    if (condition === undefined) continue
    const f = ctx.def.byName.get(key)
    if (!f) {
      issues.push({ code: 'custom', message: `unknown field "${key}"`, path: ['where', key] })
      continue
    }
    const col = q`${id(alias)}.${id(f.column)}`
    if (condition === null) {
      out.push(q`${col} IS NULL`)
    } else if (Array.isArray(condition)) {
      const p = predicate(ctx, f, col, 'in', condition, ['where', key], issues)
      if (p) out.push(p)
    } else if (isPlainObject(condition)) {
      const entries = Object.entries(ownData(condition, ['where', key], issues)).filter(([, v]) => v !== undefined)
      if (entries.length === 0) issues.push({ code: 'custom', message: 'empty operator object', path: ['where', key] })
      for (const [op, value] of entries) {
        if (!OPERATORS.has(op)) {
          issues.push({ code: 'custom', message: `unknown operator "${op}"`, path: ['where', key, op] })
          continue
        }
        const p = predicate(ctx, f, col, op as Operator, value, ['where', key, op], issues)
        if (p) out.push(p)
      }
    } else {
      const p = predicate(ctx, f, col, 'eq', condition, ['where', key], issues)
      if (p) out.push(p)
    }
  }
  if (issues.length) throw new ValidationError('Invalid where', issues)
  return out
}

function predicate(
  ctx: ModelContext,
  f: FieldDef,
  col: Fragment,
  op: Operator,
  value: unknown,
  path: (string | number)[],
  issues: ValidationIssue[],
): Fragment | undefined {
  const bad = (message: string) => {
    issues.push({ code: 'custom', message, path })
    return undefined
  }
  if (op === 'isNull') {
    if (typeof value !== 'boolean') return bad('isNull takes true or false')
    return value ? q`${col} IS NULL` : q`${col} IS NOT NULL`
  }
  const t = valueType(f.type)
  if (t === undefined || t.kind === 'json' || t.kind === 'array') {
    return bad(`field "${f.name}" holds JSON or an array: only null / isNull filters apply`)
  }
  if (op === 'in' || op === 'notIn') {
    if (!Array.isArray(value)) return bad(`${op} takes an array`)
    const values = value.map((v, i) => scalar(f, v, [...path, i], issues))
    if (values.some((v) => v === INVALID)) return undefined
    if (values.length === 0) return op === 'in' ? q`1 = 0` : q`1 = 1`
    return inList(ctx, f, col, op === 'notIn', values, (m) => bad(m))
  }
  if (op === 'like' || op === 'ilike') {
    // patterns mean something on text only (a uuid or date column has no LIKE: `uuid ~~ unknown`)
    if (t.kind !== 'string' && t.kind !== 'enum') return bad(`${op} applies to text and enum fields only`)
    if (typeof value !== 'string') return bad(`${op} takes a string pattern`)
    const problem = textProblem(value)
    if (problem) return bad(`the pattern ${problem}`)
    // `\` escapes the next character (% _ or \) on every engine; a last one escapes nothing, and
    // the engines disagree on it (an error, no match, a literal backslash)
    if (/(?:^|[^\\])(?:\\\\)*\\$/.test(value))
      return bad(`the pattern ends with a lone escape character (\\): write a literal backslash as \\\\`)
    if (op === 'like') return q`${col} LIKE ${value}`
    return ctx.dialect.readSql.ilike(col, value)
  }
  const v = scalar(f, value, path, issues)
  if (v === INVALID) return undefined
  if (v === null)
    return op === 'eq' ? q`${col} IS NULL` : op === 'ne' ? q`${col} IS NOT NULL` : bad(`${op} needs a value`)
  const sqlOp = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[op]
  return q`${col} ${raw(sqlOp)} ${v}`
}

const INVALID = Symbol('invalid')

/**
 * `col IN (…)` through the dialect's hook: on PostgreSQL one array parameter (`= ANY(CAST($1 AS
 * type[]))`, the element type without its modifier so the cast cannot truncate a value; see
 * ModelContext.castType), so a list of any length is one parameter; on MySQL/MariaDB one placeholder
 * per value, up to the dialect's `maxInList` (the protocol allows 65,535 placeholders per statement).
 */
export function inList(
  ctx: ModelContext,
  f: FieldDef,
  col: Fragment,
  negated: boolean,
  values: readonly unknown[],
  refuse: (message: string) => undefined = tooLong,
): Fragment | undefined {
  const sql = ctx.dialect.readSql
  if (sql.maxInList !== undefined && values.length > sql.maxInList) {
    return refuse(`at most ${sql.maxInList} values on this engine, got ${values.length}`)
  }
  return sql.inList(col, values, negated, () => ctx.castType(f))
}

const tooLong = (message: string): undefined => {
  throw new ValidationError('Invalid list', [{ code: 'custom', message, path: [] }])
}

/** A caller's scalar checked against the field's type and encoded for binding. */
function scalar(f: FieldDef, value: unknown, path: (string | number)[], issues: ValidationIssue[]): unknown {
  const bad = (message: string) => {
    issues.push({ code: 'custom', message, path })
    return INVALID
  }
  if (value === null) return null
  const t = valueType(f.type)!
  const checked = (v: unknown) => {
    const problem = storableProblem(t, v)
    return problem ? bad(`"${f.name}": ${problem}`) : v
  }
  switch (t.kind) {
    case 'string':
    case 'enum':
      return typeof value === 'string' ? checked(value) : bad(`expected a string for "${f.name}"`)
    case 'date': {
      if (typeof value !== 'string') return bad(`expected a date string (YYYY-MM-DD) for "${f.name}"`)
      const problem = dateProblem(value)
      return problem ? bad(`"${f.name}": ${problem}`) : value
    }
    case 'uuid':
      return normalizeUuid(value) ?? bad(`expected a UUID for "${f.name}"`)
    case 'decimal': {
      if (typeof value !== 'string' && typeof value !== 'number')
        return bad(`expected a decimal string for "${f.name}"`)
      if (typeof value === 'number' && !Number.isFinite(value)) return bad(`expected a finite number for "${f.name}"`)
      const n = normalizeDecimal(String(value), t.precision, t.scale)
      if (typeof n !== 'string') return bad(n.error)
      return n
    }
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
        ? checked(value)
        : bad(`expected an integer for "${f.name}"`)
    case 'float':
      return typeof value === 'number' && Number.isFinite(value)
        ? value
        : bad(`expected a finite number for "${f.name}"`)
    case 'bigint':
      if (typeof value === 'bigint') return checked(value)
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
      return bad(`expected a bigint for "${f.name}"`)
    case 'boolean':
      return typeof value === 'boolean' ? value : bad(`expected a boolean for "${f.name}"`)
    case 'timestamp': {
      const d = toInstant(value)
      if (!d) return bad(`expected a Date for "${f.name}"`)
      const problem = timestampProblem(d)
      return problem ? bad(`"${f.name}": ${problem}`) : d
    }
    default:
      return bad(`field "${f.name}" cannot be filtered by value`)
  }
}

export type OrderBy = Record<string, OrderDirection> | readonly Record<string, OrderDirection>[]

/** A validated sort key: a field and its direction. */
export interface OrderItem {
  readonly f: FieldDef
  readonly dir: OrderDirection
}

/** The sort keys of `{ createdAt: 'desc' }` or a list of such (default `createdAt desc, id desc`); `id` always breaks ties. */
export function orderItems(def: ModelDef, orderBy: unknown): OrderItem[] {
  const issues: ValidationIssue[] = []
  const items: OrderItem[] = []
  const list = orderBy === undefined ? [{ createdAt: 'desc' }] : Array.isArray(orderBy) ? orderBy : [orderBy]
  list.forEach((entry, i) => {
    if (!isPlainObject(entry)) {
      issues.push({
        code: 'custom',
        message: 'orderBy entries must be objects like { createdAt: "desc" }',
        path: ['orderBy', i],
      })
      return
    }
    for (const [key, dir] of Object.entries(ownData(entry, ['orderBy', i], issues))) {
      const f = def.byName.get(key)
      if (!f) issues.push({ code: 'custom', message: `unknown field "${key}"`, path: ['orderBy', key] })
      else if (dir !== 'asc' && dir !== 'desc')
        issues.push({ code: 'custom', message: 'direction must be "asc" or "desc"', path: ['orderBy', key] })
      else items.push({ f, dir })
    }
  })
  if (issues.length) throw new ValidationError('Invalid orderBy', issues)
  // ids are time-ordered (UUIDv7): the default `createdAt desc` breaks ties newest first too
  const idField = def.roles.id
  if (!items.some((i) => i.f === idField)) items.push({ f: idField, dir: orderBy === undefined ? 'desc' : 'asc' })
  return items
}

/** `ORDER BY` text for sort keys on `alias`. */
export function orderByFragment(items: readonly OrderItem[], alias: string): Fragment {
  return join(items.map(({ f, dir }) => q`${id(alias)}.${id(f.column)} ${dir === 'asc' ? ASC : DESC}`))
}

/** `ORDER BY` from `{ createdAt: 'desc' }` or a list of such (default `createdAt desc, id desc`); `id` always breaks ties. */
export function compileOrderBy(def: ModelDef, orderBy: unknown, alias: string): Fragment {
  return orderByFragment(orderItems(def, orderBy), alias)
}

const ASC = q`ASC`
const DESC = q`DESC`

/** limit / offset: non-negative integers. */
export function checkPaging(limit: unknown, offset: unknown): { limit: number; offset: number } {
  const issues: ValidationIssue[] = []
  const lim = limit === undefined ? 100 : limit
  const off = offset === undefined ? 0 : offset
  if (!Number.isSafeInteger(lim) || (lim as number) < 0)
    issues.push({ code: 'custom', message: 'limit must be a non-negative integer', path: ['limit'] })
  if (!Number.isSafeInteger(off) || (off as number) < 0)
    issues.push({ code: 'custom', message: 'offset must be a non-negative integer', path: ['offset'] })
  if (issues.length) throw new ValidationError('Invalid paging', issues)
  return { limit: lim as number, offset: off as number }
}
