/**
 * The repository suite and the concurrency suite, run again through a private PgBouncer in
 * transaction mode in front of the PostgreSQL server (engine id `pgbouncer`, started per suite on
 * a free port: test/helpers/pgbouncer.ts), plus what only a pooler can break: session settings.
 */
import { expect, it } from 'vitest'
import { QueryTimeoutError, sql } from '../../src/index.js'
import { describeEngines, runSuitesOn, selectedEngines } from '../helpers/engines.js'

const through = selectedEngines().includes('pgbouncer')
runSuitesOn(through ? ['pgbouncer'] : [])

await import('./repository.test.js')
await import('./concurrency.test.js')

describeEngines('session settings through a transaction-mode pooler', (ctx) => {
  it('accepts statementTimeoutMs and idleInTransactionTimeoutMs (no startup parameters) and applies them in transactions', async () => {
    const db = await ctx.open({ statementTimeoutMs: 200, idleInTransactionTimeoutMs: 5_000 })
    expect(await db.queryOne(sql`select ${1}::int as one`)).toEqual({ one: 1 })
    const settings = await db.transaction((tx) =>
      tx.queryOne<{ s: string; i: string }>(
        sql`select current_setting('statement_timeout') as s, current_setting('idle_in_transaction_session_timeout') as i`,
      ),
    )
    expect(settings).toEqual({ s: '200ms', i: '5s' })
    const started = Date.now()
    await expect(db.transaction((tx) => tx.query(sql`select pg_sleep(3)`))).rejects.toBeInstanceOf(QueryTimeoutError)
    expect(Date.now() - started).toBeLessThan(3_000) // cancelled, not run to the end of the 3 s sleep
    expect(await db.queryOne(sql`select 1 as one`)).toEqual({ one: 1 })
  })
})

// without the pgbouncer engine the file still registers something (reported as skipped, never in CI)
if (!through) it.skip('runs only when pgbouncer is among the engines (FF_ENGINES=…,pgbouncer)', () => {})
