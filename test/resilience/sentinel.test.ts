/**
 * Redis Sentinel: a primary, a replica and one sentinel started here. The primary is killed; the
 * sentinel promotes the replica; the ioredis client follows it and the limiter returns to Redis by
 * itself, answering by policy in between and never waiting past the deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { freePort, type RedisProcess, redisServerBinary, startRedisServer } from '../setup/redis-server.js'
import { PrivateRedis, whenReady } from './private-redis.js'
import { recordingLogger, sleep, waitUntil, watchUnhandledRejections } from './switchable-store.js'

let primary: PrivateRedis
let replica: RedisProcess
let sentinel: { port: number; child: ChildProcess; dir: string }
let watcher: ReturnType<typeof watchUnhandledRejections>

async function startSentinel(primaryPort: number): Promise<typeof sentinel> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'rrl-sentinel-'))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${primaryPort} 1`,
      'sentinel down-after-milliseconds mymaster 500',
      'sentinel failover-timeout mymaster 5000',
      '',
    ].join('\n'),
  )
  const child = spawn(redisServerBinary(), [conf, '--sentinel'], { stdio: 'ignore' })
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  await waitUntil(
    async () => {
      try {
        await probe.connect()
        return true
      } catch {
        return false
      }
    },
    10_000,
    50,
  )
  probe.disconnect()
  return { port, child, dir }
}

beforeAll(async () => {
  watcher = watchUnhandledRejections()
  primary = await PrivateRedis.start()
  replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)])
  sentinel = await startSentinel(primary.port)
})

afterAll(async () => {
  await primary?.stop()
  await replica?.stop()
  if (sentinel) {
    sentinel.child.kill('SIGKILL')
    rmSync(sentinel.dir, { recursive: true, force: true })
  }
  watcher?.stop()
  expect(watcher.seen).toEqual([])
})

describe('Redis Sentinel', () => {
  it('follows the promoted replica after the primary is killed, answering by policy in between', async () => {
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: 'mymaster',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 50,
    })
    client.on('error', () => {})
    await whenReady(client)
    const logger = recordingLogger()
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('sentinel'),
      timeoutMs: 100,
      circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
      onStoreError: 'closed',
      logger,
    })
    const rule = { name: 'Mutation.login', limit: 3, window: '1m' }
    expect((await limiter.consume('user:1', rule)).reason).toBeUndefined()
    // WAIT on the client's own connection: the replica has the recorded usage before the kill.
    expect(await client.call('WAIT', '1', '5000')).toBe(1)

    const killedAt = performance.now()
    await primary.kill()
    let slowest = 0
    const degraded: string[] = []
    let decision = await limiter.consume('user:1', rule)
    while (decision.reason !== undefined) {
      expect(decision).toMatchObject({ allowed: false, policy: 'closed' })
      degraded.push(decision.reason)
      expect(performance.now() - killedAt).toBeLessThan(10_000)
      await sleep(10)
      const started = performance.now()
      decision = await limiter.consume('user:1', rule)
      slowest = Math.max(slowest, performance.now() - started)
    }
    const backAfter = performance.now() - killedAt
    console.info(
      `[figures] sentinel: primary killed, decisions from the promoted replica after ${backAfter.toFixed(0)} ms; slowest call ${slowest.toFixed(0)} ms`,
    )
    expect(degraded.length).toBeGreaterThan(0)
    expect(slowest).toBeLessThan(200)
    // The usage recorded before the failover is on the new primary.
    expect(decision).toMatchObject({ allowed: true, remaining: 1 })
    expect(logger.lines.length).toBeLessThanOrEqual(2)
    await limiter.close()
    client.disconnect()
  })
})
