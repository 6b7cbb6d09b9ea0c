import type { Dialect } from '../dialect/dialect.js'
import { type TableDesc, tableKey } from '../schema/types.js'
import { type Change, type ChangeKind, isDestructive, objectName, render } from './changes.js'
import { describe } from './describe-change.js'

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
  constructor(changes: readonly PlanChange[], blockers: readonly PlanBlocker[]) {
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

/** The changes behind each PlanChange, for `sync` (kept off the public Plan). */
const CHANGES = new WeakMap<Plan, readonly Change[]>()

/** A plan of `changes` (PlanChange i shows changes[i]). */
export function makePlan(
  changes: readonly Change[],
  shown: readonly PlanChange[],
  blockers: readonly PlanBlocker[],
): Plan {
  const plan = new Plan(shown, blockers)
  CHANGES.set(plan, changes)
  return plan
}

/** The changes a plan was made of, in the order of `plan.changes`. */
export function changesOf(plan: Plan): readonly Change[] {
  const changes = CHANGES.get(plan)
  if (!changes) throw new TypeError('not a plan made by SchemaManager.plan')
  return changes
}

export function toPlanChange(change: Change, dialect: Dialect): PlanChange {
  return Object.freeze({
    kind: change.kind,
    table: change.kind === 'createSchema' ? change.schema : tableKey(change.table),
    object: objectName(change),
    destructive: isDestructive(change),
    sql: render(change, dialect),
    description: describe(change),
  })
}

/** Statements use the model's own table description (its text), not the catalog's rendering. */
export function withModelText(change: Change, source: ReadonlyMap<string, TableDesc>): Change {
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
