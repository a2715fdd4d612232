/**
 * Starts private `redis-server` processes for the tests and stops them afterwards. Never touches a
 * server it did not start (the one on 6379 included): each test uses its own key prefix instead.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Finds the redis-server binary or fails with a message that says how to install it. */
export function redisServerBinary(): string {
  const candidates = [
    process.env.REDIS_SERVER_BIN,
    'redis-server',
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ]
  for (const candidate of candidates) {
    if (!candidate) continue
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' })
      return candidate
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'The tests need a real Redis, but no `redis-server` binary was found. Install it (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`), set REDIS_SERVER_BIN, or set REDIS_URL to an existing server.',
  )
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

export interface RedisProcess {
  port: number
  url: string
  process: ChildProcess
  dir: string
  stop(): Promise<void>
}

/** Starts one redis-server on a free loopback port with nothing persisted; resolves when it accepts connections. */
export async function startRedisServer(extraArgs: string[] = [], port?: number): Promise<RedisProcess> {
  const binary = redisServerBinary()
  const chosen = port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'rrl-redis-'))
  const child = spawn(
    binary,
    [
      '--port',
      String(chosen),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start on port ${chosen}:\n${output}`)),
      10_000,
    )
    const check = setInterval(() => {
      if (/Ready to accept connections/i.test(output)) {
        clearInterval(check)
        clearTimeout(timer)
        resolve()
      }
    }, 20)
    child.once('exit', (code) => {
      clearInterval(check)
      clearTimeout(timer)
      reject(new Error(`redis-server exited with code ${code}:\n${output}`))
    })
  })
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: child,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT')
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
