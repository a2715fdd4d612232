/** Store contract cases: the waits a decision announces, and when a budget is whole again. */
import { expect } from 'vitest'
import type { Algorithm } from '../types.js'
import { type CaseContext, consumeTimes, itWindowed, rule, SHORT } from './contract-kit.js'

/** Waiting `retryAfterMs` is enough; after `resetMs` the budget is whole (real time on Redis). */
export function waitCases({ open }: CaseContext, algorithm: Algorithm): void {
  const it = itWindowed(algorithm)
  it('waits exactly long enough: after retryAfterMs the refused request is admitted', async () => {
    const { limiter, advance, exactClock } = await open()
    const r = rule('retry', 2, SHORT, algorithm)
    await consumeTimes(limiter, 'user:1', r, 2)
    const refused = await limiter.consume('user:1', r)
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(2 * SHORT)
    // Real time: timers may fire a millisecond early, so wait one more.
    await advance(refused.retryAfterMs + (exactClock ? 0 : 2))
    expect((await limiter.consume('user:1', r)).allowed).toBe(true)
  })

  it('gives the whole budget back after resetMs', async () => {
    const { limiter, advance, exactClock } = await open()
    const r = rule('reset-ms', 3, SHORT, algorithm)
    const last = (await consumeTimes(limiter, 'user:1', r, 3))[2]!
    expect(last.resetMs).toBeGreaterThan(0)
    expect(last.resetMs).toBeLessThanOrEqual(2 * SHORT)
    await advance(last.resetMs + (exactClock ? 0 : 2))
    expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 2 })
  })
}

/** Millisecond-exact waits of the sliding log, and its window's edge (declared only for exact clocks). */
export function exactTimingCases({ open, itExact }: CaseContext): void {
  itExact('announces the exact wait: 1 ms earlier the request is still refused', async () => {
    const { limiter, advance } = await open()
    const r = rule('exact-wait', 3, 1000, 'sliding-log')
    await limiter.consume('user:1', r)
    await advance(100)
    await limiter.consume('user:1', r)
    await advance(100)
    await limiter.consume('user:1', r)
    await advance(100)
    const refused = await limiter.consume('user:1', r)
    // The oldest entry (t=0) leaves the window (now − 1000, now] at t=1000.
    expect(refused.retryAfterMs).toBe(700)
    expect(refused.resetMs).toBe(900)
    await advance(699)
    expect(await limiter.consume('user:1', r)).toMatchObject({ allowed: false, retryAfterMs: 1 })
    await advance(1)
    expect(await limiter.consume('user:1', r)).toMatchObject({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
    })
  })

  itExact('waits for as many of the oldest entries as the cost needs', async () => {
    const { limiter, advance } = await open()
    const r = rule('cost-wait', 5, 1000, 'sliding-log')
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(100)
    await limiter.consume('user:1', r, { cost: 2 })
    await advance(100)
    await limiter.consume('user:1', r, { cost: 1 })
    await advance(100)
    // Cost 3 needs 3 units freed: the entries of t=0 (2) and t=100 (2) must leave, at t=1100.
    expect(await limiter.peek('user:1', r, { cost: 3 })).toMatchObject({
      allowed: false,
      retryAfterMs: 800,
    })
    expect(await limiter.peek('user:1', r, { cost: 2 })).toMatchObject({
      allowed: false,
      retryAfterMs: 700,
    })
    await advance(799)
    expect((await limiter.consume('user:1', r, { cost: 3 })).allowed).toBe(false)
    await advance(1)
    expect(await limiter.consume('user:1', r, { cost: 3 })).toMatchObject({
      allowed: true,
      remaining: 1,
    })
  })

  itExact('counts a request exactly `window` old as gone (the window is (now − window, now])', async () => {
    const { limiter, advance } = await open()
    const r = rule('edge', 1, 1000, 'sliding-log')
    await limiter.consume('user:1', r)
    await advance(999)
    expect((await limiter.peek('user:1', r)).allowed).toBe(false)
    await advance(1)
    expect((await limiter.consume('user:1', r)).allowed).toBe(true)
  })
}
