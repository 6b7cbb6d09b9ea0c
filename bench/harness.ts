/**
 * Benchmark harness: the library call (A) and hand-written SQL with the same semantics (B) run in
 * the same process, on the same pool, alternating A B B A so drift (caches, autovacuum, JIT) hits
 * both sides alike. Reports medians, p95 and the ratio of medians; never asserts on time.
 */
export interface Sample {
  readonly median: number
  readonly p95: number
}

export interface Comparison {
  readonly name: string
  readonly library: Sample
  readonly handWritten: Sample
  /** library median / hand-written median */
  readonly ratio: number
  /** Statements the library sent per operation (counted, not guessed). */
  readonly statements?: number
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

export function summarize(times: number[]): Sample {
  const sorted = [...times].sort((a, b) => a - b)
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) }
}

/** The mean time of `batch` consecutive calls (one call when batch is 1), calls numbered from `i`. */
async function timed(fn: (i: number) => Promise<unknown>, i: number, batch = 1): Promise<number> {
  const started = performance.now()
  for (let k = 0; k < batch; k++) await fn(i + k)
  return (performance.now() - started) / batch
}

/** Runs `rounds` ABBA rounds after `warmup` calls of each side. */
export async function abba(
  name: string,
  library: (i: number) => Promise<unknown>,
  handWritten: (i: number) => Promise<unknown>,
  options: {
    rounds?: number
    warmup?: number
    statements?: () => Promise<number>
    /**
     * Calls per sample (default 1): a sample is the mean of this many consecutive calls. For calls
     * of tens of microseconds over loopback, whose single latencies are bimodal (the client and the
     * server on one or on two cores), so that a median of single calls jumps between the modes.
     */
    batch?: number
  } = {},
): Promise<Comparison> {
  const rounds = options.rounds ?? 150
  const warmup = options.warmup ?? 20
  const batch = options.batch ?? 1
  let i = 0
  for (let w = 0; w < warmup; w++) {
    await library(i++)
    await handWritten(i++)
  }
  const a: number[] = []
  const b: number[] = []
  const next = () => {
    const at = i
    i += batch
    return at
  }
  for (let r = 0; r < rounds; r++) {
    a.push(await timed(library, next(), batch))
    b.push(await timed(handWritten, next(), batch))
    b.push(await timed(handWritten, next(), batch))
    a.push(await timed(library, next(), batch))
  }
  const lib = summarize(a)
  const hand = summarize(b)
  const statements = options.statements ? await options.statements() : undefined
  return {
    name,
    library: lib,
    handWritten: hand,
    ratio: lib.median / hand.median,
    ...(statements !== undefined && { statements }),
  }
}

/** Statements the library sends for one call of `op`, from the database's own counter. */
export async function countStatements(
  db: { metrics(): { queries: { total: number } } },
  op: () => Promise<unknown>,
): Promise<number> {
  const before = db.metrics().queries.total
  await op()
  return db.metrics().queries.total - before
}

export function formatRow(c: Comparison): string {
  const ms = (v: number) => v.toFixed(3)
  return `| ${c.name} | ${ms(c.library.median)} | ${ms(c.library.p95)} | ${ms(c.handWritten.median)} | ${ms(c.handWritten.p95)} | ${c.ratio.toFixed(2)} | ${c.statements ?? ''} |`
}

export const TABLE_HEADER = [
  '| operation | library p50 ms | library p95 ms | hand-written p50 ms | hand-written p95 ms | ratio p50 | statements/op |',
  '|---|---|---|---|---|---|---|',
].join('\n')
