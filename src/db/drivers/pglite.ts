import type { PGlite } from '@electric-sql/pglite'
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely'
import { Mutex } from '../mutex.js'
import { POSTGRES_PARSERS } from './postgres-types.js'

/**
 * A Kysely driver over one PGlite instance. Acquiring the connection takes a FIFO lock that is held
 * until release, so statements and whole transactions never interleave.
 */
export class PGliteDriver implements Driver {
  readonly #mutex = new Mutex()
  readonly #open: () => Promise<PGlite>
  #pglite: PGlite | undefined
  #connection: PGliteConnection | undefined

  constructor(open: () => Promise<PGlite>) {
    this.#open = open
  }

  async init(): Promise<void> {
    this.#pglite = await this.#open()
    await this.#pglite.waitReady
    this.#connection = new PGliteConnection(this.#pglite)
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    if (!this.#connection) {
      this.#mutex.unlock()
      throw new Error('PGlite driver is not initialized or already closed')
    }
    return this.#connection
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock()
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : ''
    await connection.executeQuery(CompiledQuery.raw(`begin${level}`))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async destroy(): Promise<void> {
    const pglite = this.#pglite
    this.#connection = undefined
    this.#pglite = undefined
    if (pglite && !pglite.closed) await pglite.close()
  }

  /** Connections waiting for the single connection (a pool gauge). */
  get waiting(): number {
    return this.#mutex.waiting
  }

  get busy(): boolean {
    return this.#mutex.locked
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite
  constructor(pglite: PGlite) {
    this.#pglite = pglite
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(compiledQuery.sql, compiledQuery.parameters as unknown[], {
      rowMode: 'object',
      parsers: POSTGRES_PARSERS,
    })
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined && { numAffectedRows: BigInt(result.affectedRows) }),
    }
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered on PGlite
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported on PGlite')
  }
}
