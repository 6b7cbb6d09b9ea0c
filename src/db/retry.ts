import { FFStorageError } from '../errors.js'
import type { RetryOptions } from './options.js'

export interface RetryEvents {
  onRetry?(error: FFStorageError, attempt: number, delayMs: number): void
}

/**
 * Run `operation` again after a transient failure (deadlock, serialization failure, connection lost
 * before commit), with exponential backoff and full jitter. Anything else surfaces at once.
 * `operation` must be a whole unit (a transaction), so re-running it cannot apply anything twice.
 */
export async function withRetry<T>(
  policy: Required<RetryOptions>,
  operation: (attempt: number) => Promise<T>,
  events: RetryEvents = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (!(error instanceof FFStorageError) || !error.transient || attempt >= policy.attempts) throw error
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      const delay = Math.round(Math.random() * ceiling)
      events.onRetry?.(error, attempt, delay)
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}
