import { ValueNode } from 'kysely'
import { describe, expect, it } from 'vitest'
import { type Shape, ShapeTable, shapeOf } from '../../src/query/shape.js'

const shape = (node: unknown, prefix: number[] = []): Shape => shapeOf(node as never, prefix)!
const bound = (value: unknown) => ValueNode.create(value)
const immediate = (value: unknown) => ValueNode.createImmediate(value)

/** Trees that differ only where a careless key would read them alike. */
const distinct: [string, unknown][] = [
  ['text split one way', { a: 'ab', b: 'c' }],
  ['text split the other', { a: 'a', b: 'bc' }],
  ['another text of that length', { a: 'ac', b: 'c' }],
  ['a number', { a: immediate(1) }],
  ['its text', { a: immediate('1') }],
  ['a bigint', { a: immediate(1n) }],
  ['zero', { a: immediate(0) }],
  ['negative zero', { a: immediate(-0) }],
  ['NaN', { a: immediate(Number.NaN) }],
  ['null', { a: null }],
  ['undefined', { a: undefined }],
  ['false', { a: false }],
  ['one empty array', { a: [[]] }],
  ['two empty arrays', { a: [[], []] }],
  ['a bound value', { a: bound(1) }],
  ['a list of one', { a: { kind: 'PrimitiveValueListNode', values: [1] } }],
  ['a list of two', { a: { kind: 'PrimitiveValueListNode', values: [1, 2] } }],
  ['keys in one order', { a: 'x', b: 'y' }],
  ['keys in the other', { b: 'y', a: 'x' }],
  ['a nested node', { a: { b: 'c' } }],
  ['the node flattened', { a: 'b', c: undefined }],
  ['a number as a name', { '1': 'x' }],
  ['a large number', { a: immediate(2 ** 40 + 0.5) }],
  ['a number with the same integer part', { a: immediate(2 ** 40) }],
  ['a long raw text', { sql: ['x'.repeat(100)] }],
  ['another long raw text of that length', { sql: [`${'x'.repeat(99)}y`] }],
  ['two long texts', { sql: ['x'.repeat(100), 'x'.repeat(100)] }],
]

describe('query shapes', () => {
  it('gives trees that differ anywhere but in their bound values different tokens (or long texts)', () => {
    const seen = new Map<string, string>()
    for (const [name, tree] of distinct) {
      const { tokens, texts } = shape(tree)
      const key = JSON.stringify([tokens, texts])
      expect({ name, clash: seen.get(key) }).toEqual({ name, clash: undefined })
      seen.set(key, name)
    }
  })

  it('gives trees that differ only in bound values the same tokens, and lifts the values out in order', () => {
    const tree = (a: unknown, b: unknown[]) => ({
      kind: 'SelectQueryNode',
      where: bound(a),
      list: { kind: 'PrimitiveValueListNode', values: b },
      limit: immediate(10),
    })
    const one = shape(tree('x', [1, 2]))
    const two = shape(tree(new Date(0), [3, 4]))
    expect(one.tokens).toEqual(two.tokens)
    expect(one.hash).toBe(two.hash)
    expect(one.values).toEqual(['x', 1, 2])
    expect(two.values).toEqual([new Date(0), 3, 4])
    expect(shape(tree('x', [1, 2, 3])).tokens).not.toEqual(one.tokens)
  })

  it('reads `immediate` as Kysely does: any truthy value is SQL text, not a bound value', () => {
    const odd = shape({ a: { kind: 'ValueNode', value: 'x', immediate: 1 } })
    expect(odd.values).toEqual([])
    expect(odd.tokens).not.toEqual(shape({ a: { kind: 'ValueNode', value: 'y', immediate: 1 } }).tokens)
  })

  it('puts the prefix (the models) first: the same query over other models is another shape', () => {
    const tree = { kind: 'SelectQueryNode', from: 'cu' }
    expect(shape(tree, [2, 0, 1]).tokens).not.toEqual(shape(tree, [2, 0, 2]).tokens)
    expect(shape(tree, [2, 0, 1]).tokens).toEqual(shape(tree, [2, 0, 1]).tokens)
  })

  it('keeps long texts (raw SQL) out of the interning table, compared as they are', () => {
    const long = (t: string) => shape({ kind: 'RawNode', sqlFragments: [t, 'x'] })
    const a = long(`select ${'a'.repeat(80)}`)
    expect(a.texts).toEqual([`select ${'a'.repeat(80)}`])
    expect(long(`select ${'a'.repeat(80)}`).tokens).toEqual(a.tokens)
    const table = new ShapeTable<string>(10, () => 0)
    table.set(a, 'a')
    expect(table.get(long(`select ${'a'.repeat(80)}`))).toBe('a')
    expect(table.get(long(`select ${'b'.repeat(80)}`))).toBeUndefined()
  })

  it('refuses what is not plain data (a Date as an immediate value, a class instance)', () => {
    expect(shapeOf({ a: immediate(new Date(0)) } as never)).toBeUndefined()
    expect(shapeOf({ a: new (class X {})() } as never)).toBeUndefined()
    expect(shapeOf({ a: () => 1 } as never)).toBeUndefined()
  })
})

describe('ShapeTable', () => {
  it('finds a shape by its tokens, not its hash: every shape in one bucket still finds its own value', () => {
    const table = new ShapeTable<string>(100, () => 0)
    for (const [name, tree] of distinct) table.set(shape(tree), name)
    for (const [name, tree] of distinct) expect(table.get(shape(tree))).toBe(name)
    expect(table.get(shape({ a: 'never seen' }))).toBeUndefined()
  })

  it('forgets the oldest shape first past its size, and a shape set again replaces its value', () => {
    const table = new ShapeTable<number>(3, () => 0)
    const s = (n: number) => shape({ n: immediate(n) })
    for (const n of [1, 2, 3]) table.set(s(n), n)
    table.set(s(2), 20)
    expect(table.get(s(2))).toBe(20)
    table.set(s(4), 4)
    expect(table.get(s(1))).toBeUndefined()
    expect([table.get(s(2)), table.get(s(3)), table.get(s(4))]).toEqual([20, 3, 4])
    table.set(s(5), 5)
    expect(table.get(s(3))).toBeUndefined()
    expect([table.get(s(2)), table.get(s(4)), table.get(s(5))]).toEqual([20, 4, 5])
  })
})
