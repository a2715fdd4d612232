/**
 * `limiter.refund` as the engine sees it: validation, stores without refund, and failures (the
 * store semantics are in the shared store contract, `src/testing/refund-contract.ts`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  MemoryStore,
  RateLimitConfigError,
  type RateLimiter,
  StoreError,
} from '../../src/index.js'
import type { RateLimitStore, StoreResult, StoreRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'

const rule = { name: 'budget', limit: 10, window: '1m' }

/** A memory store whose refund the test breaks by hand; counts the calls that reach it. */
class RefundStore implements RateLimitStore {
  readonly kind = 'test'
  readonly inner = new MemoryStore({ sweepIntervalMs: 0, clock: manualClock() })
  mode: 'up' | 'fail' | 'throw' | 'hang' = 'up'
  refunds = 0
  consume = (rules: readonly StoreRule[], cost: number) => this.inner.consume(rules, cost)
  peek = (rules: readonly StoreRule[], cost: number) => this.inner.peek(rules, cost)
  reset = (keys: readonly string[]) => this.inner.reset(keys)

  refund(rules: readonly StoreRule[], cost: number): StoreResult | Promise<StoreResult> {
    this.refunds++
    if (this.mode === 'throw') throw new Error('refund exploded')
    if (this.mode === 'fail') return Promise.reject(new Error('ECONNRESET'))
    if (this.mode === 'hang') return new Promise(() => {})
    return Promise.resolve(this.inner.refund(rules, cost))
  }
}

const limiters: RateLimiter[] = []
function build(store: RateLimitStore, failureThreshold = 3): RateLimiter {
  const limiter = createRateLimiter({
    store,
    timeoutMs: 30,
    logger: false,
    circuitBreaker: { failureThreshold, probeIntervalMs: 10_000 },
  })
  limiters.push(limiter)
  return limiter
}

afterEach(async () => {
  for (const limiter of limiters.splice(0)) await limiter.close()
})

describe('limiter.refund', () => {
  it('validates like consume: identity, rules and cost are checked and the promise rejects', async () => {
    const limiter = build(new RefundStore())
    for (const cost of [0, -1, 1.5, Number.NaN, '2', 2e9]) {
      await expect(limiter.refund('user:1', rule, { cost: cost as number })).rejects.toMatchObject({
        code: 'INVALID_COST',
      })
    }
    await expect(limiter.refund('', rule, { cost: 1 })).rejects.toMatchObject({ code: 'INVALID_IDENTITY' })
    await expect(limiter.refund('user:1', { limit: 0, window: '1m' })).rejects.toMatchObject({
      code: 'INVALID_RULE',
    })
  })

  it('gives back one unit when no cost is given, as consume charges one', async () => {
    const limiter = build(new RefundStore())
    await limiter.consume('user:1', rule, { cost: 3 })
    expect(await limiter.refund('user:1', rule)).toMatchObject({ remaining: 8, cost: 1 })
  })

  it('gives back more than a rule’s limit without complaint: usage just reaches zero', async () => {
    const limiter = build(new RefundStore())
    await limiter.consume('user:1', rule, { cost: 10 })
    expect(await limiter.refund('user:1', rule, { cost: 1000 })).toMatchObject({
      allowed: true,
      remaining: 10,
    })
  })

  it('rejects with INVALID_OPTION, naming the store, when the store has no refund', async () => {
    const inner = new MemoryStore({ sweepIntervalMs: 0 })
    const store: RateLimitStore = {
      kind: 'custom',
      consume: (rules, cost) => inner.consume(rules, cost),
      peek: (rules, cost) => inner.peek(rules, cost),
      reset: (keys) => inner.reset(keys),
    }
    const limiter = build(store)
    const error = await limiter.refund('user:1', rule, { cost: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitConfigError)
    expect(error).toMatchObject({ code: 'INVALID_OPTION' })
    expect((error as Error).message).toMatch(/`store` option \(kind "custom"\) has no refund\(rules, cost\)/)
  })

  it('rejects with a StoreError when the store fails or throws, leaving the usage as it was', async () => {
    const store = new RefundStore()
    const limiter = build(store)
    await limiter.consume('user:1', rule, { cost: 4 })
    store.mode = 'fail'
    const failed = await limiter.refund('user:1', rule, { cost: 4 }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(StoreError)
    expect(failed).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/ECONNRESET/) })
    store.mode = 'throw'
    await expect(limiter.refund('user:1', rule, { cost: 4 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/refund exploded/),
    })
    expect(await limiter.peek('user:1', rule)).toMatchObject({ remaining: 5 })
  })

  it('rejects with STORE_TIMEOUT once the deadline passes on a store that does not answer', async () => {
    const store = new RefundStore()
    const limiter = build(store)
    store.mode = 'hang'
    const started = performance.now()
    await expect(limiter.refund('user:1', rule, { cost: 1 })).rejects.toMatchObject({ code: 'STORE_TIMEOUT' })
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('counts refund failures towards the circuit breaker and, once it is open, rejects without asking the store', async () => {
    const store = new RefundStore()
    const limiter = build(store, 2)
    store.mode = 'fail'
    await limiter.refund('user:1', rule).catch(() => undefined)
    await limiter.refund('user:1', rule).catch(() => undefined)
    expect(limiter.storeState).toBe('down')
    const asked = store.refunds
    await expect(limiter.refund('user:1', rule)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/circuit open/),
    })
    expect(store.refunds).toBe(asked)
  })

  it('emits no decision event: a refund is not a request to count', async () => {
    const limiter = build(new RefundStore())
    const operations: string[] = []
    limiter.on('decision', (event) => operations.push(event.operation))
    await limiter.consume('user:1', rule, { cost: 2 })
    await limiter.refund('user:1', rule, { cost: 2 })
    expect(operations).toEqual(['consume'])
  })
})
