import type { Database } from '../db/database.js'
import { SchemaSyncError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { validateModel } from '../model/validate-model.js'
import { ModelDefinitionError } from '../model/zod-types.js'
import { fromModels } from '../schema/from-models.js'
import type { SchemaDesc } from '../schema/types.js'
import { tableKey } from '../schema/types.js'
import { APPLY_ORDER, type Change, type ChangeKind, describe, isDestructive, objectName, render } from './changes.js'
import { diffSchemas } from './diff.js'
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

  constructor(db: Database) {
    this.#db = db
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
    const wanted = new Set(desired.tables.map((t) => `${t.schema ?? defaultSchema ?? ''}.${t.name}`))
    const actual: SchemaDesc = {
      tables: live.tables.filter((t) => wanted.has(`${t.schema ?? defaultSchema ?? ''}.${t.name}`)),
    }
    const explicitSchemas = schemas.filter((s): s is string => s !== undefined)
    const existingSchemas = pg
      ? new Set(
          (await query('SELECT nspname AS s FROM pg_namespace WHERE nspname = ANY($1)', [explicitSchemas])).map((r) =>
            String(r.s),
          ),
        )
      : undefined
    const comparable = pg ? await renderThroughPostgres(db, desired, defaultSchema!) : desired
    const raw = diffSchemas(normalizeSchema(comparable, dialect.family), normalizeSchema(actual, dialect.family), {
      family: dialect.family,
      ...(defaultSchema !== undefined && { defaultSchema }),
      ...(existingSchemas && { existingSchemas }),
    })
    // report the model's own text in plans and statements, not the catalog's rendering of it
    const source = new Map(desired.tables.map((t) => [tableKey(t), t]))
    // apply order by kind, then the order the models list their tables in
    const position = new Map(desired.tables.map((t, i) => [tableKey(t), i]))
    const rank = (c: Change) => (c.kind === 'createSchema' ? -1 : (position.get(tableKey(c.table)) ?? 0))
    const ordered = [...raw].sort(
      (a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind) || rank(a) - rank(b),
    )
    const withSource = ordered.map((c) => withModelText(c, source))
    const changes = withSource.map((c) => toPlanChange(c, db))
    const blockers = await this.#blockers(withSource, changes)
    return new Plan(withSource, changes, blockers)
  }

  /** NOT NULL without a default cannot be added to (or enforced on) a table holding rows / NULLs. */
  async #blockers(raw: readonly Change[], changes: readonly PlanChange[]): Promise<PlanBlocker[]> {
    const blockers: PlanBlocker[] = []
    const { dialect } = this.#db
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!
      if ((c.kind !== 'addColumn' && c.kind !== 'setNotNull') || c.column.nullable || c.column.default !== undefined)
        continue
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
   * Apply the plan: safe changes always, destructive ones only with `allowDestructive` (else they are
   * returned as `pending`). PostgreSQL and PGlite apply in one transaction; MySQL applies in order and,
   * if a step fails, the SchemaSyncError says what was applied before it.
   */
  async sync(models: readonly Model[], options: SyncOptions = {}): Promise<SyncResult> {
    const plan = await this.plan(models)
    if (options.dryRun) return { changes: plan.changes, applied: [], pending: plan.changes }
    if (plan.blockers.length) {
      throw new SchemaSyncError(`Nothing was applied:\n${plan.blockers.map((b) => `  - ${b.message}`).join('\n')}`)
    }
    const todo = plan.changes.filter((c) => options.allowDestructive || !c.destructive)
    const pending = plan.changes.filter((c) => !todo.includes(c))
    const applied: PlanChange[] = []
    const apply = async (db: Database) => {
      for (const change of todo) {
        for (const sql of change.sql) {
          await db.run({ sql, parameters: [] }).catch((error: unknown) => {
            throw new SchemaSyncError(
              `Applying "${change.description}" failed: ${(error as Error).message}${
                db.dialect.capabilities.transactionalDdl
                  ? '\nNothing was applied (the plan runs in one transaction).'
                  : `\nApplied before the failure (MySQL DDL is not transactional):\n${applied.map((a) => `  - ${a.description}`).join('\n') || '  (nothing)'}`
              }`,
              { cause: error, sql },
            )
          })
        }
        applied.push(change)
      }
    }
    if (this.#db.dialect.capabilities.transactionalDdl) {
      try {
        await this.#db.transactionOnce(apply)
      } catch (error) {
        applied.length = 0
        throw error
      }
    } else {
      await apply(this.#db)
    }
    return { changes: plan.changes, applied, pending }
  }
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
