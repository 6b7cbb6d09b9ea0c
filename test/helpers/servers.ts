import { execFile, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Private database servers for fault tests: a PostgreSQL cluster or a mariadbd with a data directory
 * of its own in a temp dir, on a free loopback port, started, restarted and stopped by the test
 * (never the shared servers). Stopped by PID; the directory is removed afterwards.
 */
export interface PrivateServer {
  readonly engine: 'postgres' | 'mariadb'
  readonly port: number
  /** URL of the `test` database on it. */
  readonly url: string
  /** The server's main process id. */
  pid(): number
  /** Stop and start again: `fast`/`immediate` (pg_ctl modes), `term` (SIGTERM) or `kill` (SIGKILL). */
  restart(mode: StopMode): Promise<void>
  stop(mode?: StopMode): Promise<void>
  start(): Promise<void>
}

export type StopMode = 'fast' | 'immediate' | 'term' | 'kill'

/** A free TCP port on 127.0.0.1 (asked from the kernel, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = new Socket()
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(500, () => done(false))
    s.once('error', () => done(false))
    s.connect(port, '127.0.0.1', () => done(true))
  })

/** Children of a process (to SIGKILL a postmaster together with its backends). */
function children(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(entry))
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin')
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql')
}

export async function privatePostgres(): Promise<PrivateServer> {
  const bin = postgresBin()
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'ff-pg-'))
  if (asRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), -1)
  // initdb and the server refuse to run as root: as the postgres OS user then
  const exec = (file: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, file), ...args]) : run(join(bin, file), args)
  await exec('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=80`
  const pidOf = () => Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0])
  let pid = 0
  const server: PrivateServer = {
    engine: 'postgres',
    port,
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    pid: () => pid,
    async start() {
      await exec('pg_ctl', ['-D', dir, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start'])
      pid = pidOf()
    },
    async stop(mode = 'fast') {
      if (!pid || !alive(pid)) return
      if (mode === 'kill') {
        const all = [pid, ...children(pid)]
        for (const p of all) process.kill(p, 'SIGKILL')
        await waitFor('the killed PostgreSQL processes to end', 30_000, () => all.every((p) => !alive(p)))
      } else {
        const m = mode === 'term' ? 'smart' : mode
        await exec('pg_ctl', ['-D', dir, '-m', m, '-w', '-t', '60', 'stop'])
      }
    },
    async restart(mode) {
      await server.stop(mode)
      await server.start()
    },
  }
  await server.start()
  await exec('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'create database test'])
  cleanups.push(async () => {
    await server.stop('immediate').catch(() => server.stop('kill'))
    rmSync(dir, { recursive: true, force: true })
  })
  return server
}

export async function privateMariadb(): Promise<PrivateServer> {
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'ff-my-'))
  const user = asRoot ? ['--user=root'] : []
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${dir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...user,
  ])
  const port = await freePort()
  const args = [
    '--no-defaults',
    `--datadir=${dir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--log-error=${join(dir, 'err.log')}`,
    '--innodb-buffer-pool-size=64M',
    '--skip-log-bin',
    '--max-connections=80',
    ...user,
  ]
  let pid = 0
  const server: PrivateServer = {
    engine: 'mariadb',
    port,
    url: `mysql://root@127.0.0.1:${port}/test`,
    pid: () => pid,
    async start() {
      const child = spawn('mariadbd', args, { detached: true, stdio: 'ignore' })
      child.unref()
      pid = child.pid!
      await waitFor('mariadbd to accept connections', 60_000, async () => {
        if (!alive(pid)) throw new Error(`mariadbd exited: see ${join(dir, 'err.log')}`)
        return accepts(port)
      })
    },
    async stop(mode = 'term') {
      if (!pid || !alive(pid)) return
      process.kill(pid, mode === 'kill' || mode === 'immediate' ? 'SIGKILL' : 'SIGTERM')
      await waitFor('mariadbd to exit', 60_000, () => !alive(pid))
    },
    async restart(mode) {
      await server.stop(mode)
      await server.start()
    },
  }
  await server.start()
  await run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', 'root', '-e', 'create database test'])
  cleanups.push(async () => {
    await server.stop('kill')
    rmSync(dir, { recursive: true, force: true })
  })
  return server
}

const cleanups: (() => Promise<void>)[] = []

/** Stop every private server this process started (afterAll), by PID, and remove their directories. */
export async function stopPrivateServers(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!()
}
