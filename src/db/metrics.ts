import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CircuitSnapshot } from './circuit-breaker.js'
import type { PoolStats } from './drivers/types.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** A plain-object view of the metrics, for dashboards that do not scrape Prometheus. */
export interface MetricsSnapshot {
  readonly queries: { readonly total: number; readonly byKind: Record<string, { count: number; seconds: number }> }
  readonly operations: Record<string, { count: number; errors: number; seconds: number }>
  readonly errors: Record<string, number>
  readonly retries: number
  readonly pool: PoolStats
  readonly circuit: CircuitSnapshot['state']
}

/**
 * Per-database metrics on a registry of its own (prom-client): statements by kind, repository
 * operations by model and operation, errors by code, retries, pool gauges and the circuit state.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #queries: Histogram<'kind'>
  readonly #operations: Histogram<'model' | 'operation' | 'outcome'>
  readonly #errors: Counter<'code'>
  readonly #retries: Counter
  readonly #snapshot: { -readonly [K in keyof MetricsSnapshot]: MetricsSnapshot[K] } & {
    queries: { total: number; byKind: MetricsSnapshot['queries']['byKind'] }
  }

  constructor(pool: () => PoolStats, circuit: () => CircuitSnapshot) {
    const registers = [this.registry]
    this.#queries = new Histogram({
      name: 'ff_storage_query_duration_seconds',
      help: 'Statements sent to the database, by kind (select, insert, update, delete, with, ddl, other)',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.#operations = new Histogram({
      name: 'ff_storage_operation_duration_seconds',
      help: 'Repository operations by model and operation, with their outcome',
      labelNames: ['model', 'operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.#errors = new Counter({
      name: 'ff_storage_errors_total',
      help: 'Errors by code',
      labelNames: ['code'],
      registers,
    })
    this.#retries = new Counter({
      name: 'ff_storage_retries_total',
      help: 'Operations re-run after a transient failure',
      registers,
    })
    new Gauge({
      name: 'ff_storage_pool_connections',
      help: 'Pool connections by state (total, idle, waiting callers, max)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = pool()
        this.set({ state: 'total' }, s.total)
        this.set({ state: 'idle' }, s.idle)
        this.set({ state: 'waiting' }, s.waiting)
        this.set({ state: 'max' }, s.max)
      },
    })
    new Gauge({
      name: 'ff_storage_circuit_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      registers,
      collect() {
        this.set({ closed: 0, 'half-open': 1, open: 2 }[circuit().state])
      },
    })
    this.#snapshot = {
      queries: { total: 0, byKind: {} },
      operations: {},
      errors: {},
      retries: 0,
      pool: pool(),
      circuit: 'closed',
    }
    this.#pool = pool
    this.#circuit = circuit
  }

  readonly #pool: () => PoolStats
  readonly #circuit: () => CircuitSnapshot

  query(sql: string, seconds: number): void {
    const kind = statementKind(sql)
    this.#queries.observe({ kind }, seconds)
    this.#snapshot.queries.total++
    const byKind = this.#snapshot.queries.byKind
    const k = byKind[kind] ?? { count: 0, seconds: 0 }
    byKind[kind] = k
    k.count++
    k.seconds += seconds
  }

  operation(model: string, operation: string, seconds: number, failed: boolean): void {
    this.#operations.observe({ model, operation, outcome: failed ? 'error' : 'ok' }, seconds)
    const key = `${model}.${operation}`
    const o = this.#snapshot.operations[key] ?? { count: 0, errors: 0, seconds: 0 }
    this.#snapshot.operations[key] = o
    o.count++
    if (failed) o.errors++
    o.seconds += seconds
  }

  error(code: string): void {
    this.#errors.inc({ code })
    this.#snapshot.errors[code] = (this.#snapshot.errors[code] ?? 0) + 1
  }

  retry(): void {
    this.#retries.inc()
    this.#snapshot.retries++
  }

  snapshot(): MetricsSnapshot {
    return structuredClone({ ...this.#snapshot, pool: this.#pool(), circuit: this.#circuit().state })
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}

export function statementKind(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other'
  if (['select', 'insert', 'update', 'delete', 'with'].includes(word)) return word
  if (['create', 'alter', 'drop'].includes(word)) return 'ddl'
  if (['begin', 'commit', 'rollback', 'savepoint', 'release'].includes(word)) return 'transaction'
  return 'other'
}
