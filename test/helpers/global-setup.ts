import { Socket } from 'node:net'
import { SERVER_URLS } from './engines.js'
import { pgbouncerInstalled } from './pgbouncer.js'

const KNOWN = ['pglite', 'postgres', 'mariadb', 'pgbouncer'] as const

function reachable(url: string, timeoutMs = 1_000): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(Number(u.port), u.hostname, () => done(true))
  })
}

/**
 * FF_ENGINES lists the engines to test (every one listed must answer, or the run fails).
 * Unset: PGlite plus whichever servers answer on their standard local ports.
 */
export default async function setup(): Promise<void> {
  const requested = process.env.FF_ENGINES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (requested) {
    for (const id of requested) {
      if (!(KNOWN as readonly string[]).includes(id)) {
        throw new Error(`FF_ENGINES: unknown engine "${id}" (known: ${KNOWN.join(', ')})`)
      }
      const server = SERVER_URLS[id === 'pgbouncer' ? 'postgres' : (id as 'postgres' | 'mariadb')]
      if (id !== 'pglite' && !(await reachable(server))) {
        throw new Error(`FF_ENGINES lists ${id}, but ${server} does not answer`)
      }
      if (id === 'pgbouncer' && !pgbouncerInstalled()) {
        throw new Error('FF_ENGINES lists pgbouncer, but the pgbouncer binary is not installed')
      }
    }
    process.env.FF_ENGINES_SELECTED = requested.join(',')
  } else {
    const found = ['pglite']
    for (const id of ['postgres', 'mariadb'] as const) if (await reachable(SERVER_URLS[id])) found.push(id)
    if (found.includes('postgres') && pgbouncerInstalled()) found.push('pgbouncer')
    process.env.FF_ENGINES_SELECTED = found.join(',')
  }
  // Redis backs the shared-cache tests: required when engines are listed (CI), used when present otherwise
  const redis = 'redis://127.0.0.1:6379'
  const redisUp = await reachable(redis)
  if (requested?.some((e) => e !== 'pglite') && !redisUp) {
    throw new Error(`FF_ENGINES lists servers, and the shared-cache tests need Redis, but ${redis} does not answer`)
  }
  process.env.FF_REDIS_SELECTED = redisUp ? '1' : ''
  console.log(`ff-storage tests: engines ${process.env.FF_ENGINES_SELECTED}${redisUp ? ', redis' : ''}`)
}
