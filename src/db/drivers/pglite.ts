import type { PGlite } from '@electric-sql/pglite'
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely'
import { Mutex } from '../mutex.js'
import { PglitePrepared } from './pglite-prepared.js'
import { POSTGRES_PARSERS } from './postgres-types.js'

const QUERY_OPTIONS = { rowMode: 'object', parsers: POSTGRES_PARSERS } as const

/**
 * A Kysely driver over one PGlite instance. Acquiring the connection takes a FIFO lock that is held
 * until release, so statements and whole transactions never interleave.
 */
export class PGliteDriver implements Driver {
  readonly #mutex = new Mutex()
  readonly #open: () => Promise<PGlite>
  #pglite: PGlite | undefined
  #connection: PGliteConnection | undefined
  readonly #prepare: boolean

  /** `prepare`: run repeated statement shapes as named prepared statements (see pglite-prepared.ts). */
  constructor(open: () => Promise<PGlite>, prepare = true) {
    this.#open = open
    this.#prepare = prepare
  }

  async init(): Promise<void> {
    this.#pglite = await this.#open()
    await this.#pglite.waitReady
    this.#connection = new PGliteConnection(this.#pglite, this.#prepare ? new PglitePrepared(this.#pglite) : undefined)
  }

  /** How many statements the instance holds prepared (tests and diagnostics). */
  get preparedCount(): number {
    return this.#connection?.prepared?.size ?? 0
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
  readonly prepared: PglitePrepared | undefined
  constructor(pglite: PGlite, prepared: PglitePrepared | undefined) {
    this.#pglite = pglite
    this.prepared = prepared
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery
    const result =
      (await this.prepared?.run<R>(sql, parameters, QUERY_OPTIONS)) ??
      (await this.#pglite.query<R>(sql, parameters as unknown[], QUERY_OPTIONS))
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
