import { Counter, Gauge, Registry } from 'prom-client'
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

/** One labelled series of a histogram: plain numbers, bucket counts not cumulative until exported. */
class Series {
  count = 0
  seconds = 0
  errors = 0
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length)
  readonly labels: Readonly<Record<string, string>>
  constructor(labels: Readonly<Record<string, string>>) {
    this.labels = labels
  }

  observe(seconds: number): void {
    this.count++
    this.seconds += seconds
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        this.buckets[i]!++
        return
      }
    }
  }
}

/**
 * A histogram recorded into plain counters (a property increment per observation, no label hashing)
 * and rendered only when the registry is read: prom-client's own `observe` cost several µs per call
 * on every statement and every repository operation.
 */
class LazyHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly name: string
  readonly help: string
  readonly series: Series[] = []
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }

  add(labels: Record<string, string>): Series {
    const s = new Series(labels)
    this.series.push(s)
    return s
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = []
    for (const s of this.series) {
      if (s.count === 0) continue
      let cumulative = 0
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i]!
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` })
      values.push({ labels: { ...s.labels }, value: s.seconds, metricName: `${this.name}_sum` })
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }
}

/** The series of one model's operation: ok and error outcomes. */
interface OperationSeries {
  readonly ok: Series
  readonly error: Series
}

/**
 * Per-database metrics on a registry of its own (prom-client): statements by kind, repository
 * operations by model and operation, errors by code, retries, pool gauges and the circuit state.
 * The hot path (a statement, an operation) only increments numbers; `snapshot()` and `text()` read
 * them.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #queries = new LazyHistogram(
    'ff_storage_query_duration_seconds',
    'Statements sent to the database, by kind (select, insert, update, delete, with, ddl, other)',
  )
  readonly #operations = new LazyHistogram(
    'ff_storage_operation_duration_seconds',
    'Repository operations by model and operation, with their outcome',
  )
  readonly #byKind = new Map<string, Series>()
  readonly #byOperation = new Map<string, Map<string, OperationSeries>>()
  readonly #errors: Counter<'code'>
  readonly #retries: Counter
  readonly #errorCounts: Record<string, number> = {}
  #retryCount = 0
  #total = 0

  constructor(pool: () => PoolStats, circuit: () => CircuitSnapshot) {
    const registers = [this.registry]
    this.registry.registerMetric(this.#queries as never)
    this.registry.registerMetric(this.#operations as never)
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
    this.#pool = pool
    this.#circuit = circuit
  }

  readonly #pool: () => PoolStats
  readonly #circuit: () => CircuitSnapshot

  query(sql: string, seconds: number): void {
    const kind = statementKind(sql)
    let series = this.#byKind.get(kind)
    if (!series) {
      series = this.#queries.add({ kind })
      this.#byKind.set(kind, series)
    }
    series.observe(seconds)
    this.#total++
  }

  /** The series of `model`.`operation` (resolved once per repository method and model). */
  operationSeries(model: string, operation: string): OperationSeries {
    let ofModel = this.#byOperation.get(model)
    if (!ofModel) {
      ofModel = new Map()
      this.#byOperation.set(model, ofModel)
    }
    let series = ofModel.get(operation)
    if (!series) {
      series = {
        ok: this.#operations.add({ model, operation, outcome: 'ok' }),
        error: this.#operations.add({ model, operation, outcome: 'error' }),
      }
      ofModel.set(operation, series)
    }
    return series
  }

  operation(model: string, operation: string, seconds: number, failed: boolean): void {
    const series = this.operationSeries(model, operation)
    ;(failed ? series.error : series.ok).observe(seconds)
  }

  error(code: string): void {
    this.#errors.inc({ code })
    this.#errorCounts[code] = (this.#errorCounts[code] ?? 0) + 1
  }

  retry(): void {
    this.#retries.inc()
    this.#retryCount++
  }

  snapshot(): MetricsSnapshot {
    const byKind: Record<string, { count: number; seconds: number }> = {}
    for (const [kind, s] of this.#byKind) byKind[kind] = { count: s.count, seconds: s.seconds }
    const operations: Record<string, { count: number; errors: number; seconds: number }> = {}
    for (const [model, ofModel] of this.#byOperation) {
      for (const [operation, { ok, error }] of ofModel) {
        if (ok.count + error.count === 0) continue
        operations[`${model}.${operation}`] = {
          count: ok.count + error.count,
          errors: error.count,
          seconds: ok.seconds + error.seconds,
        }
      }
    }
    return {
      queries: { total: this.#total, byKind },
      operations,
      errors: { ...this.#errorCounts },
      retries: this.#retryCount,
      pool: { ...this.#pool() },
      circuit: this.#circuit().state,
    }
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}

const KINDS = new Map<string, string>(
  Object.entries({
    select: 'select',
    insert: 'insert',
    update: 'update',
    delete: 'delete',
    with: 'with',
    create: 'ddl',
    alter: 'ddl',
    drop: 'ddl',
    begin: 'transaction',
    commit: 'transaction',
    rollback: 'transaction',
    savepoint: 'transaction',
    release: 'transaction',
  }),
)

/**
 * The statement's first word, classified (no regular expression: this runs for every statement);
 * `compound` for MariaDB's `BEGIN NOT ATOMIC …` blocks.
 */
export function statementKind(sql: string): string {
  let i = 0
  while (i < sql.length && sql.charCodeAt(i) <= 32) i++
  let end = i
  for (; end < sql.length; end++) {
    const c = sql.charCodeAt(end) | 32 // lower case for letters
    if (c < 97 || c > 122) break
  }
  const kind = KINDS.get(sql.slice(i, end).toLowerCase()) ?? 'other'
  // `BEGIN NOT ATOMIC … END` (MariaDB): several statements sent as one, not transaction control
  return kind === 'transaction' && end - i === 5 && sql.length > end + 4 && (sql.charCodeAt(end + 1) | 32) === 110
    ? 'compound'
    : kind
}
