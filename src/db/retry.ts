import { FFStorageError } from '../errors.js'
import type { RetryOptions } from './options.js'

export interface RetryEvents {
  onRetry?(error: FFStorageError, attempt: number, delayMs: number): void
  /** Narrow which transient errors are retried (default: all of them). */
  retryable?(error: FFStorageError): boolean
}

const BEFORE_SENDING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/**
 * For a single autocommit write: retry only when the server cannot have applied it — it reported a
 * rollback (deadlock, serialization), or the connection was never made.
 */
export function safeToRetryStatement(error: FFStorageError): boolean {
  if (error.code === 'SERIALIZATION') return true
  if (error.code !== 'CONNECTION') return false
  const cause = error.cause as { code?: unknown; errors?: { code?: unknown }[] } | undefined
  const code = cause?.code ?? cause?.errors?.[0]?.code
  return typeof code === 'string' && BEFORE_SENDING.has(code)
}

/**
 * Run `operation` again after a transient failure (deadlock, serialization failure, connection lost
 * before commit), with exponential backoff and full jitter. Anything else surfaces at once.
 * `operation` must be a whole unit (a transaction), so re-running it cannot apply anything twice.
 */
export function withRetry<T>(
  policy: Required<RetryOptions>,
  operation: (attempt: number) => Promise<T>,
  events: RetryEvents = {},
): Promise<T> {
  // the first attempt runs as it is (no frame of ours around it): a read that succeeds costs nothing here
  let first: Promise<T>
  try {
    first = operation(1)
  } catch (error) {
    first = Promise.reject(error)
  }
  return first.catch((error: unknown) => retryAfter(policy, operation, events, error))
}

/** The attempts after the first one failed with `error`. */
async function retryAfter<T>(
  policy: Required<RetryOptions>,
  operation: (attempt: number) => Promise<T>,
  events: RetryEvents,
  error: unknown,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (!(error instanceof FFStorageError) || !error.transient || attempt >= policy.attempts) throw error
    if (events.retryable && !events.retryable(error)) throw error
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
    const delay = Math.round(Math.random() * ceiling)
    events.onRetry?.(error, attempt, delay)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    try {
      return await operation(attempt + 1)
    } catch (next) {
      error = next
    }
  }
}
