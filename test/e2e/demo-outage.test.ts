/**
 * The demo server when Redis is missing or dies: it says so at start-up, keeps serving through an
 * outage (the local fallback for most limits, refusals for the fail-closed checkout) and still
 * shuts down cleanly. Uses a redis-server of its own, never the shared test server.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { uniquePrefix } from '../helpers.js'
import { freePort, type RedisProcess, startRedisServer } from '../setup/redis-server.js'
import { type Child, runTs } from './child.js'

describe('the demo server without Redis', () => {
  it('exits 1 at start-up, naming the Redis it cannot reach', async () => {
    const port = await freePort()
    const demo = runTs('examples/demo-server.ts', { PORT: '0', REDIS_URL: `redis://127.0.0.1:${port}` })
    const { code } = await demo.exited
    expect(code).toBe(1)
    expect(demo.output()).toContain(`Cannot reach Redis at redis://127.0.0.1:${port}`)
  })
})

describe('the demo server when Redis dies', () => {
  let redis: RedisProcess | undefined
  let demo: Child | undefined

  afterAll(async () => {
    await demo?.stop('SIGKILL')
    await redis?.stop()
  })

  it('serves on: local limits for reads, refusals for the fail-closed checkout; then exits 0 on SIGTERM', async () => {
    redis = await startRedisServer()
    demo = runTs('examples/demo-server.ts', {
      PORT: '0',
      REDIS_URL: redis.url,
      RATE_LIMIT_PREFIX: uniquePrefix('demo-outage'),
    })
    const [, port] = await demo.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000)
    const base = `http://127.0.0.1:${port}`
    const checkout = () =>
      fetch(`${base}/trpc/order.checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bookIds: ['1'] }),
      })
    const list = () => fetch(`${base}/trpc/book.list`)
    expect((await checkout()).status).toBe(200)
    expect((await list()).status).toBe(200)

    await redis.stop()

    const refused = await checkout()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    // The local fallback applies the same rule (10 per minute), starting from the usage Redis last
    // reported for this caller: the 1 list above, so 9 more.
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await list()).status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(9)
    expect(statuses.at(-1)).toBe(429)
    await demo.waitFor(
      /\[limited\] ip:\S+ order\.checkout \(2 per 10s\): retry after 1 s \[(store-unavailable|circuit-open), policy closed\]/,
    )
    await demo.waitFor(/redis store is down after \d+ failed calls/)

    const { code, signal } = await demo.stop('SIGTERM')
    expect({ code, signal }, demo.output()).toEqual({ code: 0, signal: null })
  })
})
