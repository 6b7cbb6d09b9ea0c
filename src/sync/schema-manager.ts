import type { Database } from '../db/database.js'
import { type AppliedStatement, FFStorageError, SchemaSyncError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { fromModels, retiredTables } from '../schema/from-models.js'
import { type SchemaDesc, tableKey } from '../schema/types.js'
import { validateModel } from '../schema/validate-model.js'
import { APPLY_ORDER, type Change, PHASES, type Step, steps } from './changes.js'
import { collationBlockers } from './collation-blockers.js'
import { diffSchemas } from './diff.js'
import { normalizeSchema } from './normalize.js'
import { markOnline, misfits, notNullBlockers } from './probes.js'
import { renderThroughPostgres } from './shadow.js'
import { changesOf, makePlan, type Plan, type PlanChange, toPlanChange, withModelText } from './sync-plan.js'

export { Plan, type PlanBlocker, type PlanChange } from './sync-plan.js'

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
    const { introspector } = dialect
    const defaultSchema = await introspector.defaultSchema(query)
    const schemas = [...new Set(desired.tables.map((t) => t.schema))]
    const live = await introspector.read(query, schemas)
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
    const existingSchemas = await introspector.existingSchemas(query, explicitSchemas)
    const comparable =
      introspector.rendersThroughShadow && defaultSchema !== undefined
        ? await renderThroughPostgres(db, desired, defaultSchema)
        : desired
    const diffed = diffSchemas(
      normalizeSchema(comparable, dialect.normalize),
      normalizeSchema(actual, dialect.normalize),
      {
        typeChange: dialect.typeChange,
        ...(defaultSchema !== undefined && { defaultSchema }),
        ...(existingSchemas && { existingSchemas }),
      },
    )
    const raw = [
      ...(await markOnline(db, diffed, this.#options.onlineIndexRows ?? DEFAULTS.onlineIndexRows)),
      ...retired,
    ]
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
    const changes = withSource.map((c) => toPlanChange(c, dialect))
    const blockers = [
      ...(await notNullBlockers(db, withSource, changes)),
      ...(await collationBlockers(db, withSource, changes, desired, live)),
    ]
    return makePlan(withSource, changes, blockers)
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
    const raw = changesOf(plan)
    if (options.dryRun) return { changes: plan.changes, applied: [], pending: plan.changes }
    const chosen = plan.changes.map((c) => options.allowDestructive || !c.destructive)
    const todo = plan.changes.filter((_, i) => chosen[i])
    const pending = plan.changes.filter((_, i) => !chosen[i])
    const problems = [
      ...plan.blockers.filter((b) => todo.includes(b.change)).map((b) => b.message),
      ...(await misfits(
        db,
        raw.filter((_, i) => chosen[i]),
      )),
    ]
    if (problems.length) {
      throw new SchemaSyncError(`Nothing was applied:\n${problems.map((m) => `  - ${m}`).join('\n')}`)
    }
    // every statement of the chosen changes, in dependency order across the plan
    const queue = raw
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
