import type { Database } from '../db/database.js'
import { execute } from '../db/executor.js'
import { TemporalStrategyError } from '../errors.js'
import type { ModelContext } from '../mapping/model-context.js'
import type { Model, ModelDef } from '../model/define-model.js'
import type { ModelRecord } from '../model/types.js'
import { and, type Scope } from '../scope/scope.js'
import { compile, type Fragment, id, Prepared, q, Slot } from '../sql/fragment.js'
import { type Plan, type PlanSteps, plan } from '../sql/plan.js'
import type { Statement } from '../sql/statement.js'
import { asOfSource, versionByIdAt } from '../temporal/scd2-history.js'
import {
  COUNT_OPTIONS,
  LIST_OPTIONS,
  PAGE_OPTIONS,
  READ_OPTIONS,
  readIds,
  readOptions,
  STREAM_OPTIONS,
} from './input.js'
import { Keyset } from './keyset.js'
import { requireDate, requireUuid } from './records.js'
import type { ListOptions, Page, PageOptions, ReadOptions, StreamOptions } from './types.js'
import { checkPaging, compileOrderBy, compileWhere, inList, orderByFragment } from './where.js'
import { cachedRead, type RepositoryCore } from './writes-core.js'

/**
 * Plain reads (get, getMany, list, count, page, stream): validate the call, build a read plan (pure:
 * the statements and how their rows decode), run it through the executor, cache where asked.
 */

type Row = Record<string, unknown>

/** What reads need from a repository: its database, model, scope, cache and compiled shapes. */
export interface ReadContext {
  readonly db: Database
  readonly ctx: ModelContext
  readonly scope: Scope
  /** The get-by-id statements of this repository, compiled once per shape (see getPlan). */
  readonly byId: Map<number, Prepared>
  cached<T>(method: string, args: unknown, load: () => Promise<T>): Promise<T>
}

/** The read context of a repository, built once with it. */
export function readContext(core: RepositoryCore): ReadContext {
  return {
    db: core.db,
    ctx: core.ctx,
    scope: core.scope,
    byId: new Map(),
    cached: (m, a, l) => cachedRead(core, m, a, l),
  }
}

/** TemporalStrategyError unless the model uses `strategy` (before any SQL). */
export function requireStrategy(def: ModelDef, strategy: ModelDef['temporal'], what: string): void {
  if (def.temporal !== strategy) {
    throw new TemporalStrategyError(`${what} needs temporal: '${strategy}'; ${def.table} uses '${def.temporal}'`)
  }
}

/**
 * A read's options, type-checked (own data properties, unknown keys refused) before anything uses
 * them: the cache key included. `asOf` is also checked against the model's strategy here.
 */
function readOpts<O extends ReadOptions>(def: ModelDef, options: O, readers: Parameters<typeof readOptions>[1]): O {
  const read = readOptions(options, readers) as unknown as O
  if (read.asOf !== undefined) {
    requireStrategy(def, 'scd2', 'asOf')
    return { ...read, asOf: requireDate(read.asOf, 'asOf') }
  }
  return read
}

// ─── plans ──────────────────────────────────────────────────────────────────────────────────────

/** Stands for the id in a statement compiled once. */
const READ_ID = new Slot('id')
const READ_AT = new Slot('asOf')

/**
 * One record by id, or null. The statement depends only on the scope and the options used: it is
 * compiled once per shape into `prepared` and bound per call (the hot path of `get`).
 */
export function getPlan(
  ctx: ModelContext,
  scope: Scope,
  prepared: Map<number, Prepared>,
  recordId: string,
  options: { readonly includeDeleted?: boolean | undefined; readonly asOf?: Date | undefined },
): Plan<Row | null> {
  const includeDeleted = options.includeDeleted === true
  const at = options.asOf
  const shape = (at ? 2 : 0) + (includeDeleted ? 1 : 0)
  let p = prepared.get(shape)
  if (!p) {
    const filter = (alias: string) => scope.read(alias, includeDeleted)
    const statement = at
      ? versionByIdAt(ctx, READ_ID, READ_AT, filter)
      : q`SELECT ${ctx.select('r')} FROM ${ctx.main} AS r WHERE ${and([q`r.${id(ctx.def.roles.id.column)} = ${READ_ID}`, ...filter('r')])}`
    p = new Prepared(statement, ctx.dialect)
    prepared.set(shape, p)
  }
  const statement = p.bind((slot) => (slot === READ_ID ? recordId : at))
  return plan('read', () => readOne(ctx, statement))
}

