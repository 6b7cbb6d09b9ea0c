import type { Database } from '../db/database.js'
import { type AppliedStatement, FFStorageError, SchemaSyncError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { validateModel } from '../model/validate-model.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { fromModels, retiredTables } from '../schema/from-models.js'
import type { SchemaDesc, TableDesc } from '../schema/types.js'
import { tableKey } from '../schema/types.js'
import {
  APPLY_ORDER,
  type Change,
  type ChangeKind,
  describe,
  isDestructive,
  objectName,
  PHASES,
  render,
  type Step,
  steps,
} from './changes.js'
import { diffSchemas } from './diff.js'
import { misfitCondition } from './narrowing.js'
import { normalizeSchema } from './normalize.js'
import { renderThroughPostgres } from './shadow.js'

/** One change of a plan, as users see it. */
export interface PlanChange {
  readonly kind: ChangeKind
  readonly table: string
  readonly object: string
  readonly destructive: boolean
  readonly sql: readonly string[]
  readonly description: string
}

/** A change that cannot run as planned (NOT NULL column without default on a table with rows). */
export interface PlanBlocker {
  readonly change: PlanChange
  readonly message: string
}

const SYMBOL: Partial<Record<ChangeKind, string>> = {
  createSchema: '+',
  createTable: '+',
  addColumn: '+',
  addIndex: '+',
  addPrimaryKey: '+',
  addForeignKey: '+',
  addCheck: '+',
  dropColumn: '-',
  dropIndex: '-',
  dropPrimaryKey: '-',
  dropForeignKey: '-',
  dropCheck: '-',
  dropTable: '-',
}

/** What `sync` would do: terraform-like, nothing applied. */
export class Plan {
  readonly changes: readonly PlanChange[]
  readonly blockers: readonly PlanBlocker[]
  /** @internal */
  readonly raw: readonly Change[]

  constructor(raw: readonly Change[], changes: readonly PlanChange[], blockers: readonly PlanBlocker[]) {
    this.raw = raw
    this.changes = changes
    this.blockers = blockers
  }

  get isEmpty(): boolean {
    return this.changes.length === 0
  }

  get hasDestructive(): boolean {
    return this.changes.some((c) => c.destructive)
  }

  /** `+` add, `~` change, `-` remove; destructive changes marked. Colour only when asked. */
  toString(options: { color?: boolean } = {}): string {
    if (this.isEmpty) return 'No changes. The database matches the models.'
    const paint = (code: number, s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s)
    const lines = this.changes.map((c) => {
      const symbol = SYMBOL[c.kind] ?? '~'
      const color = symbol === '+' ? 32 : symbol === '-' ? 31 : 33
      return `  ${paint(color, symbol)} ${c.description}${c.destructive ? paint(31, '  [destructive]') : ''}`
    })
    const count = (s: string) => this.changes.filter((c) => (SYMBOL[c.kind] ?? '~') === s).length
    const destructive = this.changes.filter((c) => c.destructive).length
    const summary = `Plan: ${count('+')} to add, ${count('~')} to change, ${count('-')} to remove${destructive ? ` (${destructive} destructive: applied only with allowDestructive)` : ''}.`
    const blocked = this.blockers.map((b) => `  ${paint(31, '!')} ${b.message}`)
    return [...lines, '', summary, ...(blocked.length ? ['', 'Cannot apply:', ...blocked] : [])].join('\n')
  }
}

export interface SyncOptions {
  /** Plan only; nothing is applied. */
  readonly dryRun?: boolean
  /** Also apply drops, narrowing type changes and other changes that can lose data. */
  readonly allowDestructive?: boolean
}

/** How a SchemaManager applies plans to a live database. */
export interface SchemaManagerOptions {
  /**
   * Longest wait for a table lock before a statement gives up (default 5000 ms), so a migration never
   * queues behind a long transaction and blocks the traffic behind it. A timeout fails the sync with
   * a SchemaSyncError whose `lockTimeout` is true. (MySQL 8: not set; MariaDB and PostgreSQL: set.)
   */
  readonly lockTimeoutMs?: number
  /** Longest run of one statement (default: none). */
  readonly statementTimeoutMs?: number
  /**
   * Tables with at least this many rows (the engine's estimate) get new indexes built without
   * blocking writes: `CREATE INDEX CONCURRENTLY` after the plan's transaction on PostgreSQL,
   * `ALGORITHM=INPLACE, LOCK=NONE` on MySQL/MariaDB. Default 100 000.
   */
  readonly onlineIndexRows?: number
}

const DEFAULTS = { lockTimeoutMs: 5_000, onlineIndexRows: 100_000 }

export interface SyncResult {
  readonly changes: readonly PlanChange[]
  readonly applied: readonly PlanChange[]
  /** Destructive changes left unapplied (without allowDestructive), or everything on a dry run. */
  readonly pending: readonly PlanChange[]
}

/**
 * Keeps the database schema in sync with the models: main, audit and history tables, keys, checks
 * and indexes. `plan` compares; `sync` applies what is safe (and, when allowed, what is not).
 *
 * @example
 * const schema = new SchemaManager(db)
 * console.log((await schema.plan([User, Contract])).toString())
 * const { applied, pending } = await schema.sync([User, Contract])
 */
export class SchemaManager {
  readonly #db: Database
  readonly #options: SchemaManagerOptions

  constructor(db: Database, options: SchemaManagerOptions = {}) {
    this.#db = db
    this.#options = options
  }

  /** Compare the models with the live database. Nothing is applied. */
  async plan(models: readonly Model[]): Promise<Plan> {
    const db = this.#db
    const { dialect } = db
    const problems = models.flatMap((m) =>
      validateModel(m, { engine: dialect.name })
        .filter((p) => p.level === 'error')
        .map((p) => `${m.def.table}: ${p.message}`),
    )
    if (problems.length)
      throw new SchemaSyncError(`The models cannot be synced on ${dialect.name}:\n  - ${problems.join('\n  - ')}`)
    let desired: SchemaDesc
    try {
      desired = fromModels(models, dialect)
    } catch (error) {
      if (error instanceof ModelDefinitionError) throw new SchemaSyncError(error.message, { cause: error })
      throw error
    }
    const query = async (sql: string, parameters: readonly unknown[]) => (await db.run({ sql, parameters })).rows
    const pg = dialect.family === 'postgres'
    const defaultSchema = pg ? String((await query('SELECT current_schema() AS s', []))[0]?.s) : undefined
    const schemas = [...new Set(desired.tables.map((t) => t.schema))]
    const live = await dialect.introspector.read(query, schemas)
    const keyOf = (t: { schema: string | undefined; name: string }) => `${t.schema ?? defaultSchema ?? ''}.${t.name}`
    const wanted = new Set(desired.tables.map(keyOf))
    const actual: SchemaDesc = { tables: live.tables.filter((t) => wanted.has(keyOf(t))) }
    const liveByKey = new Map(live.tables.map((t) => [keyOf(t), t]))
    const retired = retiredTables(models, dialect).flatMap((r) => {
      const table = liveByKey.get(keyOf(r))
      // only a table that is ours by its columns, and that no model uses
      if (!table || wanted.has(keyOf(r)) || !table.columns.some((c) => c.name === r.marker)) return []
      return [{ kind: 'dropTable', table, reason: r.reason } as const]
    })
    const explicitSchemas = schemas.filter((s): s is string => s !== undefined)
    const existingSchemas = pg
      ? new Set(
          (await query('SELECT nspname AS s FROM pg_namespace WHERE nspname = ANY($1)', [explicitSchemas])).map((r) =>
            String(r.s),
          ),
        )
      : undefined
    const comparable = pg ? await renderThroughPostgres(db, desired, defaultSchema!) : desired
    const diffed = diffSchemas(normalizeSchema(comparable, dialect.family), normalizeSchema(actual, dialect.family), {
      family: dialect.family,
      ...(defaultSchema !== undefined && { defaultSchema }),
      ...(existingSchemas && { existingSchemas }),
    })
    const raw = [...(await this.#online(diffed)), ...retired]
    // report the model's own text in plans and statements, not the catalog's rendering of it
    const source = new Map(desired.tables.map((t) => [tableKey(t), t]))
    // apply order by kind, then the order the models list their tables in
    const position = new Map(desired.tables.map((t, i) => [tableKey(t), i]))
    const rank = (c: Change) =>
      c.kind === 'createSchema' ? -1 : (position.get(tableKey(c.table)) ?? desired.tables.length)
    const ordered = [...raw].sort(
      (a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind) || rank(a) - rank(b),
    )
    const withSource = ordered.map((c) => withModelText(c, source))
    const changes = withSource.map((c) => toPlanChange(c, db))
    const blockers = await this.#blockers(withSource, changes)
    return new Plan(withSource, changes, blockers)
  }

  /** Index builds on tables above the size threshold are marked to run without blocking writes. */
  async #online(changes: Change[]): Promise<Change[]> {
    const db = this.#db
    const threshold = this.#options.onlineIndexRows ?? DEFAULTS.onlineIndexRows
    // one connection: nobody else can be writing (PGlite)
    if (db.dialect.capabilities.singleConnection) return changes
    const created = new Set(changes.flatMap((c) => (c.kind === 'createTable' ? [tableKey(c.table)] : [])))
    const tables = new Map<string, TableDesc>()
    for (const c of changes)
      if ((c.kind === 'addIndex' || c.kind === 'replaceIndex') && !created.has(tableKey(c.table)))
        tables.set(tableKey(c.table), c.table)
    if (tables.size === 0) return changes
    const rows = new Map<string, number>()
    for (const [key, t] of tables) rows.set(key, await this.#estimatedRows(t))
    return changes.map((c) => {
      if (c.kind !== 'addIndex' && c.kind !== 'replaceIndex') return c
      const n = rows.get(tableKey(c.table))
      return n !== undefined && n >= threshold ? { ...c, online: n } : c
    })
  }

  /** The engine's estimate of a table's rows (PostgreSQL counts a table never analyzed). */
  async #estimatedRows(t: TableDesc): Promise<number> {
    const db = this.#db
    const one = async (sql: string, parameters: unknown[]) =>
      Number((await db.run({ sql, parameters })).rows[0]?.n ?? 0)
    if (db.dialect.family === 'postgres') {
      const name = db.dialect.ddl.qualify(t.schema, t.name)
      const n = await one('SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass', [name])
      return n >= 0 ? n : one(`SELECT count(*) AS n FROM ${name}`, [])
    }
    return one(
      'SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = database() AND table_name = ?',
      [t.name],
    )
  }

  /** NOT NULL without a default cannot be added to (or enforced on) a table holding rows / NULLs. */
  async #blockers(raw: readonly Change[], changes: readonly PlanChange[]): Promise<PlanBlocker[]> {
    const blockers: PlanBlocker[] = []
    const { dialect } = this.#db
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!
      if (c.kind !== 'addColumn' && c.kind !== 'setNotNull') continue
      if (c.column.nullable || c.column.default !== undefined || c.column.backfill !== undefined) continue
      if (c.column.generated !== undefined || c.column.identity) continue
      const table = dialect.ddl.qualify(c.table.schema, c.table.name)
      const probe =
        c.kind === 'addColumn'
          ? `SELECT 1 AS x FROM ${table} LIMIT 1`
          : `SELECT 1 AS x FROM ${table} WHERE ${dialect.quoteId(c.column.name)} IS NULL LIMIT 1`
      const { rows } = await this.#db.run({ sql: probe, parameters: [] })
      if (rows.length === 0) continue
      const where = `${tableKey(c.table)}.${c.column.name}`
      blockers.push({
        change: changes[i]!,
        message:
          c.kind === 'addColumn'
            ? `column ${where} is NOT NULL without a default, and ${tableKey(c.table)} has rows. Give the field a default (Zod .default() or sqlDefault), make it .optional()/.nullable(), or add it nullable, backfill, then tighten.`
            : `column ${where} becomes NOT NULL but holds NULLs and has no default to backfill from. Give the field a default, or backfill the NULLs first.`,
      })
    }
    return blockers
  }

  /**
   * Values a narrowing type change would cut or round (PostgreSQL's cast does it silently; MySQL
   * refuses mid-plan): counted before anything runs, and refused with the column and the count.
   */
  async #misfits(raw: readonly Change[]): Promise<string[]> {
    const { dialect } = this.#db
    const problems: string[] = []
    for (const c of raw) {
      if (c.kind !== 'alterColumnType' || c.widening) continue
      const column = dialect.quoteId(c.column.name)
      const condition = misfitCondition(column, c.from.type, c.column.type, dialect.family)
      if (condition === undefined) continue
      const table = dialect.ddl.qualify(c.table.schema, c.table.name)
      const { rows } = await this.#db.run({
        sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} IS NOT NULL AND ${condition}`,
        parameters: [],
      })
      const n = Number(rows[0]?.n ?? 0)
      if (n > 0)
        problems.push(
          `column ${tableKey(c.table)}.${c.column.name} becomes ${c.column.type}, but ${n} row${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} values that do not fit ${c.from.type} → ${c.column.type} unchanged. Fix or shorten those values first, or keep the wider type.`,
        )
    }
    return problems
  }

  /**
   * Apply the plan: safe changes always, destructive ones only with `allowDestructive` (else they are
   * returned as `pending`). PostgreSQL and PGlite apply in one transaction; MySQL applies in
   * dependency order and, if a step fails, the SchemaSyncError lists what ran before it, statement by
   * statement (`error.applied`).
   */
  async sync(models: readonly Model[], options: SyncOptions = {}): Promise<SyncResult> {
    const db = this.#db
    const { dialect } = db
    const plan = await this.plan(models)
    if (options.dryRun) return { changes: plan.changes, applied: [], pending: plan.changes }
    const chosen = plan.changes.map((c) => options.allowDestructive || !c.destructive)
    const todo = plan.changes.filter((_, i) => chosen[i])
    const pending = plan.changes.filter((_, i) => !chosen[i])
    const problems = [
      ...plan.blockers.filter((b) => todo.includes(b.change)).map((b) => b.message),
      ...(await this.#misfits(plan.raw.filter((_, i) => chosen[i]))),
    ]
    if (problems.length) {
      throw new SchemaSyncError(`Nothing was applied:\n${problems.map((m) => `  - ${m}`).join('\n')}`)
    }
    // every statement of the chosen changes, in dependency order across the plan
    const queue = plan.raw
      .flatMap((c, i) => (chosen[i] ? steps(c, dialect).map((step) => ({ step, change: plan.changes[i]! })) : []))
      .map((s, order) => ({ ...s, order }))
      .sort((a, b) => PHASES.indexOf(a.step.phase) - PHASES.indexOf(b.step.phase) || a.order - b.order)
    const timeouts = dialect.ddl.timeouts({
      lockTimeoutMs: this.#options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
      statementTimeoutMs: this.#options.statementTimeoutMs,
    })
    const transactional = dialect.capabilities.transactionalDdl
    const ran: AppliedStatement[] = []
    const remaining = new Map(todo.map((c) => [c, queue.filter((q) => q.change === c).length]))
    const applied: PlanChange[] = []
    const run = async (target: Database, step: Step, change: PlanChange, kept: boolean) => {
      try {
        await target.run({ sql: step.outsideTransaction ? step.sql : timeouts.wrap(step.sql), parameters: [] })
      } catch (error) {
        for (const sql of step.cleanup ?? []) await target.run({ sql, parameters: [] }).catch(() => undefined)
        throw this.#failure(error, step, change, kept ? ran : [], transactional && !step.outsideTransaction)
      }
      if (kept || !step.outsideTransaction) ran.push(statement(change, step.sql))
      const left = remaining.get(change)! - 1
      remaining.set(change, left)
      if (left === 0) applied.push(change)
    }
    const inline = queue.filter((q) => !q.step.outsideTransaction)
    const outside = queue.filter((q) => q.step.outsideTransaction)
    if (transactional) {
      try {
        await db.transactionOnce(async (tx) => {
          for (const sql of timeouts.session) await tx.run({ sql, parameters: [] })
          for (const q of inline) await run(tx, q.step, q.change, false)
        })
      } catch (error) {
        applied.length = 0
        ran.length = 0
        throw error
      }
      // committed: from here on what ran stays, and a failure says so
      for (const q of outside) await run(db, q.step, q.change, true)
    } else {
      for (const q of queue) await run(db, q.step, q.change, true)
    }
    return { changes: plan.changes, applied, pending }
  }

  #failure(error: unknown, step: Step, change: PlanChange, ran: readonly AppliedStatement[], rolledBack: boolean) {
    const { dialect } = this.#db
    const lockTimeout =
      error instanceof FFStorageError &&
      error.dbCode !== undefined &&
      dialect.ddl.lockTimeoutCodes.includes(error.dbCode)
    const reason = lockTimeout
      ? `lock timeout: ${change.table} is locked by another transaction (waited ${this.#options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs} ms; retry when it is idle, or raise lockTimeoutMs)`
      : (error as Error).message
    const partial = ran.some((r) => r.change === change.description)
    const listed = ran.map((r) => `  - ${r.sql.split('\n')[0]}  (${r.change})`).join('\n')
    const after = rolledBack
      ? '\nNothing was applied (the plan runs in one transaction).'
      : `\nApplied before the failure, statement by statement:\n${listed || '  (nothing)'}${
          partial ? `\n"${change.description}" is partly applied.` : ''
        }`
    return new SchemaSyncError(`Applying "${change.description}" failed: ${reason}${after}`, {
      cause: error,
      sql: step.sql,
      applied: rolledBack ? [] : ran,
      lockTimeout,
    })
  }
}

function statement(change: PlanChange, sql: string): AppliedStatement {
  return Object.freeze({
    change: change.description,
    kind: change.kind,
    table: change.table,
    object: change.object,
    sql,
  })
}

function toPlanChange(change: Change, db: Database): PlanChange {
  return Object.freeze({
    kind: change.kind,
    table: change.kind === 'createSchema' ? change.schema : tableKey(change.table),
    object: objectName(change),
    destructive: isDestructive(change),
    sql: render(change, db.dialect),
    description: describe(change),
  })
}

/** Statements use the model's own table description (its text), not the catalog's rendering. */
function withModelText(change: Change, source: ReadonlyMap<string, import('../schema/types.js').TableDesc>): Change {
  if (change.kind === 'createSchema') return change
  const table = source.get(tableKey(change.table)) ?? change.table
  const pick = <T extends { name: string }>(list: readonly T[], item: T): T =>
    list.find((x) => x.name === item.name) ?? item
  switch (change.kind) {
    case 'createTable':
      return { ...change, table }
    case 'addColumn':
    case 'alterColumnType':
    case 'setNullable':
    case 'setNotNull':
    case 'setDefault':
      return { ...change, table, column: pick(table.columns, change.column) }
    case 'addIndex':
    case 'replaceIndex':
      return { ...change, table, index: pick(table.indexes, change.index) }
    case 'addForeignKey':
    case 'replaceForeignKey':
      return { ...change, table, foreignKey: pick(table.foreignKeys, change.foreignKey) }
    case 'addCheck':
    case 'replaceCheck':
      return { ...change, table, check: pick(table.checks, change.check) }
    default:
      return { ...change, table }
  }
}
