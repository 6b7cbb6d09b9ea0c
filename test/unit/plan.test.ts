import { describe, expect, it } from 'vitest'
import { done, plan, replay } from '../../src/sql/plan.js'

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
    expect(missing).toEqual({ result: 'missing', statements: [{ sql: 'SELECT 1 FOR UPDATE', parameters: [] }] })
  })

  it('done sends nothing', () => {
    expect(replay(done(3), () => [])).toEqual({ result: 3, statements: [] })
  })
})
