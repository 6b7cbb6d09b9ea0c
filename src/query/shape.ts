import type { OperationNode } from 'kysely'

/**
 * The structural shape of a query: its operation-node tree with every bound value lifted out, as a
 * sequence of numbers (`tokens`). Two queries with equal tokens compile to the same SQL text (given
 * the same scoped sources); only `values` (in the order the walk met them) differ. Immediate values
 * (`sql.lit`) are part of the SQL text, so they stay in the tokens. `hash` only picks a bucket of
 * `ShapeTable`: a shape is found by its tokens, compared one by one, never by its hash alone.
 */
export interface Shape {
  readonly tokens: readonly number[]
  /** Texts too long to intern (raw SQL, long literals), in walk order: compared as they are. */
  readonly texts: readonly string[]
  readonly hash: number
  readonly values: readonly unknown[]
}

/** A bound parameter of a compiled template: a query value (source -1) or a scoped source's value. */
export class Slot {
  constructor(
    readonly source: number,
    readonly index: number,
  ) {}
}

const PLAIN = Object.prototype

// as Kysely's compiler reads it: any truthy `immediate` is SQL text, not a parameter
const isBound = (o: Record<string, unknown>) => o.kind === 'ValueNode' && !o.immediate

/** A number per distinct key, in the order keys are first seen; numbers are never reused. */
export class Numbering<K extends object | string> {
  readonly #ids: Map<K, number> | WeakMap<K & object, number>
  #next = 0

  /** `limit`: forget every key past this many (a forgotten key gets a new number: a cache miss, never a clash). */
  constructor(
    weak: boolean,
    readonly limit = Number.POSITIVE_INFINITY,
  ) {
    this.#ids = weak ? new WeakMap() : new Map()
  }

  of(key: K): number {
    const ids = this.#ids as Map<K, number>
    const known = ids.get(key)
    if (known !== undefined) return known
    if (ids instanceof Map && ids.size >= this.limit) ids.clear()
    const id = this.#next++
    ids.set(key, id)
    return id
  }
}

/**
 * The tokens: a short text (a property name or a string of the tree) is its number (>= 0, one per
 * distinct text, never reused), a long one LONG_TEXT and its length (the text itself goes to
 * `Shape.texts`); everything else is a negative marker, some followed by one raw number. The
 * sequence reads back one way only: a node is OPEN (name value)* CLOSE, an array ARRAY value* END, a
 * number NUMBER and the number itself (never NaN or -0: they have markers), a list of bound values
 * LIST and its length.
 */
const OPEN = -1
const CLOSE = -2
const ARRAY = -3
const END = -4
const BOUND = -5
const LIST = -6
const NUMBER = -7
const BIGINT = -8
const TRUE = -9
const FALSE = -10
const UNDEFINED = -11
const NULL = -12
const NAN = -13
const NEGATIVE_ZERO = -14
/** A text longer than INTERNED, kept in `Shape.texts` (the next one in order): the number is its length. */
const LONG_TEXT = -15

/** Texts of at most this many characters get a number: the table stays small (at most ~1.3 MB). */
const INTERNED = 64
const interned = new Numbering<string>(false, 20_000)

/** Appends the tokens of a value and its bound values; false on anything but plain data. */
class ShapeWalker {
  readonly tokens: number[]
  readonly texts: string[] = []
  readonly values: unknown[] = []
  hash = 0x811c9dc5

  constructor(prefix: readonly number[]) {
    this.tokens = []
    for (const t of prefix) this.#push(t)
  }

  #push(t: number): void {
    this.tokens.push(t)
    // FNV-style mixing of the integer part: a bucket only (raw numbers may share it)
    this.hash = Math.imul(this.hash ^ (t | 0), 0x01000193)
  }

  #text(v: string): void {
    if (v.length <= INTERNED) this.#push(interned.of(v))
    else {
      this.#push(LONG_TEXT)
      this.#push(v.length)
      this.texts.push(v)
    }
  }

  walk(v: unknown): boolean {
    if (typeof v === 'string') this.#text(v)
    else if (typeof v === 'number') {
      if (Number.isNaN(v)) this.#push(NAN)
      else if (Object.is(v, -0)) this.#push(NEGATIVE_ZERO)
      else {
        this.#push(NUMBER)
        this.#push(v)
      }
    } else if (typeof v === 'boolean') this.#push(v ? TRUE : FALSE)
    else if (v === undefined) this.#push(UNDEFINED)
    else if (typeof v === 'bigint') {
      this.#push(BIGINT)
      this.#text(String(v))
    } else if (v === null) this.#push(NULL)
    else if (typeof v !== 'object') return false
    else if (Array.isArray(v)) {
      this.#push(ARRAY)
      for (let i = 0; i < v.length; i++) if (!this.walk(v[i])) return false
      this.#push(END)
    } else return this.#node(v as Record<string, unknown>)
    return true
  }

  #node(o: Record<string, unknown>): boolean {
    if (isBound(o)) {
      this.#push(BOUND)
      this.values.push(o.value)
      return true
    }
    if (o.kind === 'PrimitiveValueListNode') {
      const list = o.values as readonly unknown[]
      this.#push(LIST)
      this.#push(list.length)
      for (const value of list) this.values.push(value)
      return true
    }
    if (Object.getPrototypeOf(o) !== PLAIN) return false
    this.#push(OPEN)
    for (const k in o) {
      this.#text(k)
      if (!this.walk(o[k])) return false
    }
    this.#push(CLOSE)
    return true
  }
}

