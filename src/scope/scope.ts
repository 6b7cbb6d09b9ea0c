import { TenantIsolationError, TenantNotConfiguredError, ValidationError } from '../errors.js'
import type { ModelDef } from '../model/define-model.js'
import { normalizeId, showId } from '../model/id-type.js'
import { empty, type Fragment, id, join, q } from '../sql/fragment.js'

/** A tenant or user id: a UUID or text id (string), or a bigint id; the model's `tenantIdType` / `actorIdType` decide. */
export type Id = string | bigint | number

export interface ScopeOptions {
  /** Strict scope: one tenant; every read filters on it and every write uses it. */
  readonly tenantId?: Id
  /** Permissive scope: reads use IN (…); single-record operations work within the list. */
  readonly tenantIds?: readonly Id[]
  /** The acting user, recorded as createdBy/updatedBy/changedBy (overridable per call). */
  readonly userId?: Id
}

/**
 * Tenant and soft-delete scoping, applied in exactly one place: every statement a repository runs
 * gets its tenant predicate and its tenant value from here. Input can narrow a scope, never widen it.
 */
export class Scope {
  /** undefined: the model is not multi-tenant. */
  readonly tenants: readonly Id[] | undefined
  readonly strict: boolean
  readonly userId: Id | undefined
  readonly #def: ModelDef

  constructor(def: ModelDef, options: ScopeOptions) {
    this.#def = def
    const issues: string[] = []
    const userId = options.userId === undefined ? undefined : normalizeId(def.actorIdType, options.userId)
    if (options.userId !== undefined && userId === undefined)
      issues.push(`userId must be ${def.actorIdType.description}`)
    if (def.multiTenant) {
      const { tenantId, tenantIds } = options
      if (tenantId === undefined && tenantIds === undefined) {
        throw new TenantNotConfiguredError(
          `Model "${def.table}" is multi-tenant: db.repository() needs { tenantId } (strict) or { tenantIds } (permissive)`,
        )
      }
      if (tenantId !== undefined && tenantIds !== undefined) {
        throw new TenantNotConfiguredError('Give either tenantId (strict) or tenantIds (permissive), not both')
      }
      if (tenantIds !== undefined && (!Array.isArray(tenantIds) || tenantIds.length === 0)) {
        throw new TenantNotConfiguredError('tenantIds must be a non-empty array')
      }
      const given = tenantId !== undefined ? [tenantId] : tenantIds!
      const ids = def.tenantIdType
      for (const t of given) {
        if (normalizeId(ids, t) === undefined) issues.push(`tenant ${showId(t)} is not ${ids.description}`)
      }
      // UUIDs in lower case: on MySQL/MariaDB (char(36), binary collation) an upper-case id is another
      // tenant; text ids stay exactly as given (they are case-sensitive)
      this.tenants = Object.freeze([...new Set(given.map((t) => normalizeId(ids, t) ?? t))])
      this.strict = tenantId !== undefined
    } else {
      if (options.tenantId !== undefined || options.tenantIds !== undefined) {
        throw new TenantNotConfiguredError(`Model "${def.table}" is not multi-tenant: do not give a tenant scope`)
      }
      this.tenants = undefined
      this.strict = true
    }
    if (issues.length) {
      throw new ValidationError(
        'Invalid repository scope',
        issues.map((message) => ({ code: 'custom', message, path: [] })),
      )
    }
    this.userId = userId
  }

  get tenantColumn(): string | undefined {
    return this.#def.system.tenant?.column
  }

  /**
   * `alias.tenant_id = $1` or `IN (…)`; empty when the model is not multi-tenant. `values` stand in
   * for the tenants (one per tenant, in order) in statements compiled once and bound per call.
   */
  tenantPredicate(alias: string, values: readonly unknown[] | undefined = this.tenants): Fragment {
    const col = this.tenantColumn
    if (!col || !this.tenants || !values) return empty
    return values.length === 1
      ? q`${id(alias)}.${id(col)} = ${values[0]}`
      : q`${id(alias)}.${id(col)} IN (${join(values.map((t) => q`${t}`))})`
  }

