/**
 * The failure policies with a token bucket and a calendar quota: under `'local'` the in-process
 * store starts from the usage the store last reported (so an outage cannot hand out a second
 * quota), and `'open'` / `'closed'` answer as for any rule.
 */
import { describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimitRule } from '../../src/index.js'
import { SwitchableStore } from './switchable-store.js'

const monthly: RateLimitRule = { name: 'monthly', limit: 10, period: 'month', timeZone: 'America/New_York' }
const bucket: RateLimitRule = { name: 'bucket', limit: 1, window: '1h', algorithm: 'token-bucket', burst: 10 }

function build(onStoreError: 'local' | 'open' | 'closed') {
  const store = new SwitchableStore()
  const limiter = createRateLimiter({
    store,
    logger: false,
    onStoreError,
    timeoutMs: 50,
    circuitBreaker: { failureThreshold: 1000, probeIntervalMs: 20 },
  })
  return { store, limiter }
}

describe('failure policies with a token bucket and a calendar quota', () => {
  it.each([
    ['calendar quota', monthly],
    ['token bucket', bucket],
  ])("'local' continues the %s from the usage the store last reported", async (_, rule) => {
    const { store, limiter } = build('local')
    for (let i = 0; i < 6; i++) expect((await limiter.consume('user:1', rule)).allowed).toBe(true)
    store.health = 'fail'
    const during = []
    for (let i = 0; i < 6; i++) during.push(await limiter.consume('user:1', rule))
    expect(during.map((d) => d.allowed)).toEqual([true, true, true, true, false, false])
    expect(during.every((d) => d.policy === 'local')).toBe(true)
    expect(during[4]!.retryAfterMs).toBeGreaterThan(60_000)
    await limiter.close()
  })

  it("'open' admits and 'closed' refuses a quota while the store fails, with the whole limit shown", async () => {
    const open = build('open')
    open.store.health = 'fail'
    expect(await open.limiter.consume('user:1', monthly)).toMatchObject({
      allowed: true,
      policy: 'open',
      remaining: 10,
    })
    const closed = build('closed')
    closed.store.health = 'fail'
    expect(await closed.limiter.consume('user:1', bucket)).toMatchObject({ allowed: false, policy: 'closed' })
    await open.limiter.close()
    await closed.limiter.close()
  })
})
