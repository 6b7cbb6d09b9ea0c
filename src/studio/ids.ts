import { ValidationError } from '../errors.js'
import type { Model } from '../model/define-model.js'
import { type IdType, normalizeId } from '../model/id-type.js'
import type { Id } from '../scope/scope.js'
import { StudioError } from './params.js'

const bad = (message: string) => new ValidationError(message, [{ code: 'custom', message, path: [] }])

/**
 * A tenant or actor id given as text (the query string, the command line) as the model's id type
 * stores it: UUIDs in lower case, text ids exactly, integer ids from their decimal text (a bigint, or
 * a number for z.number() ids); undefined when it is not an id of that type.
 */
export function idFromText(idType: IdType, value: unknown): Id | undefined {
  if (idType.kind !== 'integer' || typeof value !== 'string') return normalizeId(idType, value)
  if (!/^-?\d{1,20}$/.test(value)) return undefined
  return normalizeId(idType, BigInt(value)) ?? normalizeId(idType, Number(value))
}

/**
 * The tenant scope of each request: the `tenant` parameter converted with the model's tenantIdType
 * (400 when it is not one), then checked against the allowlist normalized the same way (403).
 */
export class TenantGate {
  /** Per multi-tenant model, the allowlist as that model's ids; undefined: every tenant is served. */
  readonly #allowed: Map<Model, Set<Id>> | undefined

  constructor(models: readonly Model[], tenants: readonly string[] | undefined) {
    this.#allowed = tenants && new Map(models.map((m) => [m, allowed(m, tenants)]))
  }

  /** The tenant id to scope `m` with, or a StudioError. */
  tenant(m: Model, given: string | undefined): Id {
    if (!given) throw new StudioError(400, 'pick a tenant (tenant=…)')
    const id = idFromText(m.def.tenantIdType, given)
    if (id === undefined)
      throw new StudioError(
        400,
        `tenant ${given} is not ${m.def.tenantIdType.description} (the tenant ids of ${m.def.table})`,
      )
    if (this.#allowed && !this.#allowed.get(m)?.has(id))
      throw new StudioError(403, `tenant ${given} is not one the studio was started for`)
    return id
  }
}

function allowed(m: Model, tenants: readonly string[]): Set<Id> {
  const ids = new Set<Id>()
  for (const t of tenants) {
    const id = idFromText(m.def.tenantIdType, t)
    if (id !== undefined) ids.add(id)
  }
  return ids
}

/** `tenants` of serveStudio: undefined, or a list of non-empty strings each a tenant id of some model. */
export function checkTenants(models: readonly Model[], tenants: unknown): string[] | undefined {
  if (tenants === undefined) return undefined
  if (!Array.isArray(tenants) || tenants.length === 0 || !tenants.every((t) => typeof t === 'string' && t !== ''))
    throw bad(
      'tenants must be an array of tenant ids (strings), e.g. { tenants: [orgId] }; leave it out to type tenant ids in the page',
    )
  const scoped = models.filter((m) => m.def.multiTenant)
  for (const t of tenants as string[]) {
    if (scoped.length > 0 && !scoped.some((m) => idFromText(m.def.tenantIdType, t) !== undefined)) {
      const kinds = [...new Set(scoped.map((m) => m.def.tenantIdType.description))].join(' or ')
      throw bad(`tenants: ${JSON.stringify(t)} is not a tenant id of these models (${kinds})`)
    }
  }
  return [...new Set(tenants as string[])]
}

/** With allowWrites, `actor` must be a user id of every model the studio can write (restore, revert). */
export function checkActor(models: readonly Model[], actor: unknown): void {
  if (typeof actor !== 'string' || actor === '')
    throw bad('allowWrites needs actor: the user id recorded for restore and revert')
  for (const m of models) {
    const writable = m.def.system.deletedAt !== undefined || m.def.temporal === 'scd2'
    if (writable && idFromText(m.def.actorIdType, actor) === undefined)
      throw bad(
        `actor ${JSON.stringify(actor)} is not ${m.def.actorIdType.description} (the user ids of ${m.def.table}, recorded for restore and revert)`,
      )
  }
}

/** The acting user as `m`'s actorIdType stores it (checked at start by checkActor). */
export function actorFor(m: Model, actor: string): Id {
  const id = idFromText(m.def.actorIdType, actor)
  if (id === undefined) throw new StudioError(400, `the studio's actor is not ${m.def.actorIdType.description}`)
  return id
}
