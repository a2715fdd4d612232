/**
 * `limiter.usage` outside the store contract: its failures (a direct store call, no failure
 * policy), its validation, and that it is no decision.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, type RateLimiter, StoreError } from '../../src/index.js'
import { SwitchableStore } from '../resilience/switchable-store.js'

const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

const rule = { name: 'Query.search', limit: 5, window: '1m' }

function build(store = new SwitchableStore()) {
  const limiter = createRateLimiter({
    store,
    logger: false,
    timeoutMs: 50,
    circuitBreaker: { failureThreshold: 2 },
  })
  limiters.push(limiter)
  return { store, limiter }
}

describe('limiter.usage', () => {
  it('rejects with a StoreError when the store fails or times out, and at once while the breaker is open', async () => {
    const { store, limiter } = build()
    await limiter.consume('user:1', rule)
    store.health = 'fail'
    await expect(limiter.usage('user:1', rule)).rejects.toMatchObject({
      name: 'StoreError',
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/switchable store failed to read usage: ECONNREFUSED/),
    })
    store.health = 'hang'
    await expect(limiter.usage('user:1', rule)).rejects.toMatchObject({ code: 'STORE_TIMEOUT' })
    expect(limiter.storeState).toBe('down')
    const calls = store.calls
    await expect(limiter.usage('user:1', rule)).rejects.toThrow(/circuit open\): cannot read usage/)
    expect(store.calls).toBe(calls)
  })

  it('is no decision: no event, and a store failure is not answered by the failure policy', async () => {
    const { store, limiter } = build()
    const decisions: unknown[] = []
    limiter.on('decision', (event) => decisions.push(event))
    expect(await limiter.usage('user:1', rule)).toMatchObject({ used: 0, remaining: 5 })
    store.health = 'fail'
    await expect(limiter.usage('user:1', rule)).rejects.toBeInstanceOf(StoreError)
    expect(decisions).toEqual([])
  })

  it('rejects a bad identity or rule like consume does', async () => {
    const { limiter } = build()
    await expect(limiter.usage('', rule)).rejects.toMatchObject({ code: 'INVALID_IDENTITY' })
    await expect(limiter.usage('user:1', { ...rule, limit: 0 })).rejects.toMatchObject({
      code: 'INVALID_RULE',
    })
  })

  it('reads a cost-above-limit peek from the store, whatever the largest limit', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 })
    const limiter = createRateLimiter({ store, logger: false })
    limiters.push(limiter)
    const huge = { name: 'huge', limit: 1_000_000_000, window: '1h', algorithm: 'sliding-window' as const }
    await limiter.consume('user:1', huge, { cost: 999_999_999 })
    expect(await limiter.usage('user:1', [rule, huge])).toMatchObject({
      rule: { name: 'huge' },
      used: 999_999_999,
      remaining: 1,
    })
  })

  it('tells when a calendar quota renews, used or not, and leaves it out for window rules', async () => {
    const { limiter } = build()
    const day = { name: 'daily', limit: 100, period: 'day' as const }
    const before = Date.now()
    const unused = await limiter.usage('user:q', [day, rule])
    const midnight = (t: number) =>
      Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), new Date(t).getUTCDate() + 1)
    expect(unused.rules[0]).toMatchObject({ used: 0, resetMs: 0 })
    expect([midnight(before), midnight(Date.now())]).toContain(unused.rules[0]!.periodEndsAt)
    expect(unused.rules[1]!.periodEndsAt).toBeUndefined()
    await limiter.consume('user:q', day)
    const used = await limiter.usage('user:q', day)
    expect(used.rules[0]).toMatchObject({ used: 1, periodEndsAt: unused.rules[0]!.periodEndsAt })
  })
})
