import { CircuitOpenError, FFStorageError } from '../errors.js'

export type CircuitState = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** Consecutive connection failures that open the circuit (default 5; 0 disables the breaker). */
  readonly failureThreshold?: number
  /** How long the circuit stays open before one trial call is let through (default 10,000 ms). */
  readonly cooldownMs?: number
}

export interface CircuitSnapshot {
  readonly state: CircuitState
  readonly consecutiveFailures: number
  /** When an open circuit lets the next trial through (epoch ms), if open. */
  readonly retryAt: number | undefined
}

/**
 * Around the pool: after `failureThreshold` consecutive connection failures, calls fail at once with
 * CircuitOpenError instead of queueing on a dead server; after `cooldownMs` one trial call goes
 * through (half-open) and its outcome closes or re-opens the circuit. Only connection failures
 * count: a unique violation says the server is fine.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false
  readonly #threshold: number
  readonly #cooldownMs: number
  readonly #onChange: (from: CircuitState, to: CircuitState) => void

  constructor(
    options: CircuitBreakerOptions = {},
    onChange: (from: CircuitState, to: CircuitState) => void = () => {},
  ) {
    this.#threshold = options.failureThreshold ?? 5
    this.#cooldownMs = options.cooldownMs ?? 10_000
    this.#onChange = onChange
  }

  /** Before a call: throws CircuitOpenError while open; returns whether this call is the half-open trial. */
  enter(): boolean {
    if (this.#threshold <= 0 || this.#state === 'closed') return false
    if (this.#state === 'open') {
      if (Date.now() - this.#openedAt < this.#cooldownMs) {
        throw new CircuitOpenError(
          `The database circuit is open after ${this.#failures} consecutive connection failures; next attempt in ${Math.max(0, this.#cooldownMs - (Date.now() - this.#openedAt))} ms`,
        )
      }
      this.#set('half-open')
    }
    if (this.#trialInFlight)
      throw new CircuitOpenError('The database circuit is half-open: one trial call is under way')
    this.#trialInFlight = true
    return true
  }

  /** After a call: success closes, a connection failure counts (and opens at the threshold). */
  leave(trial: boolean, error?: unknown): void {
    if (trial) this.#trialInFlight = false
    if (this.#threshold <= 0) return
    const connectionFailure = error instanceof FFStorageError && error.code === 'CONNECTION'
    if (!connectionFailure) {
      if (error === undefined || error instanceof FFStorageError) {
        this.#failures = 0
        if (this.#state !== 'closed') this.#set('closed')
      }
      return
    }
    this.#failures++
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#openedAt = Date.now()
      this.#set('open')
    }
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.#state,
      consecutiveFailures: this.#failures,
      retryAt: this.#state === 'open' ? this.#openedAt + this.#cooldownMs : undefined,
    }
  }

  #set(state: CircuitState) {
    const from = this.#state
    this.#state = state
    this.#onChange(from, state)
  }
}
