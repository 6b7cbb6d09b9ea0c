const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
])

const NETWORK_MESSAGES = [
  /Connection terminated/i,
  /Client has encountered a connection error/i,
  /connection is closed/i,
  /Can't add new command when connection is in closed state/i,
  /server closed the connection unexpectedly/i,
]

/** A readable message when `error` is a network-level failure (no SQL state), else undefined. */
export function networkErrorMessage(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined
  const { code, message } = error as { code?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message : ''
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return `${code}${text ? `: ${text}` : ''}`
  }
  // AggregateError from net.connect when both IPv4 and IPv6 fail
  const inner = (error as { errors?: unknown[] }).errors
  if (Array.isArray(inner) && inner.length > 0) return networkErrorMessage(inner[0])
  if (NETWORK_MESSAGES.some((r) => r.test(text))) return text
  return undefined
}
