import { describe, expect, it } from 'vitest'
import { normalizeUuid } from '../../src/ids.js'
import { dateProblem, jsonProblem, storableProblem, textProblem, timestampProblem } from '../../src/model/storable.js'
import { ownData, READ_OPTIONS, readOptions } from '../../src/repository/input.js'

describe('storable values', () => {
  it('text: NUL and lone surrogates', () => {
    expect(textProblem('fine ü 😀')).toBeUndefined()
    expect(textProblem('a\u0000')).toMatch(/NUL/)
    expect(textProblem('\uD83D')).toMatch(/surrogate/)
    expect(textProblem('\uDE00x')).toMatch(/surrogate/)
  })

  it('timestamps and dates: years 1000 to 9999', () => {
    expect(timestampProblem(new Date('1000-01-01T00:00:00.000Z'))).toBeUndefined()
    expect(timestampProblem(new Date('9999-12-31T23:59:59.999Z'))).toBeUndefined()
    expect(timestampProblem(new Date('0999-12-31T23:59:59.999Z'))).toMatch(/range/)
    expect(timestampProblem(new Date('+010000-01-01T00:00:00.000Z'))).toMatch(/range/)
    expect(timestampProblem(new Date(Number.NaN))).toMatch(/invalid/)
    expect(dateProblem('2024-02-29')).toBeUndefined()
    expect(dateProblem('2023-02-29')).toMatch(/not a date/)
    expect(dateProblem('0001-01-01')).toMatch(/range/)
    expect(dateProblem('2024-1-1')).toMatch(/not a date/)
  })

  it('JSON: what JSON.stringify would lose or fail on', () => {
    const cycle: Record<string, unknown> = {}
    cycle.me = cycle
    const shared = { x: 1 }
    expect(jsonProblem({ a: [shared, shared], d: new Date(0), s: 'x' })).toBeUndefined()
    expect(jsonProblem({ a: [1n] })).toMatch(/\$\.a\[0\]: a BigInt/)
    expect(jsonProblem(cycle)).toMatch(/cycle/)
    expect(jsonProblem({ n: Number.NaN })).toMatch(/NaN is not a JSON number/)
    expect(jsonProblem({ f: () => 1 })).toMatch(/function/)
    expect(jsonProblem({ m: new Map() })).toMatch(/Map/)
    expect(
      jsonProblem({
        toJSON() {
          throw new Error('boom')
        },
      }),
    ).toMatch(/toJSON\(\) failed \(boom\)/)
    expect(jsonProblem({ 'k\u0000': 1 })).toMatch(/key that contains a NUL/)
  })

  it('integers: safe, 32-bit columns, 64-bit bigints', () => {
    expect(storableProblem({ kind: 'integer', size: 'int' }, 2 ** 31)).toMatch(/32-bit/)
    expect(storableProblem({ kind: 'integer', size: 'int' }, -(2 ** 31))).toBeUndefined()
    expect(storableProblem({ kind: 'integer', size: 'bigint' }, 2 ** 53)).toMatch(/safe integer/)
    expect(storableProblem({ kind: 'bigint' }, 2n ** 63n - 1n)).toBeUndefined()
    expect(storableProblem({ kind: 'bigint' }, -(2n ** 63n) - 1n)).toMatch(/64-bit/)
    expect(storableProblem({ kind: 'array', element: { kind: 'string' } }, ['a', '\u0000'])).toMatch(/\[1\]: .*NUL/)
  })
})

describe('reading input', () => {
  it('own data properties only, in a null-prototype record', () => {
    const issues: unknown[] = []
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "a": 2}')
    const input = Object.create({ inherited: true })
    for (const [k, v] of Object.entries(parsed)) Object.defineProperty(input, k, { value: v, enumerable: true })
    const own = ownData(input, [], issues as never)
    expect(Object.getPrototypeOf(own)).toBeNull()
    expect(Object.keys(own).sort()).toEqual(['__proto__', 'a'])
    expect(own.inherited).toBeUndefined()
    const withGetter = Object.defineProperty({}, 'g', { enumerable: true, get: () => 1 })
    expect(ownData(withGetter, ['p'], issues as never)).toEqual({})
    expect(issues).toMatchObject([{ path: ['p', 'g'] }])
  })

  it('options: every issue at once, unknown keys refused', () => {
    expect(() => readOptions({ includeDeleted: 'false', asOf: 'x', nope: 1 }, READ_OPTIONS)).toThrow(
      /includeDeleted[\s\S]*asOf[\s\S]*unknown option "nope"/,
    )
    expect(readOptions({ includeDeleted: true, asOf: '2024-01-01T00:00:00Z' }, READ_OPTIONS)).toEqual({
      includeDeleted: true,
      asOf: new Date('2024-01-01T00:00:00Z'),
    })
    expect(() => readOptions({ asOf: '1' }, READ_OPTIONS)).toThrow(/asOf must be a Date/)
  })

  it('UUIDs in lower case', () => {
    expect(normalizeUuid('ABCDEF00-0000-4000-8000-0000000000AA')).toBe('abcdef00-0000-4000-8000-0000000000aa')
    expect(normalizeUuid('abc')).toBeUndefined()
    expect(normalizeUuid(7)).toBeUndefined()
  })
})
