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

/** What `enter` hands a call and `leave` takes back: the half-open trial, or the epoch it was admitted in. */
export type CircuitTicket = number

const TRIAL: CircuitTicket = -1

/**
 * Around the pool: after `failureThreshold` consecutive connection failures, calls fail at once with
 * CircuitOpenError instead of queueing on a dead server; after `cooldownMs` one trial call goes
 * through (half-open) and its outcome closes or re-opens the circuit. Only connection failures
 * count: a unique violation says the server is fine.
 *
 * Only the trial decides while the circuit is not closed: a call admitted before the circuit changed
 * state (its ticket carries the old epoch) that ends later says nothing about the server now, so it
 * neither re-opens the circuit (restarting the cooldown, logging again) nor closes it mid-outage.
 * A transaction is one call: it enters before it takes a connection and leaves with its outcome;
 * as the half-open trial it leaves as soon as its BEGIN is answered (the server is back), so other
 * calls do not wait for the rest of the trial transaction.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false
  /** Bumped on every change of state. */
  #epoch = 0
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

  /** Before a call: throws CircuitOpenError while open; returns the ticket to hand to `leave`. */
  enter(): CircuitTicket {
    if (this.#threshold <= 0 || this.#state === 'closed') return this.#epoch
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
    return TRIAL
  }

  /**
   * After a call: a connection failure counts (and opens at the threshold, or re-opens from the
   * trial); an answer from the server resets the count (and closes from the trial). Errors that are
   * not the server's answer (the circuit's own, an exhausted pool, the caller's) decide nothing.
   */
  leave(ticket: CircuitTicket, error?: unknown): void {
    const trial = ticket === TRIAL
    if (trial) this.#trialInFlight = false
    if (this.#threshold <= 0) return
    if (!trial && ticket !== this.#epoch) return // admitted before the last change of state
    if (error !== undefined) {
      if (!(error instanceof FFStorageError) || error.code === 'CIRCUIT_OPEN' || error.code === 'POOL_EXHAUSTED') {
        return
      }
      if (error.code === 'CONNECTION') {
        this.#failures++
        if (trial || this.#failures >= this.#threshold) {
          this.#openedAt = Date.now()
          this.#set('open')
        }
        return
      }
    }
    this.#failures = 0
    if (trial) this.#set('closed')
  }

  /** True for the half-open trial's ticket (a transaction's trial is decided by its first answer). */
  isTrial(ticket: CircuitTicket): boolean {
    return ticket === TRIAL
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
    this.#epoch++
    this.#onChange(from, state)
  }
}
