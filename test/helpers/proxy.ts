import { createServer, type Server, Socket } from 'node:net'

/**
 * A TCP proxy in front of a database server, for fault injection on loopback: it can refuse new
 * connections (`down`), come back (`up`), cut every open connection, or cut connections at random.
 */
export interface FaultProxy {
  readonly port: number
  /** Probability that a chunk passing through kills its connection (0 = never). */
  failureRate: number
  /** The next this many chunks (either way) kill their connection instead of passing. */
  cutNext: number
  /** When it returns true for a chunk from the client, the server's reply is lost: the connection dies. */
  loseReply: ((chunk: Buffer) => boolean) | undefined
  down(): Promise<void>
  /** Refuse new connections but keep the open ones. */
  refuse(): Promise<void>
  up(): Promise<void>
  cutAll(): void
  close(): Promise<void>
  readonly cuts: number
}

export async function faultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  let cuts = 0
  const proxy: FaultProxy = {
    get port() {
      return port
    },
    failureRate: 0,
    cutNext: 0,
    loseReply: undefined,
    get cuts() {
      return cuts
    },
    async up() {
      server = createServer((client) => {
        const upstream = new Socket()
        sockets.add(client)
        sockets.add(upstream)
        const kill = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        let swallow = false
        const pipe = (from: Socket, to: Socket) =>
          from.on('data', (chunk: Buffer) => {
            const lost = from === upstream && swallow
            if (lost || proxy.cutNext > 0 || (proxy.failureRate > 0 && Math.random() < proxy.failureRate)) {
              if (!lost && proxy.cutNext > 0) proxy.cutNext--
              cuts++
              kill()
              return
            }
            if (from === client && proxy.loseReply?.(chunk)) swallow = true
            to.write(chunk)
          })
        pipe(client, upstream)
        pipe(upstream, client)
        client.on('error', kill).on('close', kill)
        upstream.on('error', kill).on('close', kill)
        upstream.connect(target.port, target.host)
      })
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
      port = (server.address() as { port: number }).port
    },
    async down() {
      proxy.cutAll()
      await proxy.refuse()
    },
    async refuse() {
      // close() stops listening at once; its callback waits for the open connections to end
      server?.close()
      server = undefined
    },
    cutAll() {
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close() {
      return proxy.down()
    },
  }
  await proxy.up()
  return proxy
}

export function urlThrough(url: string, port: number): string {
  const u = new URL(url)
  u.hostname = '127.0.0.1'
  u.port = String(port)
  return u.toString()
}
