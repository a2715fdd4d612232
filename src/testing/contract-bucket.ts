/** Store contract cases of the token bucket: bursts up to `burst`, refill at `limit` per window. */
import { expect, it } from 'vitest'
import type { RateLimitRule } from '../types.js'
import { type CaseContext, consumeTimes, SHORT } from './contract-kit.js'

const bucket = (name: string, limit: number, window: number | string, burst?: number): RateLimitRule => ({
  name,
  limit,
  window,
  algorithm: 'token-bucket',
  ...(burst === undefined ? {} : { burst }),
})

/** A bucket admits `burst` at once, then one token per `window / limit`. */
export function bucketCases({ open }: CaseContext): void {
  it('admits a burst of `burst` at once, then refills one token per window / limit', async () => {
    const { limiter, advance, exactClock } = await open()
    // A token every 4 × SHORT ms, 4 at most: slow enough that no token comes back between calls.
    const r = bucket('burst', 1, 4 * SHORT, 4)
    const decisions = await consumeTimes(limiter, 'user:1', r, 5)
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    const refused = decisions[4]!
    expect(refused).toMatchObject({ limit: 1, reason: 'limited' })
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(4 * SHORT)
    await advance(refused.retryAfterMs + (exactClock ? 0 : 2))
    expect(await limiter.consume('user:1', r)).toMatchObject({ allowed: true, remaining: 0 })
    expect((await limiter.consume('user:1', r)).allowed).toBe(false)
  })

  it("refuses a cost above `burst` with 'cost-exceeds-limit' and admits one up to it", async () => {
    const { limiter } = await open()
    const r = bucket('capacity', 2, '1m', 5)
    expect(await limiter.consume('user:1', r, { cost: 6 })).toMatchObject({
      allowed: false,
      reason: 'cost-exceeds-limit',
    })
    expect(await limiter.consume('user:1', r, { cost: 5 })).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.usage('user:1', r)).toMatchObject({ used: 5, remaining: 0, limit: 2 })
  })
}

/** Refill to the millisecond (declared only for exact clocks). */
export function bucketTimingCases({ open, itExact }: CaseContext): void {
  itExact(
    'refills exactly: one token back after window / limit, the whole bucket after resetMs',
    async () => {
      const { limiter, advance } = await open()
      const r = bucket('refill', 4, 1000, 4) // a token every 250 ms
      const last = (await consumeTimes(limiter, 'user:1', r, 4))[3]!
      expect(last).toMatchObject({ remaining: 0, resetMs: 1000 })
      const refused = await limiter.consume('user:1', r, { cost: 2 })
      expect(refused.retryAfterMs).toBe(500)
      await advance(499)
      expect((await limiter.peek('user:1', r, { cost: 2 })).allowed).toBe(false)
      await advance(1)
      expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 1 })
      await advance(500)
      expect(await limiter.usage('user:1', r)).toMatchObject({ used: 0, remaining: 4, resetMs: 0 })
    },
  )
}

/** A refund gives tokens back (declared with the other refund cases). */
export function bucketRefundCases({ open }: CaseContext): void {
  it('gives tokens back on refund, never more than are missing', async () => {
    const { limiter } = await open()
    const r = bucket('refund', 3, '1m', 6)
    await limiter.consume('user:1', r, { cost: 4 })
    expect(await limiter.refund('user:1', r, { cost: 3 })).toMatchObject({ remaining: 5 })
    expect(await limiter.refund('user:1', r, { cost: 9 })).toMatchObject({ remaining: 6, resetMs: 0 })
    expect((await limiter.consume('user:1', r, { cost: 6 })).allowed).toBe(true)
    expect((await limiter.consume('user:1', r)).allowed).toBe(false)
  })
}