// The steps of each plan are module-level generator functions, never a generator closure made per
// call (measured: a get took ~3 µs of client time with them, ~12 µs with a closure per call; likely
// because each generator function made at run time brings its own prototype for its generators).

function* readOne(ctx: ModelContext, statement: Statement): PlanSteps<Row | null> {
  const row = (yield statement).rows[0]
  return row ? ctx.decode(row) : null
}

/** The main table as `r`, or (scd2 with `asOf`) each record's version at that instant. */
export function* readSource(
  ctx: ModelContext,
  scope: Scope,
  asOf: Date | undefined,
  ids?: readonly string[],
): PlanSteps<Fragment> {
  if (asOf === undefined) return q`${ctx.main} AS r`
  return yield* asOfSource(ctx, scope, asOf, ids)
}

/** `alias.id IN (ids)` (see inList: one array parameter where the dialect binds lists as one). */
function idIn(ctx: ModelContext, alias: string, ids: readonly string[]): Fragment {
  const f = ctx.def.roles.id
  return inList(ctx, f, q`${id(alias)}.${id(f.column)}`, false, ids)!
}

/**
 * Records by id (distinct ids): one statement, or on engines with a placeholder per list value one
 * per chunk within the limit (the asOf source lists the ids twice).
 */
export function getManyPlan(
  ctx: ModelContext,
  scope: Scope,
  ids: readonly string[],
  options: ReadOptions,
): Plan<Row[]> {
  return plan('read', () => readMany(ctx, scope, ids, options))
}

function* readMany(ctx: ModelContext, scope: Scope, ids: readonly string[], options: ReadOptions): PlanSteps<Row[]> {
  const max = ctx.dialect.readSql.maxInList
  const chunk = max === undefined ? Math.max(1, ids.length) : max / 2
  const records: Row[] = []
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk)
    const source = yield* readSource(ctx, scope, options.asOf, part)
    const where = and([idIn(ctx, 'r', part), ...scope.read('r', options.includeDeleted)])
    const { rows } = yield compile(q`SELECT ${ctx.select('r')} FROM ${source} WHERE ${where}`, ctx.dialect)
    for (const row of rows) records.push(ctx.decode(row))
  }
  return records
}

/** What list, count and page read: the caller's compiled where plus the scope's predicates. */
export interface Selection {
  readonly filter: readonly Fragment[]
  readonly includeDeleted?: boolean | undefined
  readonly asOf?: Date | undefined
  /** The main table as read without asOf, when it differs from `main AS r` (a keyset page's index hint). */
  readonly table?: Fragment | undefined
}

const selected = (scope: Scope, s: Selection) => and([...scope.read('r', s.includeDeleted), ...s.filter])

/** Records matching a selection, ordered, at most `limit` (from `offset` where given: keyset pages have none). */
export function listPlan(
  ctx: ModelContext,
  scope: Scope,
  selection: Selection,
  order: Fragment,
  limit: number,
  offset?: number,
): Plan<Row[]> {
  const paged = offset === undefined ? q`LIMIT ${limit}` : q`LIMIT ${limit} OFFSET ${offset}`
  return plan('read', () => readList(ctx, scope, selection, q`ORDER BY ${order} ${paged}`))
}

function* readList(ctx: ModelContext, scope: Scope, selection: Selection, tail: Fragment): PlanSteps<Row[]> {
  const source =
    selection.asOf === undefined && selection.table ? selection.table : yield* readSource(ctx, scope, selection.asOf)
  const where = selected(scope, selection)
  const { rows } = yield compile(q`SELECT ${ctx.select('r')} FROM ${source} WHERE ${where} ${tail}`, ctx.dialect)
  return rows.map((r) => ctx.decode(r))
}

/** How many records match a selection (records, not versions). */
export function countPlan(ctx: ModelContext, scope: Scope, selection: Selection): Plan<number> {
  return plan('read', () => readCount(ctx, scope, selection))
}

function* readCount(ctx: ModelContext, scope: Scope, selection: Selection): PlanSteps<number> {
  const source = yield* readSource(ctx, scope, selection.asOf)
  const { rows } = yield compile(
    q`SELECT count(*) AS n FROM ${source} WHERE ${selected(scope, selection)}`,
    ctx.dialect,
  )
  return Number(rows[0]?.n ?? 0)
}

