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

async function timed(fn: (i: number) => Promise<unknown>, i: number): Promise<number> {
  const started = performance.now()
  await fn(i)
  return performance.now() - started
}

/** Runs `rounds` ABBA rounds after `warmup` calls of each side. */
export async function abba(
  name: string,
  library: (i: number) => Promise<unknown>,
  handWritten: (i: number) => Promise<unknown>,
  options: { rounds?: number; warmup?: number; statements?: () => Promise<number> } = {},
): Promise<Comparison> {
  const rounds = options.rounds ?? 150
  const warmup = options.warmup ?? 20
  let i = 0
  for (let w = 0; w < warmup; w++) {
    await library(i++)
    await handWritten(i++)
  }
  const a: number[] = []
  const b: number[] = []
  for (let r = 0; r < rounds; r++) {
    a.push(await timed(library, i++))
    b.push(await timed(handWritten, i++))
    b.push(await timed(handWritten, i++))
    a.push(await timed(library, i++))
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
