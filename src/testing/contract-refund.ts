/**
 * Store contract cases for `limiter.refund(identity, rules, { cost })`, on top of
 * `RateLimitStore.refund` (declared unless `{ refund: false }`).
 */
import { expect, it } from 'vitest'
import type { Algorithm } from '../types.js'
import { type CaseContext, itWindowed, rule, SHORT } from './contract-kit.js'

/** A refund gives back what was charged, never below zero, never another identity's units. */
export function refundCases({ open }: CaseContext, algorithm: Algorithm): void {
  it('gives back exactly what was charged: the budget is as if the request had never been admitted', async () => {
    const { limiter } = await open()
    const r = rule('exact', 10, '1m', algorithm)
    await limiter.consume('user:1', r, { cost: 3 })
    const before = await limiter.peek('user:1', r)
    expect(await limiter.consume('user:1', r, { cost: 4 })).toMatchObject({ allowed: true, remaining: 3 })
    const refunded = await limiter.refund('user:1', r, { cost: 4 })
    expect(refunded).toMatchObject({ allowed: true, remaining: 7, retryAfterMs: 0, cost: 4, limit: 10 })
    expect('reason' in refunded).toBe(false)
    expect(refunded.rules[0]).toMatchObject({ allowed: true, remaining: 7 })
    expect(await limiter.peek('user:1', r)).toMatchObject({ remaining: before.remaining })
    expect((await limiter.consume('user:1', r, { cost: 7 })).allowed).toBe(true)
    expect((await limiter.consume('user:1', r)).allowed).toBe(false)
  })

  it('stops at zero: refunding more than was used gives back only what was used', async () => {
    const { limiter } = await open()
    const r = rule('zero', 5, '1m', algorithm)
    await limiter.consume('user:1', r, { cost: 2 })
    expect(await limiter.refund('user:1', r, { cost: 50 })).toMatchObject({ remaining: 5, resetMs: 0 })
    expect(await limiter.refund('user:1', r, { cost: 3 })).toMatchObject({ remaining: 5 })
    // No credit was built up: still exactly `limit` units admitted.
    expect((await limiter.consume('user:1', r, { cost: 5 })).allowed).toBe(true)
    expect((await limiter.consume('user:1', r)).allowed).toBe(false)
  })

  it('refunds nothing and creates nothing for an identity that used nothing, and never touches other identities', async () => {
    const { limiter } = await open()
    const r = rule('apart', 4, '1m', algorithm)
    await limiter.consume('user:1', r, { cost: 4 })
    expect(await limiter.refund('user:2', r, { cost: 4 })).toMatchObject({ remaining: 4, resetMs: 0 })
    expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: false, remaining: 0 })
    expect(await limiter.consume('user:2', r, { cost: 4 })).toMatchObject({ allowed: true, remaining: 0 })
    expect((await limiter.consume('user:2', r)).allowed).toBe(false)
  })
}

/** Refunds after the window, and refunds and checks of one tick. */
export function refundOrderCases({ open }: CaseContext, algorithm: Algorithm): void {
  itWindowed(algorithm)(
    'gives nothing back once the charged units have left the window, and leaves the budget whole',
    async () => {
      const { limiter, advance, exactClock } = await open()
      const r = rule('expired', 3, SHORT, algorithm)
      const charged = await limiter.consume('user:1', r, { cost: 3 })
      await advance(charged.resetMs + (exactClock ? 0 : 2))
      expect(await limiter.refund('user:1', r, { cost: 3 })).toMatchObject({ remaining: 3, resetMs: 0 })
      const decisions = []
      for (let i = 0; i < 4; i++) decisions.push((await limiter.consume('user:1', r)).allowed)
      expect(decisions).toEqual([true, true, true, false])
    },
  )

  it('applies refunds and checks of the same tick in call order', async () => {
    const { limiter } = await open()
    const r = rule('order', 5, '1m', algorithm)
    await limiter.consume('user:1', r, { cost: 5 })
    const [refused, refund, admitted, full] = await Promise.all([
      limiter.consume('user:1', r, { cost: 2 }),
      limiter.refund('user:1', r, { cost: 2 }),
      limiter.consume('user:1', r, { cost: 2 }),
      limiter.consume('user:1', r),
    ])
    expect([refused.allowed, refund.remaining, admitted.allowed, full.allowed]).toEqual([
      false,
      2,
      true,
      false,
    ])
  })
}

