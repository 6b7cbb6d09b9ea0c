import { Hono } from 'hono'
import type { Database } from '../db/database.js'
import { FFStorageError, NotFoundError, TemporalStrategyError, ValidationError } from '../errors.js'
import type { FieldDef, Model } from '../model/define-model.js'
import '../repository/register.js'
import type { Repository } from '../repository/repository.js'
import { actorFor, idFromText, TenantGate } from './ids.js'
import { date, int, json, limit, MAX_LIMIT, mapBounded, StudioError } from './params.js'

/** What the studio API needs to know besides the database and models. */
export interface StudioApiOptions {
  /**
   * The tenants the operator may pick, and the only ones the studio serves; undefined: no list is
   * shown and the operator types a tenant id (the studio never reads tenant ids from the tables).
   */
  readonly tenants: readonly string[] | undefined
  /** Restore and revert are offered (POST), recorded as `actor`. */
  readonly allowWrites: boolean
  readonly actor: string | undefined
}

type AnyRepo = Repository<Model>
type Row = Record<string, unknown>

const fieldKind = (f: FieldDef): string => (f.type.kind === 'native' ? (f.type.value?.kind ?? 'native') : f.type.kind)

/**
 * The list's default order: newest first by id. Ids are UUIDv7, so this is creation order, and the
 * primary key serves a page of it without sorting the tenant's records (createdAt has no index).
 */
const NEWEST_FIRST = { id: 'desc' }

/** How many records of a list are rebuilt at once (getStateAt, copy_on_change with asOf). */
const REBUILD_WIDTH = 8

/** JSON that keeps bigints (as strings) and dates (ISO). */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

/** What the page needs first: the models, the tenants to offer, read-only or not (also inlined in the page). */
export function studioMeta(models: readonly Model[], options: StudioApiOptions) {
  return {
    allowWrites: options.allowWrites,
    actor: options.actor ?? null,
    tenants: options.tenants ?? null,
    models: models.map((m) => ({
      table: m.def.table,
      temporal: m.def.temporal,
      multiTenant: m.def.multiTenant,
      softDelete: m.def.system.deletedAt !== undefined,
      fields: m.def.fields.map((f) => ({ name: f.name, kind: fieldKind(f), system: f.system ?? null })),
    })),
  }
}

/**
 * The studio's JSON API: every record read and write goes through `db.repository(model, scope)`
 * with the tenant the page picked, so the views are scoped by the same code as the application's.
 */
