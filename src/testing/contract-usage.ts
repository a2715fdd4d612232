/** Store contract cases for `limiter.usage(identity, rules)`: the state as it stands, recording nothing. */
import { expect, it } from 'vitest'
import type { Algorithm } from '../types.js'
import { type CaseContext, consumeTimes, itWindowed, rule, SHORT } from './contract-kit.js'

/** Usage reports what is used and left now, where `peek` answers for a request of cost 1. */
export function usageCases({ open }: CaseContext, algorithm: Algorithm): void {
  it('reports the whole limit when nothing is used, where peek answers for a request of cost 1', async () => {
    const { limiter } = await open()
    const r = rule('usage-empty', 5, '1m', algorithm)
    expect(await limiter.usage('user:1', r)).toMatchObject({ used: 0, remaining: 5, limit: 5, resetMs: 0 })
    expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 4 })
    await limiter.consume('user:1', r, { cost: 2 })
    const before = Date.now()
    const usage = await limiter.usage('user:1', r)
    expect(usage).toMatchObject({ identity: 'user:1', used: 2, remaining: 3, limit: 5 })
    expect(usage.rule).toMatchObject({ name: 'usage-empty', algorithm })
    expect(usage.resetMs).toBeGreaterThan(0)
    expect(usage.resetsAt).toBeGreaterThanOrEqual(before + usage.resetMs)
    expect(usage.resetsAt).toBeLessThanOrEqual(Date.now() + usage.resetMs)
    expect(usage.rules).toHaveLength(1)
    const { resetMs, resetsAt } = usage
    expect(usage.rules[0]).toMatchObject({
      kind: 'window',
      used: 2,
      remaining: 3,
      limit: 5,
      resetMs,
      resetsAt,
    })
  })

  it('records nothing, and reports a spent budget as used up', async () => {
    const { limiter } = await open()
    const r = rule('usage-spent', 2, '1m', algorithm)
    for (let i = 0; i < 5; i++) expect(await limiter.usage('user:1', r)).toMatchObject({ used: 0 })
    expect((await consumeTimes(limiter, 'user:1', r, 3)).map((d) => d.allowed)).toEqual([true, true, false])
    expect(await limiter.usage('user:1', r)).toMatchObject({ used: 2, remaining: 0 })
    expect(await limiter.usage('user:2', r)).toMatchObject({ used: 0, remaining: 2 })
  })

  itWindowed(algorithm)('reports the budget whole again after resetMs', async () => {
    const { limiter, advance, exactClock } = await open()
    const r = rule('usage-reset', 3, SHORT, algorithm)
    await consumeTimes(limiter, 'user:1', r, 3)
    const spent = await limiter.usage('user:1', r)
    expect(spent).toMatchObject({ used: 3, remaining: 0 })
    expect(spent.resetMs).toBeGreaterThan(0)
    expect(spent.resetMs).toBeLessThanOrEqual(2 * SHORT)
    await advance(spent.resetMs + (exactClock ? 0 : 2))
    expect(await limiter.usage('user:1', r)).toMatchObject({ used: 0, remaining: 3, resetMs: 0 })
  })
}

/** Several rules in one report, and the counter's fractional estimate. */
export function usageRuleCases({ open, itExact }: CaseContext): void {
  it('names the rule with the fewest units left and reports every rule in order', async () => {
    const { limiter } = await open()
    const wide = rule('wide', 10, '1m', 'sliding-log')
    const narrow = rule('narrow', 3, '1m', 'sliding-window')
    await limiter.consume('user:1', [wide, narrow], { cost: 2 })
    await limiter.consume('user:1', wide)
    const usage = await limiter.usage('user:1', [wide, narrow])
    expect(usage).toMatchObject({ limit: 3, used: 2, remaining: 1 })
    expect(usage.rule.name).toBe('narrow')
    expect(usage.rules.map((r) => [r.rule.name, r.used, r.remaining])).toEqual([
      ['wide', 3, 7],
      ['narrow', 2, 1],
    ])
  })

  itExact("rounds the counter's estimate up to whole units used, and down to whole units left", async () => {
    const { limiter, advance } = await open()
    const r = rule('usage-counter', 10, 1000, 'sliding-window')
    // The factory's clock may sit anywhere in a window: step to the next boundary, then half a window.
    const first = await limiter.consume('user:1', r, { cost: 3 })
    await advance(first.resetMs - 1000 + 500)
    // The previous window's 3 weigh 3 × 0.5 = 1.5 now.
    expect(await limiter.usage('user:1', r)).toMatchObject({ used: 2, remaining: 8 })
  })
}
