/**
 * A redis-server that one test file owns, so it may suspend (SIGSTOP), kill (SIGKILL) and restart
 * it on the same port. Never the global test server: other files keep using that one.
 */
import { Redis, type RedisOptions } from 'ioredis'
import { type RedisProcess, startRedisServer } from '../setup/redis-server.js'

const ARGS = ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0']

export class PrivateRedis {
  #server: RedisProcess
  readonly #clients: Redis[] = []

  private constructor(server: RedisProcess) {
    this.#server = server
  }

  static async start(): Promise<PrivateRedis> {
    return new PrivateRedis(await startRedisServer(ARGS))
  }

  get port(): number {
    return this.#server.port
  }

  /**
   * A client as the README recommends: no offline queue, quick reconnects, and an 'error'
   * listener — the application owns the client, so the application listens (the library never does).
   */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      retryStrategy: () => 50,
      ...options,
    })
    client.on('error', () => {})
    this.#clients.push(client)
    return client
  }

  /** Suspends the server: connections stay open, nothing is answered (a hung Redis). */
  suspend(): void {
    this.#server.process.kill('SIGSTOP')
  }

  resume(): void {
    this.#server.process.kill('SIGCONT')
  }

  /** Kills the server with SIGKILL (a dead Redis: connections reset, no data kept). */
  async kill(): Promise<void> {
    const child = this.#server.process
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGCONT')
    child.kill('SIGKILL')
    await exited
  }

  /** Starts a fresh server on the same port; resolves when it accepts connections. */
  async restart(): Promise<void> {
    await this.kill()
    const old = this.#server
    this.#server = await startRedisServer(ARGS, old.port)
    await old.stop()
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.disconnect()
    await this.#server.stop()
  }
}

/** Resolves once the client is ready (again). */
export async function whenReady(client: Redis, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client not ready after ${timeoutMs} ms`)), timeoutMs)
    client.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
