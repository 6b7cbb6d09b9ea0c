import { describe, expect, it } from 'vitest'
import { mariadbCompound } from '../../src/dialect/mysql/compound.js'
import { done, plan, replay } from '../../src/sql/plan.js'
import { batch } from '../../src/sql/statement.js'

describe('plans', () => {
  it('yield statements, receive their rows and return a result', () => {
    const p = plan('transaction', function* () {
      const locked = yield { sql: 'SELECT 1 FOR UPDATE', parameters: [] }
      if (locked.rows.length === 0) return 'missing'
      const written = yield { sql: 'UPDATE t SET a = ?', parameters: [locked.rows[0]!.a] }
      return written.affectedRows === 1 ? 'changed' : 'unchanged'
    })
    const found = replay(p, (_s, i) => (i === 0 ? [{ a: 7 }] : { rows: [], affectedRows: 1 }))
    expect(found.result).toBe('changed')
    expect(found.statements.map((s) => s.parameters)).toEqual([[], [7]])
    const missing = replay(p, () => [])
    const lock = { sql: 'SELECT 1 FOR UPDATE', parameters: [] }
    expect(missing).toEqual({ result: 'missing', statements: [lock], steps: [lock] })
  })

  it('done sends nothing', () => {
    expect(replay(done(3), () => [])).toEqual({ result: 3, statements: [], steps: [] })
  })

  it('a batch is replayed statement by statement and receives the last answer', () => {
    const a = { sql: 'INSERT INTO h VALUES (?)', parameters: [1] }
    const b = { sql: 'SELECT x FROM t WHERE id = ?', parameters: [2] }
    const p = plan('transaction', function* () {
      const r = yield batch([a, b], true)
      return r.rows[0]!.x
    })
    const found = replay(p, (s) => (s === b ? [{ x: 'last' }] : { rows: [], affectedRows: 1 }))
    expect(found.result).toBe('last')
    expect(found.statements).toEqual([a, b])
    expect(found.steps).toEqual([{ batch: [a, b], last: true }])
  })
})

describe('MariaDB compound statements', () => {
  const a = { sql: 'SELECT x FROM t WHERE id = ? FOR UPDATE', parameters: [1] }
  const b = { sql: 'UPDATE t SET x = ? WHERE id = ?', parameters: ['v', 1] }
  it('carry the statements in order with every value bound, and the transaction control around them', () => {
    expect(mariadbCompound([a], { open: 'START TRANSACTION', undo: 'ROLLBACK' })).toEqual({
      sql: 'BEGIN NOT ATOMIC START TRANSACTION; SELECT x FROM t WHERE id = ? FOR UPDATE; END',
      parameters: [1],
    })
    expect(mariadbCompound([b, a], { close: 'COMMIT', undo: 'ROLLBACK' })).toEqual({
      sql: 'BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; UPDATE t SET x = ? WHERE id = ?; SELECT x FROM t WHERE id = ? FOR UPDATE; COMMIT; END',
      parameters: ['v', 1, 1],
    })
  })
  it('are not made beyond the protocol limit of 65,535 values per statement', () => {
    const big = { sql: 'INSERT INTO h VALUES ?', parameters: Array.from({ length: 40_000 }, () => 0) }
    expect(mariadbCompound([big], { close: 'COMMIT', undo: 'ROLLBACK' })).toBeDefined()
    expect(mariadbCompound([big, big], { close: 'COMMIT', undo: 'ROLLBACK' })).toBeUndefined()
  })
})
