import type { PGlite, QueryOptions, Results } from '@electric-sql/pglite'
import { parse, protocol } from '@electric-sql/pglite'
import { changesSchema, statementName } from './pg-prepared.js'

type Message = Parameters<typeof parse.parseResults>[0][number]

/** A statement prepared on the PGlite instance: its name, parameter types and result columns. */
interface Shape {
  readonly name: string
  readonly types: readonly number[]
  /** The RowDescription of its result (undefined when it returns no rows). */
  readonly columns: Message | undefined
}

const serialize = protocol.serialize

/**
 * Named prepared statements for PGlite. Its `query` sends Parse (unnamed), Describe, Bind, Describe,
 * Execute and Sync, each a trip into the WebAssembly backend, and the server parses and plans the
 * text every time; a prepared shape is one Bind + Execute + Sync, planned once (bench/pglite-prepared.ts).
 *
 * The same rules as the `pg` cache (pg-prepared.ts): a text with parameters is prepared from its
 * second call on, so one-off texts never evict hot shapes; at most `max` statements are held, the
 * least recently used one is closed to make room; a parameterless statement that changes the schema
 * (a sync) closes every prepared statement before the next one runs; a statement the server no
 * longer knows (26000) or whose result type changed (0A000) is prepared afresh, and re-run at once
 * when it ran outside a transaction (nothing was applied).
 */
export class PglitePrepared {
  readonly #pglite: PGlite
  readonly #max: number
  /** Texts sent once, unnamed (bounded: cleared when full). */
  readonly #seen = new Set<string>()
  /** SQL text → prepared statement, least recently used first. */
  readonly #shapes = new Map<string, Shape>()
  #stale = false

  constructor(pglite: PGlite, max = 100) {
    this.#pglite = pglite
    this.#max = max
  }

  /** How many statements are prepared (tests and diagnostics). */
  get size(): number {
    return this.#shapes.size
  }

  /**
   * Run `text` as a prepared statement when it is a repeated shape; undefined when it should go
   * through `query` (first sight, no parameters).
   */
  async run<R>(text: string, values: readonly unknown[], options: QueryOptions): Promise<Results<R> | undefined> {
    if (values.length === 0) {
      if (changesSchema(text)) this.#stale = this.#shapes.size > 0
      return undefined
    }
    if (!this.#shapes.has(text) && !this.#seen.has(text)) {
      if (this.#seen.size >= this.#max * 20) this.#seen.clear()
      this.#seen.add(text)
      return undefined
    }
    const idle = !this.#pglite.isInTransaction()
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#pglite.runExclusive(() => this.#execute<R>(text, values, options))
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (code !== '0A000' && code !== '26000') throw error
        this.#stale = true // the next prepared statement starts afresh
        if (attempt > 0 || !idle || this.#pglite.isInTransaction()) throw error
      }
    }
  }

  async #execute<R>(text: string, values: readonly unknown[], options: QueryOptions): Promise<Results<R>> {
    if (this.#stale) await this.#closeAll()
    const shape = await this.#prepared(text)
    const serializers = this.#pglite.serializers
    const bound = values.map((v, i) => {
      if (v === null || v === undefined) return null
      const serializer = serializers[shape.types[i] ?? -1]
      return serializer ? serializer(v) : String(v)
    })
    const messages = await this.#send(
      serialize.bind({ statement: shape.name, values: bound }),
      serialize.execute({}),
      serialize.sync(),
    )
    if (!this.#pglite.isInTransaction()) await this.#pglite.syncToFs()
    const all = shape.columns ? [shape.columns, ...messages] : messages
    return parse.parseResults(all, this.#pglite.parsers, options)[0] as Results<R>
  }

  async #prepared(text: string): Promise<Shape> {
    const known = this.#shapes.get(text)
    if (known) {
      this.#shapes.delete(text) // re-inserted: the Map's order is least recently used first
      this.#shapes.set(text, known)
      return known
    }
    if (this.#shapes.size >= this.#max) {
      const [oldest, { name }] = this.#shapes.entries().next().value as [string, Shape]
      this.#shapes.delete(oldest)
      await this.#send(serialize.close({ type: 'S', name }), serialize.sync())
    }
    const name = statementName(text)
    const described = await this.#send(
      serialize.parse({ name, text }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    )
    const shape: Shape = {
      name,
      types: parse.parseDescribeStatementResults(described),
      columns: described.find((m) => m.name === 'rowDescription'),
    }
    this.#shapes.set(text, shape)
    return shape
  }

  async #closeAll(): Promise<void> {
    this.#stale = false
    if (this.#shapes.size === 0) return
    const closes = [...this.#shapes.values()].map(({ name }) => serialize.close({ type: 'S', name }))
    this.#shapes.clear()
    await this.#send(...closes, serialize.sync())
  }

  /** One trip into the backend with several protocol messages; an ErrorResponse throws. */
  #send(...parts: Uint8Array[]): Promise<Message[]> {
    let length = 0
    for (const p of parts) length += p.length
    const message = new Uint8Array(length)
    let at = 0
    for (const p of parts) {
      message.set(p, at)
      at += p.length
    }
    return this.#pglite.execProtocolStream(message, { syncToFs: false })
  }
}
