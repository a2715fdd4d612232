import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, type Logger, type RateLimiter } from '../../src/index.js'
import { prometheusMetrics } from '../../src/metrics/index.js'
import { SwitchableStore, waitUntil } from '../resilience/switchable-store.js'

/**
 * Behaves like pino where it matters: methods read `this` (an unbound call would throw), accept a
 * message string or a merging object then a message, and write one JSON line per call.
 */
class PinoLike implements Logger {
  readonly lines: Array<{ level: number; msg: string }> = []
  readonly #levels = { info: 30, warn: 40, error: 50 }
  info(first: unknown, ...rest: unknown[]): void {
    this.#write(this.#levels.info, first, rest)
  }
  warn(first: unknown, ...rest: unknown[]): void {
    this.#write(this.#levels.warn, first, rest)
  }
  error(first: unknown, ...rest: unknown[]): void {
    this.#write(this.#levels.error, first, rest)
  }
  #write(level: number, first: unknown, rest: unknown[]): void {
    const msg = typeof first === 'string' ? first : String(rest[0] ?? '')
    this.lines.push(JSON.parse(JSON.stringify({ level, msg })))
  }
}

let limiter: RateLimiter | undefined

afterEach(async () => {
  await limiter?.close()
})

describe('logging on a store outage', () => {
  it('writes exactly one line when the store goes down and one when it recovers, however many requests arrive', async () => {
    const store = new SwitchableStore()
    const logger = new PinoLike()
    limiter = createRateLimiter({
      store,
      logger,
      circuitBreaker: { failureThreshold: 3, probeIntervalMs: 10 },
    })
    const registry = new Registry()
    prometheusMetrics({ limiter, registry })
    const rule = { name: 'Query.search', limit: 1000, window: '1m' }
    await limiter.consume('user:1', rule)

    store.health = 'fail'
    const during = await Promise.all(
      Array.from({ length: 200 }, (_, i) => limiter!.consume(`user:${i}`, rule)),
    )
    expect(during.every((d) => d.policy === 'local')).toBe(true)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]!.level).toBe(40)
    expect(logger.lines[0]!.msg).toMatch(/switchable store is down after 3 failed calls/)

    store.health = 'up'
    await waitUntil(() => limiter!.storeState === 'up')
    for (let i = 0; i < 50; i++) await limiter.consume('user:1', rule)
    expect(logger.lines).toHaveLength(2)
    expect(logger.lines[1]!.msg).toMatch(/switchable store recovered after \d+ ms/)
    expect(logger.lines.every((line) => !/user:/.test(line.msg))).toBe(true)
    const text = await registry.metrics()
    expect(text).toContain('resolver_rate_limit_store_outages_total 1')
    expect(text).toContain('resolver_rate_limit_decisions_total{rule="Query.search",outcome="degraded"} 200')
  })

  it('logs each new outage again after a recovery (one line per state change, not one per outage ever)', async () => {
    const store = new SwitchableStore()
    const logger = new PinoLike()
    limiter = createRateLimiter({
      store,
      logger,
      circuitBreaker: { failureThreshold: 2, probeIntervalMs: 10 },
    })
    const rule = { name: 'Query.search', limit: 1000, window: '1m' }
    for (let outage = 0; outage < 2; outage++) {
      store.health = 'fail'
      for (let i = 0; i < 20; i++) await limiter.consume('user:1', rule)
      store.health = 'up'
      await waitUntil(() => limiter!.storeState === 'up')
    }
    expect(logger.lines.map((line) => (/down/.test(line.msg) ? 'down' : 'up'))).toEqual([
      'down',
      'up',
      'down',
      'up',
    ])
  })
})
