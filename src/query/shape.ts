import type { OperationNode } from 'kysely'

/**
 * The structural shape of a query: its operation-node tree with every bound value lifted out.
 * Two queries with the same `key` compile to the same SQL text (given the same scoped sources);
 * only `values` (in the order the walk met them) differ. Immediate values (`sql.lit`) are part of
 * the SQL text, so they stay in the key.
 */
export interface Shape {
  readonly key: string
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

const isBound = (o: Record<string, unknown>) => o.kind === 'ValueNode' && o.immediate !== true

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

// property names as one private-use character each: the key stays short (it is hashed on every call)
const names = new Numbering<string>(false)
const nameCode = (name: string): string => String.fromCharCode(0xe000 + names.of(name))

/** Appends the shape of a value to `key` and its bound values to `values`; false on anything but plain data. */
class ShapeWalker {
  key = ''
  readonly values: unknown[] = []

  walk(v: unknown): boolean {
    // strings carry their length, so no text inside them can read as structure
    if (typeof v === 'string') this.key += `${v.length}'${v}`
    else if (typeof v === 'number') this.key += Object.is(v, -0) ? '#-0' : `#${v}`
    else if (typeof v === 'boolean') this.key += v ? 'T' : 'F'
    else if (v === undefined) this.key += 'U'
    else if (typeof v === 'bigint') this.key += `#${v}n`
    else if (v === null) this.key += 'N'
    else if (typeof v !== 'object') return false
    else if (Array.isArray(v)) {
      this.key += '['
      for (let i = 0; i < v.length; i++) if (!this.walk(v[i])) return false
      this.key += ']'
    } else return this.#node(v as Record<string, unknown>)
    return true
  }

  #node(o: Record<string, unknown>): boolean {
    if (isBound(o)) {
      this.key += '?'
      this.values.push(o.value)
      return true
    }
    if (o.kind === 'PrimitiveValueListNode') {
      const list = o.values as readonly unknown[]
      this.key += `?${list.length}`
      for (const value of list) this.values.push(value)
      return true
    }
    if (Object.getPrototypeOf(o) !== PLAIN) return false
    this.key += '{'
    for (const k in o) {
      this.key += nameCode(k)
      if (!this.walk(o[k])) return false
    }
    this.key += '}'
    return true
  }
}

/**
 * The shape of `node`, or undefined when the tree holds anything but plain data (a Date as an
 * immediate value, a class instance): such queries are compiled afresh every time, never cached.
 */
export function shapeOf(node: OperationNode): Shape | undefined {
  const walker = new ShapeWalker()
  return walker.walk(node) ? { key: walker.key, values: walker.values } : undefined
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
