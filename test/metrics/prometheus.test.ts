import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, RateLimitConfigError, type RateLimiter } from '../../src/index.js'
import { prometheusMetrics } from '../../src/metrics/index.js'
import { manualClock } from '../helpers.js'
import { SwitchableStore, waitUntil } from '../resilience/switchable-store.js'

/** Reads one sample of the scraped text, e.g. `sample(text, 'x_total{rule="a",outcome="allowed"}')`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const P = 'resolver_rate_limit_'
const opened: RateLimiter[] = []

function limiterOn(
  store: MemoryStore | SwitchableStore,
  extra: Parameters<typeof createRateLimiter>[0] = {},
): RateLimiter {
  const limiter = createRateLimiter({ store, logger: false, ...extra })
  opened.push(limiter)
  return limiter
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()))
})

describe('prometheusMetrics', () => {
  it('counts decisions by binding rule and outcome after a known sequence of calls', async () => {
    const clock = manualClock()
    const limiter = limiterOn(new MemoryStore({ clock, sweepIntervalMs: 0 }))
    const registry = new Registry()
    prometheusMetrics({ limiter, registry })
    const search = { name: 'Query.search', limit: 2, window: '1m' }
    const login = { name: 'Mutation.login', limit: 1, window: '1m' }
    const watch = { name: 'Query.feed', limit: 1, window: '1m', shadow: true }
    for (let i = 0; i < 5; i++) await limiter.consume('user:1', search) // 2 allowed, 3 limited
    await limiter.consume('user:1', login) // allowed
    await limiter.consume('user:2', login, { cost: 3 }) // limited: cost above the limit
    await limiter.consume('user:1', watch)
    await limiter.consume('user:1', watch) // shadow: would have refused
    await limiter.peek('user:1', search) // a peek is not a decision to count

    const text = await registry.metrics()
    expect(sample(text, `${P}decisions_total{rule="Query.search",outcome="allowed"}`)).toBe(2)
    expect(sample(text, `${P}decisions_total{rule="Query.search",outcome="limited"}`)).toBe(3)
    expect(sample(text, `${P}decisions_total{rule="Query.search",outcome="degraded"}`)).toBe(0)
    expect(sample(text, `${P}decisions_total{rule="Mutation.login",outcome="allowed"}`)).toBe(1)
    expect(sample(text, `${P}decisions_total{rule="Mutation.login",outcome="limited"}`)).toBe(1)
    expect(sample(text, `${P}decisions_total{rule="Query.feed",outcome="allowed"}`)).toBe(1)
    expect(sample(text, `${P}decisions_total{rule="Query.feed",outcome="shadow"}`)).toBe(1)
    // The memory store answers synchronously: nothing to time, the histogram stays empty.
    expect(sample(text, `${P}store_duration_seconds_count`)).toBe(0)
    expect(sample(text, `${P}memory_store_keys`)).toBe(3) // user:1 × search, login, feed
    expect(sample(text, `${P}circuit_open`)).toBe(0)
    expect(sample(text, `${P}store_outages_total`)).toBe(0)
    expect(sample(text, `${P}store_errors_total{code="STORE_TIMEOUT"}`)).toBe(0) // present before any error
    expect(text).not.toMatch(/user:[12]/)
  })

  it('counts degraded decisions, store errors by code, timeouts in the latency histogram and the open breaker', async () => {
    const store = new SwitchableStore()
    const limiter = limiterOn(store, {
      timeoutMs: 20,
      circuitBreaker: { failureThreshold: 3, probeIntervalMs: 10 },
    })
    const registry = new Registry()
    prometheusMetrics({ limiter, registry, prefix: 'rl_' })
    const rule = { name: 'Query.search', limit: 5, window: '1m' }
    await limiter.consume('user:1', rule) // allowed
    store.health = 'hang'
    await limiter.consume('user:1', rule) // degraded: timed out after 20 ms
    store.health = 'fail'
    await limiter.consume('user:1', rule) // degraded: failed; the third failure opens the breaker
    await limiter.consume('user:1', rule)
    for (let i = 0; i < 4; i++) await limiter.consume('user:1', rule) // degraded: breaker open, store not asked

    let text = await registry.metrics()
    expect(sample(text, 'rl_decisions_total{rule="Query.search",outcome="allowed"}')).toBe(1)
    expect(sample(text, 'rl_decisions_total{rule="Query.search",outcome="degraded"}')).toBe(7)
    expect(sample(text, 'rl_store_errors_total{code="STORE_TIMEOUT"}')).toBe(1)
    expect(sample(text, 'rl_store_errors_total{code="other"}')).toBe(2)
    expect(sample(text, 'rl_store_duration_seconds_count')).toBe(4)
    // The timed-out call waited at least its 20 ms deadline: above the 10 ms bucket.
    expect(sample(text, 'rl_store_duration_seconds_bucket{le="0.01"}')).toBeLessThanOrEqual(3)
    expect(sample(text, 'rl_store_duration_seconds_sum')).toBeGreaterThanOrEqual(0.019)
    expect(sample(text, 'rl_circuit_open')).toBe(1)
    expect(sample(text, 'rl_store_outages_total')).toBe(1)
    expect(sample(text, 'rl_memory_store_keys')).toBeUndefined() // not a memory store

    store.health = 'up'
    await waitUntil(() => limiter.storeState === 'up')
    text = await registry.metrics()
    expect(sample(text, 'rl_circuit_open')).toBe(0)
    expect(sample(text, 'rl_store_outages_total')).toBe(1)
  })

  it('folds rule names past maxRuleLabels into one "other" series', async () => {
    const limiter = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    const registry = new Registry()
    prometheusMetrics({ limiter, registry, maxRuleLabels: 2 })
    for (const name of ['a', 'b', 'c', 'd', 'e', 'a'])
      await limiter.consume('user:1', { name, limit: 10, window: '1m' })
    const text = await registry.metrics()
    const rules = [...text.matchAll(/decisions_total\{rule="([^"]+)",outcome="allowed"\} (\d+)/g)].map(
      (m) => [m[1], Number(m[2])],
    )
    expect(rules).toEqual([
      ['a', 2],
      ['b', 1],
      ['other', 3],
    ])
  })

  it('stops counting and unregisters its metrics on stop()', async () => {
    const limiter = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    const registry = new Registry()
    const metrics = prometheusMetrics({ limiter, registry })
    await limiter.consume('user:1', { limit: 1, window: '1s' })
    metrics.stop()
    await limiter.consume('user:1', { limit: 1, window: '1s' })
    expect(await registry.metrics()).not.toContain(P)
    expect(metrics.recorder.decisions.get('default')?.[0]).toBe(1)
  })

  it('refuses a second binding under the same names with a clear error and keeps the first one working', async () => {
    const registry = new Registry()
    const first = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    prometheusMetrics({ limiter: first, registry })
    const second = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    expect(() => prometheusMetrics({ limiter: second, registry })).toThrow(/another `prefix` or `registry`/)
    prometheusMetrics({ limiter: second, registry, prefix: 'second_' })
    await first.consume('user:1', { limit: 1, window: '1s' })
    const text = await registry.metrics()
    expect(sample(text, `${P}decisions_total{rule="default",outcome="allowed"}`)).toBe(1)
    expect(sample(text, 'second_decisions_total{rule="default",outcome="allowed"}')).toBeUndefined()
  })

  it.each([
    [{ prefix: 'bad prefix' }, /`prefix`/],
    [{ maxRuleLabels: 0 }, /`maxRuleLabels`/],
    [{ buckets: [0.1, 0.01] }, /`buckets`/],
  ])('rejects bad options at once, naming the option (%o)', (extra, message) => {
    const limiter = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    expect(() => prometheusMetrics({ limiter, registry: new Registry(), ...extra })).toThrow(
      RateLimitConfigError,
    )
    expect(() => prometheusMetrics({ limiter, registry: new Registry(), ...extra })).toThrow(message)
  })
})
