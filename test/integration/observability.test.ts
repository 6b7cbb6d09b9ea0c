import { beforeAll, expect, it } from 'vitest'
import { connect, type Logger, sql, UniqueViolationError } from '../../src/index.js'
import { describeEngines } from '../helpers/engines.js'
import { Audited, sample, T1, U1 } from '../helpers/fixtures.js'
import { createTables } from '../helpers/models.js'

/** A minimal check of the Prometheus text exposition format (version 0.0.4). */
function parsePrometheus(text: string): Map<string, { type: string; samples: { labels: string; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { labels: string; value: number }[] }>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      const family = families.get(meta[2]!) ?? { type: 'untyped', samples: [] }
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3])
        family.type = meta[3]!
      }
      families.set(meta[2]!, family)
      continue
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(
        line,
      )
    if (!sample) throw new Error(`not Prometheus text: ${line}`)
    const base = sample[1]!.replace(/_(bucket|sum|count)$/, '')
    const family = families.get(sample[1]!) ?? families.get(base)
    if (!family) throw new Error(`sample without HELP/TYPE: ${line}`)
    family.samples.push({ labels: sample[2] ?? '', value: Number(sample[3]) })
  }
  return families
}

describeEngines('observability', (ctx) => {
  beforeAll(() => createTables(ctx.db, [Audited]))

  it('reports health with latency, pool and circuit', async () => {
    const h = await ctx.db.health()
    expect(h.status).toBe('healthy')
    expect(h.latencyMs).toBeGreaterThanOrEqual(0)
    expect(h.pool.max).toBeGreaterThanOrEqual(1)
    expect(h.circuit).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    const slow = await (ctx.id === 'pglite' ? connect({ healthDegradedMs: -1 }) : ctx.open({ healthDegradedMs: -1 }))
    expect((await slow.health()).status).toBe('degraded')
    await slow.close()
    const closed = await (ctx.id === 'pglite' ? connect() : ctx.open())
    await closed.close()
    expect((await closed.health()).status).toBe('unhealthy')
  })

  it('counts queries, operations and errors, as a plain object and as Prometheus text', async () => {
    const db = ctx.id === 'pglite' ? ctx.db : await ctx.open()
    const repo = db.repository(Audited, { tenantId: T1, userId: U1 })
    const before = db.metrics()
    const r = await repo.create(sample(1))
    await repo.update(r.id, { age: 99 })
    await repo.get(r.id)
    await expect(repo.create(sample(1))).rejects.toBeInstanceOf(UniqueViolationError)
    const after = db.metrics()
    expect(after.queries.total).toBeGreaterThan(before.queries.total)
    expect(after.operations['audited_users.create']).toMatchObject({
      count: (before.operations['audited_users.create']?.count ?? 0) + 2,
      errors: (before.operations['audited_users.create']?.errors ?? 0) + 1,
    })
    expect(after.operations['audited_users.update']!.count).toBeGreaterThanOrEqual(1)
    expect(after.errors.UNIQUE_VIOLATION).toBeGreaterThanOrEqual(1)
    expect(after.pool.max).toBeGreaterThanOrEqual(1)
    expect(after.circuit).toBe('closed')
    const families = parsePrometheus(await db.metricsText())
    expect(families.get('ff_storage_query_duration_seconds')?.type).toBe('histogram')
    expect(
      families
        .get('ff_storage_operation_duration_seconds')!
        .samples.some((s) => s.labels.includes('model="audited_users"') && s.labels.includes('operation="update"')),
    ).toBe(true)
    expect(
      families.get('ff_storage_errors_total')!.samples.find((s) => s.labels.includes('UNIQUE_VIOLATION'))!.value,
    ).toBeGreaterThanOrEqual(1)
    expect(families.get('ff_storage_pool_connections')!.samples.map((s) => s.labels)).toEqual(
      expect.arrayContaining(['{state="total"}', '{state="idle"}', '{state="waiting"}', '{state="max"}']),
    )
    expect(families.get('ff_storage_circuit_state')!.samples[0]!.value).toBe(0)
  })

  it('logs slow queries without their values unless asked to', async () => {
    const records: { level: string; obj: Record<string, unknown>; msg?: string }[] = []
    const logger: Logger = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (obj: object, msg?: string) =>
          records.push({ level, obj: obj as Record<string, unknown>, ...(msg && { msg }) }),
      ]),
    ) as unknown as Logger
    const open = (logParameters: boolean) =>
      ctx.id === 'pglite'
        ? connect({ logger, slowQueryMs: 0, logParameters })
        : ctx.open({ logger, slowQueryMs: 0, logParameters })
    const quiet = await open(false)
    await quiet.query(sql`select ${'secret-value'} as s`)
    await quiet.close()
    const slow = records.filter((r) => r.msg === 'ff-storage: slow query')
    expect(slow.length).toBeGreaterThan(0)
    expect(JSON.stringify(slow)).not.toContain('secret-value')
    records.length = 0
    const verbose = await open(true)
    await verbose.query(sql`select ${'shown-value'} as s`)
    await verbose.close()
    expect(JSON.stringify(records.filter((r) => r.msg === 'ff-storage: slow query'))).toContain('shown-value')
  })
})
