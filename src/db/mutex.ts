/** A FIFO lock: PGlite has one connection, so operations and transactions queue here. */
export class Mutex {
  #locked = false
  readonly #waiters: Array<() => void> = []

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  unlock(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }

  get waiting(): number {
    return this.#waiters.length
  }

  get locked(): boolean {
    return this.#locked
  }
}
