import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Whether the `pgbouncer` binary is installed. */
export function pgbouncerInstalled(): boolean {
  try {
    execFileSync('pgbouncer', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(port, '127.0.0.1', () => done(true))
  })
}

export interface RunningPgBouncer {
  /** postgres://postgres@127.0.0.1:<port>/<database>: any database of the upstream server. */
  url(database: string): string
  stop(): Promise<void>
}

/**
 * A private PgBouncer in transaction mode on a free loopback port, in front of `upstream`
 * (host:port of a PostgreSQL that trusts `user`), configured in a temp directory; `stop` ends it by
 * its PID. No startup parameter is ignored: a client that sends one PgBouncer does not know fails.
 */
export async function startPgBouncer(upstream = { host: '127.0.0.1', port: 5432, user: 'postgres' }) {
  const dir = mkdtempSync(join(tmpdir(), 'ff-pgbouncer-'))
  chmodSync(dir, 0o777) // pgbouncer refuses to run as root: it runs as the upstream's user below
  const port = await freePort()
  writeFileSync(join(dir, 'users.txt'), `"${upstream.user}" ""\n`)
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.host} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 30',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  )
  const args =
    process.getuid?.() === 0 ? ['-u', upstream.user, join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')]
  const child: ChildProcess = spawn('pgbouncer', args, { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const log = () => {
    try {
      return readFileSync(join(dir, 'pgbouncer.log'), 'utf8')
    } catch {
      return ''
    }
  }
  for (let i = 0; !(await answers(port)); i++) {
    if (child.exitCode !== null || i > 100) {
      child.kill('SIGTERM')
      throw new Error(`pgbouncer did not start on port ${port}:\n${log()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: (database: string) => `postgres://${upstream.user}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  } satisfies RunningPgBouncer
}
