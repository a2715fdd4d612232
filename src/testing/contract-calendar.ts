/**
 * Store contract cases of calendar quotas: `limit` per period, reset at the period's end, atomic
 * with the other rules of a check. Boundaries are crossed with test-only short periods
 * (`TEST_PERIOD_MS`), so a store whose clock is real time (Redis `TIME`) crosses them too.
 */
import { expect, it } from 'vitest'
import { TEST_PERIOD_MS } from '../rules.js'
import type { RateLimitRule } from '../types.js'
import { type CaseContext, consumeTimes, rule, SHORT } from './contract-kit.js'

const DAY = 86_400_000

/** A quota whose periods are `lengthMs` long (since the epoch) instead of calendar days. */
export function shortQuota(name: string, limit: number, lengthMs: number): RateLimitRule {
  return { name, limit, period: 'day', [TEST_PERIOD_MS]: lengthMs } as RateLimitRule
}

/** A quota admits `limit` per period, then refuses until the period ends. */
export function calendarCases({ open }: CaseContext): void {
  it('admits exactly `limit` in a day and refuses until the day ends', async () => {
    const { limiter } = await open()
    const daily = { name: 'daily', limit: 3, period: 'day', timeZone: 'America/New_York' } as const
    const decisions = await consumeTimes(limiter, 'user:1', daily, 4)
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    const refused = decisions[3]!
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(25 * 3_600_000) // a DST day is 25 h
    expect(refused.resetMs).toBe(refused.retryAfterMs)
    expect(await limiter.usage('user:1', daily)).toMatchObject({ used: 3, remaining: 0, limit: 3 })
    expect(await limiter.usage('user:2', daily)).toMatchObject({ used: 0, remaining: 3, resetMs: 0 })
  })

  it('starts over when the period ends (a short test period crossed in real time)', async () => {
    const { limiter, advance, exactClock } = await open()
    const q = shortQuota('crossing', 2, 3 * SHORT)
    let decisions = await consumeTimes(limiter, 'user:1', q, 3)
    // The first two may straddle a boundary: then all three are admitted. Start at a boundary.
    if (decisions[2]!.allowed) {
      await advance(decisions[2]!.resetMs + (exactClock ? 0 : 2))
      decisions = await consumeTimes(limiter, 'user:1', q, 3)
    }
    const refused = decisions[2]!
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(3 * SHORT)
    await advance(refused.retryAfterMs + (exactClock ? 0 : 2))
    expect((await consumeTimes(limiter, 'user:1', q, 2)).map((d) => d.allowed)).toEqual([true, true])
  })
}

/** A quota is checked atomically with the other rules of a check, and ends exactly at its boundary. */
export function calendarRuleCases({ open, itExact }: CaseContext): void {
  it('records nothing under the quota when another rule of the check refuses', async () => {
    const { limiter } = await open()
    const burst = rule('burst', 2, '1m', 'sliding-log')
    const monthly = { name: 'monthly', limit: 100, period: 'month' } as const
    const decisions = await consumeTimes(limiter, 'user:1', [burst, monthly], 5)
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, false, false])
    expect(decisions[2]!.rule.name).toBe('burst')
    expect(await limiter.usage('user:1', monthly)).toMatchObject({ used: 2, remaining: 98 })
    const spent = await limiter.consume('user:1', [monthly], { cost: 98 })
    expect(spent).toMatchObject({ allowed: true, remaining: 0 })
    expect(spent.resetMs).toBeLessThanOrEqual(31 * DAY)
  })

  itExact('refuses until the exact end of the period, then admits the whole limit', async () => {
    const { limiter, advance } = await open()
    const daily = { name: 'exact-day', limit: 1, period: 'day' } as const
    await limiter.consume('user:1', daily)
    const refused = await limiter.consume('user:1', daily)
    await advance(refused.retryAfterMs - 1)
    expect((await limiter.peek('user:1', daily)).allowed).toBe(false)
    await advance(1)
    const next = await limiter.consume('user:1', daily)
    expect(next).toMatchObject({ allowed: true, remaining: 0, resetMs: DAY })
  })
}

/** A refund gives units back within the period (declared with the other refund cases). */
export function calendarRefundCases({ open }: CaseContext): void {
  it('gives units back on refund, within the period, never below zero', async () => {
    const { limiter } = await open()
    const weekly = { name: 'weekly', limit: 10, period: 'week', timeZone: 'Europe/Berlin' } as const
    await limiter.consume('user:1', weekly, { cost: 6 })
    expect(await limiter.refund('user:1', weekly, { cost: 4 })).toMatchObject({ remaining: 8 })
    expect(await limiter.refund('user:1', weekly, { cost: 9 })).toMatchObject({ remaining: 10, resetMs: 0 })
    expect((await limiter.consume('user:1', weekly, { cost: 10 })).allowed).toBe(true)
    expect((await limiter.consume('user:1', weekly)).allowed).toBe(false)
  })
}
