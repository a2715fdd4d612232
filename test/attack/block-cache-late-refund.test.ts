/**
 * A hostile network and the blocked-caller cache: a `refund` (or `reset`) made in this process
 * times out — Redis was slow — and lands in the store later. A refusal learned in between must not
 * outlive it: the cache would refuse a caller the store admits, for up to the rule's wait
 * (`maxBlockMs`), although the promise is that this process's own refunds and resets clear it.
 */
import { describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiter } from '../../src/index.js'
import type { StoreResult, StoreRule } from '../../src/types.js'
import { AsyncMemoryStore } from '../engine/async-store.js'
import { manualClock } from '../helpers.js'

/** Refunds and resets that reach the store only when the test lets them (a slow Redis). */
class SlowWrites extends AsyncMemoryStore {
  readonly late: Array<() => void> = []

  override refund(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return new Promise((resolve) => this.late.push(() => resolve(this.inner.refund(rules, cost))))
  }

  override reset(keys: readonly string[]): Promise<void> {
    return new Promise((resolve) => this.late.push(() => resolve(this.inner.reset(keys))))
  }
}

const search = { name: 'Query.search', limit: 1, window: 60_000 }

function setup() {
  const clock = manualClock()
  const store = new SlowWrites(clock)
  const limiter: RateLimiter = createRateLimiter({
    store,
    blockCache: { clock },
    timeoutMs: 10,
    circuitBreaker: false,
    logger: false,
  })
  limiter.on('store-error', () => {})
  return { clock, store, limiter }
}

describe('a refund or reset that times out and lands in the store later', () => {
  for (const operation of ['refund', 'reset'] as const) {
    it(`(${operation}) leaves no cached refusal of a caller the store admits`, async () => {
      const { clock, store, limiter } = setup()
      expect((await limiter.consume('user:1', search)).allowed).toBe(true)
      clock.advance(1)
      expect((await limiter.consume('user:1', search)).reason).toBe('limited')
      clock.advance(1)
      await expect(limiter[operation]('user:1', search)).rejects.toThrow(/did not answer within 10 ms/)
      clock.advance(1)
      // Sent after the failed call gave up, refused before it lands: learned.
      expect((await limiter.consume('user:1', search)).reason).toBe('limited')
      store.late.shift()!() // the slow refund (reset) lands
      await new Promise((resolve) => setTimeout(resolve, 0))
      clock.advance(1)
      expect(await limiter.consume('user:1', search)).toMatchObject({ allowed: true })
    })
  }
})