/**
 * The shape of `node`, or undefined when the tree holds anything but plain data (a Date as an
 * immediate value, a class instance): such queries are compiled afresh every time, never cached.
 * `prefix` (numbers >= 0, the same count for every shape of one table) comes first in the tokens.
 */
export function shapeOf(node: OperationNode, prefix: readonly number[] = []): Shape | undefined {
  const walker = new ShapeWalker(prefix)
  return walker.walk(node)
    ? { tokens: walker.tokens, texts: walker.texts, hash: walker.hash, values: walker.values }
    : undefined
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
const sameShape = (a: Pick<Shape, 'tokens' | 'texts'>, b: Pick<Shape, 'tokens' | 'texts'>): boolean =>
  sameList(a.tokens, b.tokens) && sameList(a.texts, b.texts)

interface ShapeItem<V> {
  readonly hash: number
  readonly tokens: readonly number[]
  readonly texts: readonly string[]
  readonly value: V
}

/**
 * Values by query shape, found by their tokens (equal, one by one): the hash only picks the bucket.
 * Bounded: past `size` shapes the oldest is forgotten (a miss later, never a wrong value).
 */
export class ShapeTable<V> {
  readonly #buckets = new Map<number, ShapeItem<V>[]>()
  readonly #order: ShapeItem<V>[] = []

  /** `bucket`: the bucket of a shape (its hash; a test may put every shape in one). */
  constructor(
    readonly size: number,
    readonly bucket: (shape: Shape) => number = (s) => s.hash,
  ) {}

  get(shape: Shape): V | undefined {
    const items = this.#buckets.get(this.bucket(shape))
    if (items) for (const item of items) if (sameShape(item, shape)) return item.value
    return undefined
  }

  set(shape: Shape, value: V): V {
    if (this.#order.length >= this.size) {
      const oldest = this.#order.shift()!
      const items = this.#buckets.get(oldest.hash)!
      items.splice(items.indexOf(oldest), 1)
      if (items.length === 0) this.#buckets.delete(oldest.hash)
    }
    const hash = this.bucket(shape)
    const item = { hash, tokens: shape.tokens, texts: shape.texts, value }
    const items = this.#buckets.get(hash)
    if (items) {
      // a shape set again replaces its value
      const i = items.findIndex((x) => sameShape(x, shape))
      if (i >= 0) {
        this.#order.splice(this.#order.indexOf(items[i]!), 1)
        items.splice(i, 1)
      }
      items.push(item)
    } else this.#buckets.set(hash, [item])
    this.#order.push(item)
    return value
  }
}

/**
 * A copy of `node` (whose shape is known) with every bound value replaced by its Slot, numbered
 * in the order shapeOf met them: compiling the copy shows where each value lands in the SQL.
 */
export function withSlots<N extends OperationNode>(node: N): N {
  let next = 0
  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v
    if (Array.isArray(v)) return Object.freeze(v.map(copy))
    const o = v as Record<string, unknown>
    if (isBound(o)) return Object.freeze({ ...o, value: new Slot(-1, next++) })
    if (o.kind === 'PrimitiveValueListNode') {
      return Object.freeze({ ...o, values: Object.freeze((o.values as unknown[]).map(() => new Slot(-1, next++))) })
    }
    const out: Record<string, unknown> = {}
    for (const k in o) out[k] = copy(o[k])
    return Object.freeze(out)
  }
  return copy(node) as N
}

/** A compiled query with its parameters as slots: SQL text once, values filled per call. */
export interface Template {
  readonly sql: string
  readonly slots: readonly Slot[]
}

/** The template of a compiled slotted query; undefined when a parameter is not a slot (never cached then). */
export function templateOf(sql: string, parameters: readonly unknown[]): Template | undefined {
  const slots: Slot[] = []
  for (const p of parameters) {
    if (!(p instanceof Slot)) return undefined
    slots.push(p)
  }
  return { sql, slots }
}

/** The parameters of one call: the query's values and the scoped sources' values, by slot. */
export function fill(
  template: Template,
  values: readonly unknown[],
  sources: readonly (readonly unknown[])[],
): unknown[] {
  return template.slots.map((s) => (s.source < 0 ? values[s.index] : sources[s.source]![s.index]))
}

/** A bounded map that forgets its oldest entry first. */
export class Bounded<K, V> {
  readonly #map = new Map<K, V>()
  constructor(readonly size: number) {}

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  set(key: K, value: V): V {
    if (this.#map.size >= this.size) this.#map.delete(this.#map.keys().next().value!)
    this.#map.set(key, value)
    return value
  }
}
