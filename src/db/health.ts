import type { CircuitSnapshot } from './circuit-breaker.js'
import type { Database } from './database.js'
import type { PoolStats } from './drivers/types.js'
import type { Runtime } from './runtime.js'

export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy'
  readonly latencyMs: number
  readonly pool: PoolStats
  readonly circuit: CircuitSnapshot
  /** Why the probe failed, when it did. */
  readonly error?: string
}

const PROBE = { sql: 'select 1', parameters: [] }

/** `db.health()`: one probe statement, judged with the pool gauges and the circuit's state. */
export async function probe(db: Database, runtime: Runtime): Promise<HealthReport> {
  const { breaker, options } = runtime
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100
  try {
    await db.run(PROBE)
    const latencyMs = elapsed()
    const pool = runtime.poolStats()
    const circuit = breaker.snapshot()
    const degraded = latencyMs > options.healthDegradedMs || circuit.state !== 'closed' || pool.waiting > 0
    return { status: degraded ? 'degraded' : 'healthy', latencyMs, pool, circuit }
  } catch (error) {
    return {
      status: 'unhealthy',
      latencyMs: elapsed(),
      pool: runtime.poolStats(),
      circuit: breaker.snapshot(),
      error: error instanceof Error ? error.message : String(error),
    }
  }
}