  /** `alias.deleted_at IS NULL` unless deleted rows are wanted or the model does not soft-delete. */
  livePredicate(alias: string, includeDeleted: boolean | undefined): Fragment {
    return includeDeleted ? empty : this.inState(alias, 'live')
  }

  /**
   * The rows a write may touch on `alias`: the scope's tenants and, when `state` is given (set
   * writes), the state the write needs. Single-record writes lock the row whatever its state and
   * check `inState` on the locked row.
   */
  writeTarget(alias: string, state?: 'live' | 'deleted', tenantValues?: readonly unknown[]): Fragment[] {
    return [this.tenantPredicate(alias, tenantValues), state ? this.inState(alias, state) : empty].filter(
      (f) => f !== empty,
    )
  }

  /** `alias.deleted_at IS NULL` (live) or `IS NOT NULL` (deleted); empty on models without soft delete. */
  inState(alias: string, state: 'live' | 'deleted'): Fragment {
    const deleted = this.#def.system.deletedAt
    if (!deleted) return empty
    return state === 'live'
      ? q`${id(alias)}.${id(deleted.column)} IS NULL`
      : q`${id(alias)}.${id(deleted.column)} IS NOT NULL`
  }

  /** The read filter of `alias` (the scope's tenants, live rows unless `includeDeleted`), AND-ed by the caller. */
  readFilter(alias: string, includeDeleted?: boolean, tenantValues?: readonly unknown[]): Fragment[] {
    return this.read(alias, includeDeleted, tenantValues)
  }

  /** Every read predicate for `alias`, AND-ed. */
  read(alias: string, includeDeleted?: boolean, tenantValues?: readonly unknown[]): Fragment[] {
    return [this.tenantPredicate(alias, tenantValues), this.livePredicate(alias, includeDeleted)].filter(
      (f) => f !== empty,
    )
  }

  /** Whether a record of `tenant` is visible in this scope (always, on models that are not multi-tenant). */
  includes(tenant: unknown): boolean {
    if (!this.tenants) return true
    // UUIDs compare without case (as the uuid type does); text and integer ids exactly
    const normalized = normalizeId(this.#def.tenantIdType, tenant)
    return normalized !== undefined && this.tenants.includes(normalized)
  }

  /** The tenant a create writes: the scope's, or the input's when allowed. */
  tenantForCreate(given: unknown): Id | undefined {
    if (!this.tenants) return undefined
    const requested = given === undefined ? undefined : (normalizeId(this.#def.tenantIdType, given) ?? given)
    if (this.strict) {
      if (requested !== undefined && requested !== this.tenants[0]) {
        throw new TenantIsolationError(
          `Cannot create a record for tenant ${showId(requested)} from a scope of tenant ${showId(this.tenants[0])}`,
        )
      }
      return this.tenants[0]
    }
    if (requested === undefined) {
      throw new TenantIsolationError(
        `A permissive scope (tenantIds) needs ${this.#def.tenantField} in the create input, one of the scope's tenants`,
      )
    }
    if (!this.tenants.includes(requested as Id)) {
      throw new TenantIsolationError(`Tenant ${showId(requested)} is not in this repository's scope`)
    }
    return requested as Id
  }

  /** The acting user of a call: the call's userId, else the scope's. */
  actor(callUserId: Id | undefined): Id | null {
    if (callUserId === undefined) return this.userId ?? null
    const actor = normalizeId(this.#def.actorIdType, callUserId)
    if (actor === undefined) {
      throw new ValidationError('Invalid userId', [
        { code: 'custom', message: `userId must be ${this.#def.actorIdType.description}`, path: ['userId'] },
      ])
    }
    return actor
  }
}

/** AND a list of predicates (TRUE when empty). */
export function and(predicates: readonly Fragment[]): Fragment {
  if (predicates.length === 0) return q`1 = 1`
  return join(
    predicates.map((p) => q`(${p})`),
    ' AND ',
  )
}
