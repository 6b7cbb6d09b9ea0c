import { createHash } from 'node:crypto'
import type pg from 'pg'

/**
 * Named prepared statements for `pg` clients, so PostgreSQL parses and plans a repeated statement
 * shape once per connection instead of on every call (a 1–2 kB write CTE sent unnamed cost about
 * twice its prepared time, measured: bench/RESULTS.md).
 *
 * Which statements: those with bound parameters whose exact text this engine has already sent once.
 * Every statement the library generates (repository shapes compiled once, scoped queries, `db.query`
 * templates) is text plus parameters, so a shape is prepared from its second call on; one-off texts
 * (DDL, statements with values spliced in by `sql.raw`) are never prepared, so they cannot evict the
 * hot shapes. Statements without parameters (BEGIN, COMMIT, DDL) always go unnamed: nothing to gain.
 *
 * Per connection the cache holds at most `max` statements; the least recently used one is
 * DEALLOCATEd to make room. A statement that creates, alters or drops schema objects (a sync) marks
 * every connection's cache stale: before its next prepared statement a connection runs DEALLOCATE ALL.
 * A statement the server no longer knows (26000, e.g. after DISCARD ALL) or whose result type changed
 * (0A000, "cached plan must not change result type") marks the connection stale too, and is re-run
 * at once when it ran on its own (outside a transaction, nothing was applied); inside a transaction
 * the error stands (the transaction is aborted) and the next statement prepares afresh.
 */
export class PreparedStatements {
  readonly #max: number
  /** Texts sent once, unnamed (bounded: cleared when full). */
  readonly #seen = new Set<string>()
  /** Bumped by DDL: connections whose cache is older deallocate everything first. */
  #generation = 0

  constructor(max = 100) {
    this.#max = max
  }

  /** Wrap `client.query` once per client (idempotent). */
  attach(client: pg.PoolClient): void {
    const marked = client as pg.PoolClient & { [STATE]?: ConnectionState }
    if (marked[STATE]) return
    const state: ConnectionState = { names: new Map(), generation: this.#generation }
    marked[STATE] = state
    const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>
    const cache = this
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded query signature
    ;(client as any).query = function query(text: unknown, values?: unknown, callback?: unknown) {
      if (typeof text !== 'string' || !Array.isArray(values) || callback !== undefined) {
        return original(text, values, callback)
      }
      if (values.length === 0) {
        if (changesSchema(text)) cache.#generation++
        return original(text, values)
      }
      return cache.#run(client, state, original, text, values)
    }
  }

  /** How many statements a client holds prepared (tests and diagnostics). */
  static size(client: pg.PoolClient): number {
    return (client as pg.PoolClient & { [STATE]?: ConnectionState })[STATE]?.names.size ?? 0
  }

  async #run(
    client: pg.PoolClient,
    state: ConnectionState,
    original: (...args: unknown[]) => Promise<pg.QueryResult>,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult> {
    let name = state.names.get(text)
    if (name === undefined && !this.#seen.has(text)) {
      if (this.#seen.size >= this.#max * 20) this.#seen.clear()
      this.#seen.add(text)
      return original(text, values)
    }
    const idle = transactionStatus(client) === 'I'
    for (let attempt = 0; ; attempt++) {
      if (state.generation !== this.#generation) {
        if (state.names.size > 0) {
          await original('deallocate all')
          forgetAll(client, state)
        }
        state.generation = this.#generation
        name = undefined
      }
      if (name === undefined) {
        if (state.names.size >= this.#max) await this.#evictOldest(client, state, original)
        name = statementName(text)
      } else state.names.delete(text) // re-inserted below: the Map's order is least recently used first
      state.names.set(text, name)
      try {
        return await original({ name, text, values })
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (code !== '0A000' && code !== '26000') throw error
        state.generation = -1 // stale: the next prepared statement on this connection starts afresh
        if (attempt > 0 || !idle || transactionStatus(client) !== 'I') throw error
      }
    }
  }

  async #evictOldest(
    client: pg.PoolClient,
    state: ConnectionState,
    original: (...args: unknown[]) => Promise<pg.QueryResult>,
  ): Promise<void> {
    const [text, name] = state.names.entries().next().value as [string, string]
    state.names.delete(text)
    await original(`deallocate ${name}`)
    forget(client, name)
  }
}

const STATE = Symbol('ff-storage.prepared')

interface ConnectionState {
  /** SQL text → statement name, least recently used first. */
  readonly names: Map<string, string>
  generation: number
}

interface PgConnectionInternals {
  connection?: { parsedStatements?: Record<string, string> }
}

/** pg remembers which names it parsed on a connection; it must forget the ones we deallocate. */
function forget(client: pg.PoolClient, name: string): void {
  const parsed = (client as unknown as PgConnectionInternals).connection?.parsedStatements
  if (parsed) delete parsed[name]
}

function forgetAll(client: pg.PoolClient, state: ConnectionState): void {
  for (const name of state.names.values()) forget(client, name)
  state.names.clear()
}

function transactionStatus(client: pg.PoolClient): string | null | undefined {
  return (client as unknown as { getTransactionStatus?(): string | null }).getTransactionStatus?.()
}

/** `ff_` and 16 hex digits of the text's SHA-1: the same shape gets the same name on every connection. */
export function statementName(text: string): string {
  return `ff_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`
}

const SCHEMA_WORDS = ['create', 'alter', 'drop', 'comment', 'truncate', 'do', 'grant', 'revoke']

/** A statement that may change what prepared statements refer to (only parameterless ones are asked). */
export function changesSchema(text: string): boolean {
  let i = 0
  while (i < text.length && text.charCodeAt(i) <= 32) i++
  let end = i
  while (end < text.length && text.charCodeAt(end) > 32 && text[end] !== '(' && text[end] !== ';') end++
  const word = text.slice(i, end).toLowerCase()
  return SCHEMA_WORDS.includes(word)
}
