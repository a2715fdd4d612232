/**
 * A request refused by shadow rules only is admitted, and the engine asks the store again about
 * the enforced rules (`engine.ts` #admitShadow, `shadow-admit.ts`): what that answer says, and
 * what happens when that second call fails.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  MemoryStore,
  type RateLimiter,
  type RateLimitStore,
  type StoreErrorEvent,
  type StoreResult,
  type StoreRule,
} from '../../src/index.js'
import { manualClock } from '../helpers.js'
import { SwitchableStore } from '../resilience/switchable-store.js'

const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

function limiterOn(store: RateLimitStore): RateLimiter {
  const limiter = createRateLimiter({ store, logger: false, circuitBreaker: { failureThreshold: 1 } })
  limiters.push(limiter)
  return limiter
}

/** A memory store whose calls for some rule lists fail (the shadow admission's second call). */
class FailingOnSecondCall implements RateLimitStore {
  readonly kind = 'second-call-fails'
  readonly inner = new MemoryStore({ clock: manualClock(), sweepIntervalMs: 0 })
  /** Rule lists of this length are refused with an error. */
  failWhenRules = 0
  consume(rules: readonly StoreRule[], cost: number): StoreResult {
    if (rules.length === this.failWhenRules) throw new Error('connection reset on the second call')
    return this.inner.consume(rules, cost)
  }
  peek(rules: readonly StoreRule[], cost: number): StoreResult {
    return this.inner.peek(rules, cost)
  }
  reset(keys: readonly string[]): void {
    this.inner.reset(keys)
  }
}

const shadow = { name: 'new-burst', limit: 1, window: '1m', shadow: true }
const enforced = { name: 'sustained', limit: 5, window: '1h' }

describe('a request refused by shadow rules only', () => {
  // Regression: the decision kept the enforced rules' numbers from the refused first call, which
  // counts usage without the request, so `remaining` was the cost too high.
  it("reports the enforced rules' remaining units after the cost it recorded under them", async () => {
    const limiter = limiterOn(new MemoryStore({ clock: manualClock(), sweepIntervalMs: 0 }))
    const pair = { ...shadow, limit: 2 }
    await limiter.consume('user:1', [pair, enforced], { cost: 1 })
    // The shadow rule refuses 1 + 2 > 2; the enforced one admits and is charged: 5 − 3 left.
    const admitted = await limiter.consume('user:1', [pair, enforced], { cost: 2 })
    expect(admitted).toMatchObject({ allowed: true, reason: 'shadow' })
    expect(admitted.rules.map((r) => [r.rule.name, r.allowed, r.remaining])).toEqual([
      ['new-burst', false, 1],
      ['sustained', true, 2],
    ])
    expect((await limiter.peek('user:1', enforced, { cost: 2 })).remaining).toBe(0)
  })

  it('reports a failure of the call that charges the enforced rules instead of swallowing it', async () => {
    const store = new FailingOnSecondCall()
    const limiter = limiterOn(store)
    const errors: StoreErrorEvent[] = []
    limiter.on('store-error', (event) => errors.push(event))
    const failures: Array<Error | undefined> = []
    limiter.on('decision', (event) => failures.push(event.error))
    await limiter.consume('user:1', [shadow, enforced])
    store.failWhenRules = 1 // the enforced rule alone: the shadow admission's second call
    const admitted = await limiter.consume('user:1', [shadow, enforced])
    // Admitted, as the shadow rule asked; the failure is an event, a decision's error and a breaker count.
    expect(admitted).toMatchObject({ allowed: true, reason: 'shadow' })
    expect(errors.map((e) => e.error.message)).toEqual(['connection reset on the second call'])
    expect(failures.at(-1)?.message).toBe('connection reset on the second call')
    expect(limiter.storeState).toBe('down')
  })
})

describe('the local failure policy', () => {
  it('reports a failing fallback store as a store error (policy open) and admits', async () => {
    const store = new SwitchableStore()
    store.health = 'fail'
    const fallbackStore = new SwitchableStore()
    fallbackStore.health = 'fail'
    const limiter = createRateLimiter({ store, fallbackStore, logger: false, circuitBreaker: false })
    limiters.push(limiter)
    const errors: StoreErrorEvent[] = []
    limiter.on('store-error', (event) => errors.push(event))
    const decision = await limiter.consume('user:1', enforced)
    expect(decision).toMatchObject({ allowed: true, policy: 'open', reason: 'store-unavailable' })
    // The main store's failure (answered by the 'local' policy), then the fallback's (answered 'open').
    expect(errors.map((e) => e.policy)).toEqual(['local', 'open'])
    expect(fallbackStore.calls).toBe(1)
  })
})
