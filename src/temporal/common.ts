import type { ModelContext } from '../mapping/model-context.js'
import type { FieldDef } from '../model/define-model.js'
import { and, type Scope } from '../scope/scope.js'
import { compile, type Fragment, id, type Prepared, q, raw, Slot } from '../sql/fragment.js'
import type { Plan, PlanSteps } from '../sql/plan.js'
import type { Statement, StatementResult } from '../sql/statement.js'
import { copyOnChange } from './copy-on-change.js'
import { none } from './none.js'
import type { Row } from './requests.js'
import { scd2 } from './scd2.js'
import type { Strategy } from './strategy.js'

/** The operation's timestamp inside one statement of the engines with RETURNING (PostgreSQL family). */
export const STATEMENT_NOW = raw(`date_trunc('milliseconds', statement_timestamp())`)
/** The same on the others (MySQL family): evaluated once per statement. */
export const LOCK_NOW = raw('NOW(3)')

/** Slots of statements compiled once per shape and bound per call. */
export const ACTOR = new Slot('actor')
export const TXID = new Slot('transaction id')
export const ID = new Slot('id')
export const VERSION = new Slot('expected version')

const STRATEGIES = { none, copy_on_change: copyOnChange, scd2 } as const

/**
 * One model on one engine, for writing: its strategy's parts, whether a write is one data-modifying
 * CTE (`capabilities.returning`) or a short locking transaction, and the statement shapes compiled
 * once (text built once per shape, values bound per call).
 */
export class WriteKit {
  readonly ctx: ModelContext
  readonly strategy: Strategy
  /** One data-modifying CTE per write; otherwise one locking transaction of plain statements. */
  readonly cte: boolean
  /** Single-record change statements by shape (at most 256). */
  readonly changes = new Map<string, Prepared>()
  /** Single-row insert statements by which columns are given. */
  readonly singleRow = new Map<string, Prepared>()
  readonly #slots = new Map<FieldDef, Slot<FieldDef>>()
  readonly #tenantSlots: Slot<number>[] = []

  constructor(ctx: ModelContext) {
    this.ctx = ctx
    this.strategy = STRATEGIES[ctx.def.temporal](ctx)
    this.cte = ctx.dialect.capabilities.returning
  }

  /** The Slot standing for a field's value. */
  slotOf(f: FieldDef): Slot<FieldDef> {
    let slot = this.#slots.get(f)
    if (!slot) {
      slot = new Slot(f.name, f)
      this.#slots.set(f, slot)
    }
    return slot
  }

  /** The Slot standing for the scope's i-th tenant. */
  tenantSlot(i: number): Slot<number> {
    this.#tenantSlots[i] ??= new Slot(`tenant ${i}`, i)
    return this.#tenantSlots[i]
  }

  compile(f: Fragment): Statement {
    return compile(f, this.ctx.dialect)
  }

  /** `alias.id = value` AND the scope's write target. */
  target(scope: Scope, alias: string, value: unknown, tenants?: readonly unknown[]): Fragment {
    return and([
      q`${id(alias)}.${id(this.ctx.def.roles.id.column)} = ${value}`,
      ...scope.writeTarget(alias, undefined, tenants),
    ])
  }
}

const kits = new WeakMap<ModelContext, WriteKit>()

/** The write kit of a model context (built once per context). */
export function kitFor(ctx: ModelContext): WriteKit {
  let kit = kits.get(ctx)
  if (!kit) {
    kit = new WriteKit(ctx)
    kits.set(ctx, kit)
  }
  return kit
}

/** A plan of one atomic statement whose result `read` turns into the operation's result. */
export function oneStatement<R>(statement: Statement, read: (result: StatementResult) => R): Plan<R> {
  return new OneStatement(statement, read)
}

/** The hot path of every write on engines with RETURNING: a class, so no closure is built per call. */
class OneStatement<R> implements Plan<R> {
  readonly mode = 'statement'
  readonly #statement: Statement
  readonly #read: (result: StatementResult) => R
  constructor(statement: Statement, read: (result: StatementResult) => R) {
    this.#statement = statement
    this.#read = read
  }
  *steps(): PlanSteps<R> {
    return this.#read(yield this.#statement)
  }
}

/** Every Date of its own, as in rows read back. */
export const copyDate = (d: Date): Date => new Date(d.getTime())

/** The count a `SELECT count(*) AS n` returned. */
export const countOf = (result: StatementResult): number => Number(result.rows[0]?.n ?? 0)

export type { Row }
