/** Store contract cases: how much a window admits, per identity and rule, with costs. */
import { expect, it } from 'vitest'
import type { Algorithm } from '../types.js'
import { type CaseContext, consumeTimes, rule } from './contract-kit.js'

/** Exactly `limit` units per window, kept apart per identity and rule; a refusal records nothing. */
export function countingCases({ open }: CaseContext, algorithm: Algorithm): void {
  it('admits exactly `limit` requests in a window and refuses the next ones', async () => {
    const { limiter } = await open()
    const decisions = await consumeTimes(limiter, 'user:1', rule('exact', 5, '1m', algorithm), 7)
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false])
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0])
  })

  it('keeps identities and rules apart', async () => {
    const { limiter } = await open()
    const a = rule('a', 1, '1m', algorithm)
    expect((await limiter.consume('user:1', a)).allowed).toBe(true)
    expect((await limiter.consume('user:1', a)).allowed).toBe(false)
    expect((await limiter.consume('user:2', a)).allowed).toBe(true)
    expect((await limiter.consume('user:1', rule('b', 1, '1m', algorithm))).allowed).toBe(true)
    expect((await limiter.consume('user:1', rule('a', 2, '1m', algorithm))).allowed).toBe(true)
  })

  it('records nothing for a refused request: usage seen by peek is unchanged', async () => {
    const { limiter } = await open()
    const r = rule('refused', 3, '1m', algorithm)
    await consumeTimes(limiter, 'user:1', r, 3)
    const before = await limiter.peek('user:1', r)
    const refused = await consumeTimes(limiter, 'user:1', r, 5)
    expect(refused.every((d) => !d.allowed && d.reason === 'limited')).toBe(true)
    const after = await limiter.peek('user:1', r)
    expect(after.remaining).toBe(before.remaining)
    expect(after.retryAfterMs).toBeLessThanOrEqual(before.retryAfterMs)
    expect(after.resetMs).toBeLessThanOrEqual(before.resetMs)
  })

  it('never overshoots with costs above 1: a cost that does not fit is refused whole', async () => {
    const { limiter } = await open()
    const r = rule('cost', 10, '1m', algorithm)
    const take = (cost: number) => limiter.consume('user:1', r, { cost })
    expect(await take(4)).toMatchObject({ allowed: true, remaining: 6 })
    expect(await take(4)).toMatchObject({ allowed: true, remaining: 2 })
    expect(await take(3)).toMatchObject({ allowed: false, remaining: 2, reason: 'limited' })
    expect(await take(2)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await take(1)).toMatchObject({ allowed: false, remaining: 0 })
  })

  it("refuses a cost above the limit with reason 'cost-exceeds-limit', recording nothing", async () => {
    const { limiter } = await open()
    const r = rule('too-big', 10, '1m', algorithm)
    const decision = await limiter.consume('user:1', r, { cost: 11 })
    expect(decision).toMatchObject({ allowed: false, reason: 'cost-exceeds-limit', remaining: 10 })
    expect(decision.retryAfterMs).toBe(Number.POSITIVE_INFINITY)
    expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 9 })
    expect((await limiter.consume('user:1', r, { cost: 10 })).allowed).toBe(true)
  })
}
