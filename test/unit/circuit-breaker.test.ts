import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CircuitBreaker, type CircuitState } from '../../src/db/circuit-breaker.js'
import { CircuitOpenError, ConnectionError, PoolExhaustedError, UniqueViolationError } from '../../src/index.js'

const down = () => new ConnectionError('connection refused')
const answer = () => new UniqueViolationError('duplicate')

describe('circuit breaker', () => {
  let changes: string[]
  let breaker: CircuitBreaker
  beforeEach(() => {
    vi.useFakeTimers()
    changes = []
    breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000 }, (from: CircuitState, to: CircuitState) =>
      changes.push(`${from}->${to}`),
    )
  })
  afterEach(() => vi.useRealTimers())

  const open = () => {
    breaker.leave(breaker.enter(), down())
    breaker.leave(breaker.enter(), down())
    expect(breaker.snapshot().state).toBe('open')
  }

  it('opens after the threshold, fails fast, lets one trial through after the cooldown, closes on its success', () => {
    open()
    expect(() => breaker.enter()).toThrow(CircuitOpenError)
    vi.advanceTimersByTime(1_000)
    const trial = breaker.enter()
    expect(breaker.snapshot().state).toBe('half-open')
    expect(() => breaker.enter()).toThrow(CircuitOpenError) // one trial at a time
    breaker.leave(trial)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed'])
  })

  it('a failed trial re-opens and restarts the cooldown', () => {
    open()
    vi.advanceTimersByTime(1_000)
    breaker.leave(breaker.enter(), down())
    expect(breaker.snapshot().state).toBe('open')
    vi.advanceTimersByTime(999)
    expect(() => breaker.enter()).toThrow(CircuitOpenError)
  })

  it('calls admitted before it opened neither re-open it (cooldown, log) nor close it when they end later', () => {
    const inFlight = Array.from({ length: 6 }, () => breaker.enter())
    breaker.leave(inFlight[0]!, down())
    breaker.leave(inFlight[1]!, down())
    const { retryAt } = breaker.snapshot()
    vi.advanceTimersByTime(500)
    breaker.leave(inFlight[2]!, down())
    breaker.leave(inFlight[3]!, down())
    expect(breaker.snapshot()).toMatchObject({ state: 'open', retryAt })
    breaker.leave(inFlight[4]!, answer()) // a late answer from the server does not end the outage
    breaker.leave(inFlight[5]!)
    expect(breaker.snapshot()).toMatchObject({ state: 'open', retryAt })
    expect(changes).toEqual(['closed->open'])
  })

  it('a call admitted before the trial closed does not count against the closed circuit', () => {
    const early = breaker.enter()
    open()
    vi.advanceTimersByTime(1_000)
    breaker.leave(breaker.enter())
    breaker.leave(early, down())
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
  })

  it('errors that are not the server answering decide nothing, not even as the trial', () => {
    open()
    vi.advanceTimersByTime(1_000)
    let trial = breaker.enter()
    breaker.leave(trial, new PoolExhaustedError('busy'))
    expect(breaker.snapshot().state).toBe('half-open')
    trial = breaker.enter()
    breaker.leave(trial, new CircuitOpenError('nested'))
    expect(breaker.snapshot().state).toBe('half-open')
    trial = breaker.enter()
    breaker.leave(trial, new TypeError('the caller'))
    expect(breaker.snapshot().state).toBe('half-open')
    breaker.leave(breaker.enter(), answer())
    expect(breaker.snapshot().state).toBe('closed')
  })

  it('a threshold of 0 disables it', () => {
    const off = new CircuitBreaker({ failureThreshold: 0 })
    for (let i = 0; i < 10; i++) off.leave(off.enter(), down())
    expect(off.snapshot().state).toBe('closed')
  })
})