export function studioApi(db: Database, models: readonly Model[], options: StudioApiOptions): Hono {
  const byTable = new Map(models.map((m) => [m.def.table, m]))
  const app = new Hono()

  const model = (table: string): Model => {
    const m = byTable.get(table)
    if (!m) throw new StudioError(404, `unknown model "${table}"`)
    return m
  }
  const gate = new TenantGate(models, options.tenants)
  const repo = (m: Model, tenant: string | undefined, actor?: string): AnyRepo => {
    const userId = actor === undefined ? undefined : actorFor(m, actor)
    if (!m.def.multiTenant) return db.repository(m, userId === undefined ? {} : { userId }) as AnyRepo
    const tenantId = gate.tenant(m, tenant)
    return db.repository(m, { tenantId, ...(userId !== undefined && { userId }) }) as AnyRepo
  }
  const strategy = (m: Model, temporal: Model['def']['temporal'], what: string) => {
    if (m.def.temporal !== temporal)
      throw new StudioError(400, `${what} needs temporal: '${temporal}'; ${m.def.table} uses '${m.def.temporal}'`)
  }

  app.onError((error, c) => {
    const status =
      error instanceof StudioError
        ? error.status
        : error instanceof ValidationError || error instanceof TemporalStrategyError
          ? 400
          : error instanceof NotFoundError
            ? 404
            : 500
    const body: Row = { error: error.message }
    if (error instanceof FFStorageError) body.code = error.code
    if (error instanceof ValidationError) body.issues = error.issues
    return c.body(toJson(body), status, { 'content-type': 'application/json; charset=utf-8' })
  })
  const send = (value: unknown) =>
    new Response(toJson(value), { headers: { 'content-type': 'application/json; charset=utf-8' } })

  app.get('/meta', () => send(studioMeta(models, options)))

  // per model: a count, null (no tenant picked yet), or why that model was not counted (another
  // model's tenant ids); a tenant outside the allowlist is refused as a whole (403)
  app.get('/counts', async (c) => {
    const tenant = c.req.query('tenant')
    const counts: Record<string, number | null | { error: string; code?: string }> = {}
    for (const m of models) {
      if (m.def.multiTenant && !tenant) counts[m.def.table] = null
      else
        counts[m.def.table] = await (async () => repo(m, tenant).count())().catch((error: unknown) => {
          // a tenant that is not an id of this model (400) is this model's entry; anything else fails
          if (!((error instanceof StudioError && error.status === 400) || error instanceof ValidationError)) throw error
          return { error: error.message, code: error.code }
        })
    }
    return send(counts)
  })

  app.get('/models/:table/records', async (c) => {
    const m = model(c.req.param('table'))
    const r = repo(m, c.req.query('tenant'))
    const asOf = date(c.req.query('asOf'), 'asOf')
    const includeDeleted = c.req.query('includeDeleted') === 'true'
    const where = json(c.req.query('where'), 'where') as never
    const orderBy = (json(c.req.query('orderBy'), 'orderBy') ?? NEWEST_FIRST) as never
    const size = limit(c.req.query('limit'), 25)
    const after = c.req.query('after') || null
    if (asOf && m.def.temporal === 'copy_on_change') {
      // the list as it was then: the records in scope (deleted ones too), each rebuilt from its trail
      const page = await r.page({ where, orderBy, limit: size, after, includeDeleted: true })
      // one statement per record: a few at a time, so that one request cannot take the whole pool
      const states = await mapBounded(page.records, REBUILD_WIDTH, (rec) =>
        r.getStateAt((rec as { id: string }).id, asOf, { includeDeleted }),
      )
      return send({ records: states.filter((s) => s !== null), next: page.next, rebuilt: true })
    }
    const page = await r.page({
      where,
      orderBy,
      limit: size,
      after,
      includeDeleted,
      ...(asOf && m.def.temporal === 'scd2' && { asOf }),
    })
    return send(page)
  })

  app.get('/models/:table/range', async (c) => {
    const m = model(c.req.param('table'))
    // the oldest record by id (UUIDv7: creation order) is one primary-key step, not a sort of them all
    const first = await repo(m, c.req.query('tenant')).page({
      orderBy: { id: 'asc' } as never,
      limit: 1,
      includeDeleted: true,
    })
    const from = (first.records[0] as { createdAt?: Date } | undefined)?.createdAt ?? null
    return send({ from, to: new Date() })
  })

  app.get('/models/:table/records/:id', async (c) => {
    const m = model(c.req.param('table'))
    const r = repo(m, c.req.query('tenant'))
    const id = c.req.param('id')
    const asOf = date(c.req.query('asOf'), 'asOf')
    let record: unknown
    if (asOf && m.def.temporal === 'copy_on_change') record = await r.getStateAt(id, asOf, { includeDeleted: true })
    else if (asOf && m.def.temporal === 'scd2') record = await r.get(id, { asOf, includeDeleted: true })
    else record = await r.get(id, { includeDeleted: true })
    return send({ record })
  })

  app.get('/models/:table/records/:id/audit', async (c) => {
    const m = model(c.req.param('table'))
    strategy(m, 'copy_on_change', 'the audit trail')
    const entries = await repo(m, c.req.query('tenant')).getAuditHistory(c.req.param('id'))
    return send({ transactions: byTransaction(entries) })
  })

  app.get('/models/:table/records/:id/versions', async (c) => {
    const m = model(c.req.param('table'))
    strategy(m, 'scd2', 'versions')
    const versions = await repo(m, c.req.query('tenant')).getVersionHistory(c.req.param('id'))
    return send({ versions })
  })

  app.get('/models/:table/records/:id/compare', async (c) => {
    const m = model(c.req.param('table'))
    const r = repo(m, c.req.query('tenant'))
    const id = c.req.param('id')
    if (m.def.temporal === 'scd2') {
      const a = int(c.req.query('a'), 'a')
      const b = int(c.req.query('b'), 'b')
      return send({ fields: await r.compareVersions(id, a, b) })
    }
    strategy(m, 'copy_on_change', 'compare')
    // copy_on_change: two instants of the trail, each state rebuilt by getStateAt
    const a = date(c.req.query('a'), 'a')
    const b = date(c.req.query('b'), 'b')
    if (!a || !b) throw new StudioError(400, 'a and b must be ISO dates')
    const [x, y] = await Promise.all([
      r.getStateAt(id, a, { includeDeleted: true }),
      r.getStateAt(id, b, { includeDeleted: true }),
    ])
    const fields: Record<string, { old: unknown; new: unknown; changed: boolean }> = {}
    for (const f of m.def.userFields) {
      const o = (x as Row | null)?.[f.name] ?? null
      const n = (y as Row | null)?.[f.name] ?? null
      fields[f.name] = { old: o, new: n, changed: toJson(o) !== toJson(n) }
    }
    return send({ fields })
  })

  app.get('/models/:table/changes', async (c) => {
    const m = model(c.req.param('table'))
    strategy(m, 'copy_on_change', 'changes by user')
    const user = c.req.query('user') ?? ''
    const entries = await repo(m, c.req.query('tenant')).getChangesByUser(idFromText(m.def.actorIdType, user) ?? user, {
      ...(date(c.req.query('from'), 'from') && { from: date(c.req.query('from'), 'from')! }),
      ...(date(c.req.query('to'), 'to') && { to: date(c.req.query('to'), 'to')! }),
      limit: limit(c.req.query('limit'), MAX_LIMIT),
    })
    return send({ transactions: byTransaction(entries) })
  })

  // writes: offered only with allowWrites (the server refuses every other method before routing)
  app.post('/models/:table/records/:id/restore', async (c) => {
    writable(options)
    const m = model(c.req.param('table'))
    const record = await repo(m, c.req.query('tenant'), options.actor).restore(c.req.param('id'), {
      userId: actorFor(m, options.actor!),
    })
    if (!record) throw new NotFoundError(`${m.def.table} ${c.req.param('id')} not found`)
    return send({ record })
  })

  app.post('/models/:table/records/:id/revert', async (c) => {
    writable(options)
    const m = model(c.req.param('table'))
    strategy(m, 'scd2', 'revert')
    const version = int(c.req.query('version'), 'version')
    const record = await repo(m, c.req.query('tenant'), options.actor).revertTo(c.req.param('id'), version, {
      userId: actorFor(m, options.actor!),
    })
    return send({ record })
  })

  app.all('*', (c) => c.body(toJson({ error: 'not found' }), 404, { 'content-type': 'application/json' }))
  return app
}

function writable(options: StudioApiOptions): void {
  if (!options.allowWrites || !options.actor)
    throw new StudioError(403, 'the studio is read-only (start it with --allow-writes --actor <user id>)')
}

/** Audit entries grouped by transaction, in the order the changes were applied. */
function byTransaction(entries: readonly { transactionId: string; changedAt: Date; changedBy: unknown }[]) {
  const groups: { transactionId: string; changedAt: Date; changedBy: unknown; entries: unknown[] }[] = []
  for (const e of entries) {
    const last = groups[groups.length - 1]
    if (last && last.transactionId === e.transactionId) last.entries.push(e)
    else groups.push({ transactionId: e.transactionId, changedAt: e.changedAt, changedBy: e.changedBy, entries: [e] })
  }
  return groups
}
