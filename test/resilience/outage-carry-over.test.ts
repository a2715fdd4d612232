/**
 * The `'local'` failure policy across an outage, on a store switched by hand: the local limiter
 * starts from the store's last known usage (seeds), and what it admitted stays in force for a
 * window after the store is back (carry-over). Together: one key never gets more than `limit` in a
 * window from one app server, whatever the store does. Against a real Redis: outage-admission.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LocalFallback, MAX_SEEDS } from '../../src/engine/local-fallback.js'
import { RuleSubset } from '../../src/engine/rule-subset.js'
import type { RateLimiterOptions } from '../../src/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimitRule } from '../../src/index.js'
import type { StoreCall, StoreResult, StoreRule } from '../../src/types.js'
import { closeAfterEach } from '../helpers.js'
import { SwitchableStore, sleep } from './switchable-store.js'

const rule: RateLimitRule = { name: 'Query.search', limit: 5, window: '1h' }
const opened = closeAfterEach()

function build(options: RateLimiterOptions = {}) {
  const store = new SwitchableStore()
  const limiter = createRateLimiter({
    store,
    logger: false,
    timeoutMs: 50,
    circuitBreaker: false,
    ...options,
  })
  opened.push(limiter)
  return { store, limiter }
}

async function admitted(limiter: RateLimiter, identity: string, times: number, r = rule): Promise<number> {
  let count = 0
  for (let i = 0; i < times; i++) if ((await limiter.consume(identity, r)).allowed) count++
  return count
}

describe('seeds: the local limiter starts from the store’s last known usage', () => {
  it('admits only what the store had left for the key when the outage began', async () => {
    const { store, limiter } = build()
    expect(await admitted(limiter, 'user:1', 3)).toBe(3)
    store.health = 'fail'
    const during = await limiter.consume('user:1', rule)
    expect(during).toMatchObject({
      allowed: true,
      remaining: 1,
      reason: 'store-unavailable',
      policy: 'local',
    })
    expect(await admitted(limiter, 'user:1', 5)).toBe(1)
    // A caller the store had not seen starts from nothing.
    expect(await admitted(limiter, 'user:2', 9)).toBe(5)
  })

  it('refuses with the wait until the store’s usage would have left the window, not a whole window', async () => {
    const { store, limiter } = build()
    const short = { name: 'short', limit: 2, window: 400 }
    expect(await admitted(limiter, 'user:1', 2, short)).toBe(2)
    await sleep(150)
    store.health = 'fail'
    const refused = await limiter.consume('user:1', short)
    expect(refused).toMatchObject({ allowed: false, reason: 'store-unavailable', policy: 'local' })
    expect(refused.retryAfterMs).toBeLessThanOrEqual(260)
    await sleep(refused.retryAfterMs + 5)
    expect((await limiter.consume('user:1', short)).allowed).toBe(true)
  })

  it('takes usage only from consumes: a peek reports its own cost, which was not recorded', async () => {
    const { store, limiter } = build()
    await limiter.consume('user:1', rule)
    await limiter.peek('user:1', rule, { cost: 3 })
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 9)).toBe(4)
  })

  it('forgets a key’s seed on reset, so a reset is not undone by the next outage', async () => {
    const { store, limiter } = build()
    expect(await admitted(limiter, 'user:1', 5)).toBe(5)
    await limiter.reset('user:1', rule)
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 9)).toBe(5)
  })

  it(`remembers the ${MAX_SEEDS} most recently answered keys, no more`, () => {
    const local = new MemoryStore({ sweepIntervalMs: 0 })
    const fallback = new LocalFallback(local, () => local, 50)
    const key = (i: number): StoreRule[] => [
      { key: `k${i}`, algorithm: 'sliding-log', limit: 2, windowMs: 60_000 },
    ]
    const full = { allowed: true, rules: [{ used: 2, retryAfterMs: 0, resetMs: 60_000 }] }
    for (let i = 0; i <= MAX_SEEDS; i++)
      fallback.remember(key(i), full, RuleSubset.ALL, performance.timeOrigin + performance.now())
    expect((fallback.answer('consume', key(0), 1) as { allowed: boolean }).allowed).toBe(true) // forgotten
    expect((fallback.answer('consume', key(1), 1) as { allowed: boolean }).allowed).toBe(false) // seeded: full
    local.close()
  })
})

describe('carry-over: what the local limiter admitted stays in force after the store is back', () => {
  it('refuses a key that spent its budget during the outage without asking the store, with reason outage-usage', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 9)).toBe(5)
    store.health = 'up'
    const calls = store.calls
    const after = await limiter.consume('user:1', rule)
    expect(after).toMatchObject({ allowed: false, reason: 'outage-usage', policy: 'local', remaining: 0 })
    expect(after.retryAfterMs).toBeGreaterThan(3_500_000) // the local entries leave the 1 h window
    expect(store.calls).toBe(calls)
    // Others are answered by the store alone.
    expect(await limiter.consume('user:2', rule)).toMatchObject({ allowed: true, remaining: 4 })
    expect((await limiter.consume('user:2', rule)).reason).toBeUndefined()
  })

  it('leaves the keys it holds nothing for to the store alone, recording nothing locally', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    await limiter.consume('user:1', rule) // the carry-over starts
    store.health = 'up'
    expect(await admitted(limiter, 'user:2', 5)).toBe(5)
    await store.inner.reset(limiter.keys('user:2', rule)) // the store forgets: only a local count would remain
    expect(await admitted(limiter, 'user:2', 9)).toBe(5)
  })

  it('admits a partly used key only as far as both stores allow, recording in both', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 2)).toBe(2)
    store.health = 'up'
    const both = await limiter.consume('user:1', rule)
    // The store saw 1 request, the local limiter 3: the more restrictive count is reported.
    expect(both).toMatchObject({ allowed: true, remaining: 2 })
    expect(both.reason).toBeUndefined()
    expect(await admitted(limiter, 'user:1', 9)).toBe(2)
    // The store recorded the 3 admitted since it is back (a peek reports usage with its own cost).
    expect((await store.inner.peek(limiter.keys('user:1', rule).map(asStoreRule), 1)).rules[0]!.used).toBe(
      3 + 1,
    )
  })

  it('gives a unit back to the local limiter when the store refuses what it admitted', async () => {
    const { store, limiter } = build()
    const peer = createRateLimiter({ store, logger: false })
    opened.push(peer)
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 1)).toBe(1)
    store.health = 'up'
    expect(await admitted(peer, 'user:1', 5)).toBe(5) // another app server spends the store's budget
    const refused = await limiter.consume('user:1', rule)
    expect(refused).toMatchObject({ allowed: false, reason: 'limited' })
    expect(refused.policy).toBeUndefined()
    // Empty the store alone: what is left is the local count, 1 (the refused request given back).
    await store.inner.reset(limiter.keys('user:1', rule))
    expect(await admitted(limiter, 'user:1', 9)).toBe(4)
  })

  it('peeks through both stores without recording anything', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 4)).toBe(4)
    store.health = 'up'
    for (let i = 0; i < 3; i++)
      expect(await limiter.peek('user:1', rule)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await admitted(limiter, 'user:1', 3)).toBe(1)
  })

  it('gives nothing back for a peek the store failed to answer (a peek recorded nothing)', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 2)).toBe(2)
    for (let i = 0; i < 3; i++) expect((await limiter.peek('user:1', rule)).reason).toBe('store-unavailable')
    expect(await admitted(limiter, 'user:1', 9)).toBe(3)
  })

  it('carries only the rules on the local policy', async () => {
    const { store, limiter } = build()
    const open: RateLimitRule = { name: 'open', limit: 2, window: '1h', onStoreError: 'open' }
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 9, open)).toBe(9)
    store.health = 'up'
    expect(await admitted(limiter, 'user:1', 9, open)).toBe(2) // the store alone: it never saw the outage
  })

  it('ends one window after the last admission of the outage', async () => {
    const { store, limiter } = build()
    const short = { name: 'short', limit: 2, window: 300 }
    store.health = 'fail'
    expect(await admitted(limiter, 'user:1', 3, short)).toBe(2)
    store.health = 'up'
    expect((await limiter.consume('user:1', short)).reason).toBe('outage-usage')
    await sleep(320)
    const calls = store.calls
    expect(await limiter.consume('user:1', short)).toMatchObject({ allowed: true })
    expect(store.calls).toBe(calls + 1)
  })

  it('keeps batching the checks of keys out of the outage’s reach; a key it holds is checked alone', async () => {
    const store = new BatchingStore()
    const limiter = createRateLimiter({ store, logger: false, timeoutMs: 50, circuitBreaker: false })
    opened.push(limiter)
    store.health = 'fail'
    await limiter.consume('user:1', rule)
    store.health = 'up'
    const decisions = await limiter.consumeMany([
      { identity: 'user:1', rules: rule },
      { identity: 'user:2', rules: rule },
      { identity: 'user:2', rules: { ...rule, name: 'other' } },
    ])
    expect(decisions.map((d) => d.remaining)).toEqual([3, 4, 4])
    expect(store.batches).toEqual([2]) // user:2's two checks in one call; user:1 through consume
  })
})

describe('the bound, for any sequence of outages and requests in one window', () => {
  it('never admits more than the limit per key (property)', async () => {
    const burst: RateLimitRule = { name: 'burst', limit: 3, window: '1h' }
    const sustained: RateLimitRule = { name: 'sustained', limit: 7, window: '1h' }
    const step = fc.oneof(
      fc.record({ kind: fc.constant('health' as const), up: fc.boolean() }),
      fc.record({
        kind: fc.constantFrom('consume' as const, 'peek' as const, 'many' as const),
        identity: fc.nat(1),
        rules: fc.constantFrom([sustained], [burst, sustained]),
        cost: fc.integer({ min: 1, max: 3 }),
      }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const { store, limiter } = build()
        const spent = [0, 0]
        for (const s of steps) {
          if (s.kind === 'health') {
            store.health = s.up ? 'up' : 'fail'
            continue
          }
          const identity = `user:${s.identity}`
          if (s.kind === 'peek') {
            await limiter.peek(identity, s.rules, { cost: s.cost })
            continue
          }
          const decisions =
            s.kind === 'many'
              ? await limiter.consumeMany([
                  { identity, rules: s.rules, cost: s.cost },
                  { identity, rules: s.rules, cost: 1 },
                ])
              : [await limiter.consume(identity, s.rules, { cost: s.cost })]
          for (const d of decisions) if (d.allowed) spent[s.identity]! += d.cost
        }
        await limiter.close()
        expect(Math.max(...spent)).toBeLessThanOrEqual(sustained.limit)
      }),
      { numRuns: 150 },
    )
  })
})

/** A switchable store that also takes batches, and counts their sizes. */
class BatchingStore extends SwitchableStore {
  readonly batches: number[] = []
  consumeMany(calls: readonly StoreCall[]): Promise<StoreResult[]> {
    this.batches.push(calls.length)
    if (this.health !== 'up') return Promise.reject(new Error('ECONNREFUSED (batching store)'))
    return Promise.resolve(this.inner.consumeMany(calls))
  }
}

function asStoreRule(key: string): StoreRule {
  return { key, algorithm: 'sliding-log', limit: rule.limit, windowMs: 3_600_000 }
}