// ─── the repository's reads ─────────────────────────────────────────────────────────────────────

/** One record, or null. `asOf` (scd2) reads it as it was then. */
export function get<M extends Model>(r: ReadContext, recordId: string, options: ReadOptions = {}) {
  recordId = requireUuid(recordId, 'id')
  options = readOpts(r.ctx.def, options, READ_OPTIONS)
  return r.cached('get', [recordId, options], () =>
    execute(r.db, getPlan(r.ctx, r.scope, r.byId, recordId, options)),
  ) as Promise<ModelRecord<M> | null>
}

/** Several records by id: a Map in the order of `ids`, null for each one not found. */
export function getMany<M extends Model>(r: ReadContext, ids: readonly string[], options: ReadOptions = {}) {
  ids = readIds(ids)
  options = readOpts(r.ctx.def, options, READ_OPTIONS)
  return r.cached('getMany', [ids, options], async () => {
    const result = new Map<string, ModelRecord<M> | null>(ids.map((i) => [i, null]))
    if (ids.length === 0) return result
    const idName = r.ctx.def.roles.id.name
    const rows = await execute(r.db, getManyPlan(r.ctx, r.scope, [...new Set(ids)], options))
    for (const row of rows) result.set(row[idName] as string, row as ModelRecord<M>)
    return result
  })
}

/** Records matching `where`, ordered (default `createdAt desc, id`), paged (default 100 from 0). */
export function list<M extends Model>(r: ReadContext, options: ListOptions<M> = {}) {
  options = readOpts(r.ctx.def, options, LIST_OPTIONS)
  const { limit, offset } = checkPaging(options.limit, options.offset)
  const selection = { ...options, filter: compileWhere(r.ctx, options.where, 'r') }
  const order = compileOrderBy(r.ctx.def, options.orderBy, 'r')
  return r.cached('list', options, () =>
    execute(r.db, listPlan(r.ctx, r.scope, selection, order, limit, offset)),
  ) as Promise<ModelRecord<M>[]>
}

/** How many records match (records, not versions). */
export function count<M extends Model>(
  r: ReadContext,
  options: Omit<ListOptions<M>, 'orderBy' | 'limit' | 'offset'> = {},
) {
  options = readOpts(r.ctx.def, options, COUNT_OPTIONS)
  return execute(r.db, countPlan(r.ctx, r.scope, { ...options, filter: compileWhere(r.ctx, options.where, 'r') }))
}

/** One keyset page (see Repository.page): `limit + 1` rows tell whether another page follows. */
export async function page<M extends Model>(r: ReadContext, options: PageOptions<M> = {}): Promise<Page<M>> {
  options = readOpts(r.ctx.def, options, PAGE_OPTIONS)
  const limit = options.limit ?? 100
  const includeDeleted = options.includeDeleted === true
  const filter = compileWhere(r.ctx, options.where, 'r')
  const keyset = new Keyset(r.ctx, {
    where: options.where,
    orderBy: options.orderBy,
    tenants: r.scope.tenants,
    strict: r.scope.strict,
    asOf: options.asOf,
    includeDeleted,
  })
  if (options.after !== undefined && options.after !== null) filter.push(keyset.after(options.after, 'r'))
  // without asOf the table is read through the keyset's index (an index hint where the engine needs one)
  const selection = { filter, includeDeleted, asOf: options.asOf, table: keyset.table('r') }
  const rows = await execute(r.db, listPlan(r.ctx, r.scope, selection, orderByFragment(keyset.items, 'r'), limit + 1))
  const records = rows.slice(0, limit) as ModelRecord<M>[]
  const next = rows.length > limit ? keyset.cursor(records[limit - 1] as Record<string, unknown>) : null
  return { records, next }
}

/** Every matching record in keyset order, `batchSize` at a time (see Repository.stream). */
export function stream<M extends Model>(
  r: ReadContext,
  options: StreamOptions<M> = {},
): AsyncIterableIterator<ModelRecord<M>> {
  // read here, before the first batch: a bad option throws at the call, not at the first next()
  const { batchSize, ...query } = readOptions(options, STREAM_OPTIONS) as StreamOptions<M>
  const limit = batchSize ?? 1_000
  const pages = async function* () {
    let after: string | null = null
    do {
      const p: Page<M> = await page<M>(r, { ...query, limit, after })
      yield* p.records
      after = p.next
    } while (after !== null)
  }
  return pages()
}