/** A refund under several rules, and which log entries it takes back. */
export function refundRuleCases({ open }: CaseContext): void {
  it('gives back under every rule of the call at once, each only what it holds', async () => {
    const { limiter } = await open()
    const burst = rule('api', 4, '1m', 'sliding-log')
    const sustained = rule('api', 20, '1h', 'sliding-window')
    await limiter.consume('user:1', sustained, { cost: 6 })
    await limiter.consume('user:1', [burst, sustained], { cost: 2 })
    const refunded = await limiter.refund('user:1', [burst, sustained], { cost: 3 })
    expect(refunded.rules.map((d) => [d.rule.name, d.limit, d.remaining])).toEqual([
      ['api', 4, 4],
      ['api', 20, 15],
    ])
    expect(refunded).toMatchObject({ limit: 4, remaining: 4 })
    expect(refunded.rule.limit).toBe(4)
    expect(await limiter.peek('user:1', sustained)).toMatchObject({ remaining: 14 })
  })

  it('takes a sliding log refund off the newest entries, so the wait is as if they had never been admitted', async () => {
    const { limiter, advance, exactClock } = await open()
    const r = rule('newest', 4, SHORT, 'sliding-log')
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(100)
    await limiter.consume('user:1', r, { cost: 2 })
    expect(await limiter.refund('user:1', r, { cost: 2 })).toMatchObject({ remaining: 2 })
    // Left: the first entry (2 units). Cost 3 waits for it to leave: SHORT − 100 from now.
    // Had the oldest entry been refunded instead, the wait would be a whole window.
    const waiting = await limiter.peek('user:1', r, { cost: 3 })
    expect(waiting.allowed).toBe(false)
    if (exactClock) expect(waiting).toMatchObject({ retryAfterMs: SHORT - 100, resetMs: SHORT - 100 })
    else expect(waiting.retryAfterMs).toBeLessThanOrEqual(SHORT - 100)
    await advance(waiting.retryAfterMs + (exactClock ? 0 : 2))
    expect(await limiter.consume('user:1', r, { cost: 4 })).toMatchObject({ allowed: true, remaining: 0 })
  })
}

/** What a refund leaves, to the millisecond (declared only for exact clocks). */
export function exactRefundCases({ open, itExact }: CaseContext): void {
  itExact('lowers a partly refunded log entry and keeps the rest of its cost and its time', async () => {
    const { limiter, advance } = await open()
    const r = rule('partial', 5, 1000, 'sliding-log')
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(100)
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(100)
    await limiter.consume('user:1', r, { cost: 1 })
    await advance(100)
    // Off the newest: the t=200 entry (1) and one unit of the t=100 entry. Left: t=0 (2), t=100 (1).
    expect(await limiter.refund('user:1', r, { cost: 2 })).toMatchObject({ remaining: 2, resetMs: 800 })
    expect(await limiter.peek('user:1', r, { cost: 4 })).toMatchObject({
      allowed: false,
      retryAfterMs: 700,
    })
    expect(await limiter.peek('user:1', r, { cost: 5 })).toMatchObject({
      allowed: false,
      retryAfterMs: 800,
    })
    await advance(700)
    expect(await limiter.consume('user:1', r, { cost: 4 })).toMatchObject({ allowed: true, remaining: 0 })
  })

  itExact('gives a counter refund back from the current window only', async () => {
    const { limiter, advance } = await open()
    const r = rule('windows', 10, 1000, 'sliding-window')
    // The factory's clock may sit anywhere in a window: step to just past the next boundary.
    const first = await limiter.consume('user:1', r, { cost: 6 })
    await advance(first.resetMs - 1000)
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(500)
    // Current window: 2 (both given back); previous: 6, weighing 6 × 0.5 = 3, untouched.
    expect(await limiter.refund('user:1', r, { cost: 5 })).toMatchObject({ remaining: 7 })
    expect(await limiter.peek('user:1', r, { cost: 7 })).toMatchObject({ allowed: true, remaining: 0 })
    expect((await limiter.peek('user:1', r, { cost: 8 })).allowed).toBe(false)
  })
}
