/** Store contract cases: what peek, reset and a decision answer. */
import { expect, it } from 'vitest'
import type { Algorithm } from '../types.js'
import { type CaseContext, consumeTimes, rule } from './contract-kit.js'

/** `peek` records nothing, `reset` forgets, and a decision has its documented shape. */
export function answerCases({ open }: CaseContext, algorithm: Algorithm): void {
  it('peeks without recording anything', async () => {
    const { limiter } = await open()
    const r = rule('peek', 2, '1m', algorithm)
    for (let i = 0; i < 5; i++)
      expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 1 })
    expect((await consumeTimes(limiter, 'user:1', r, 3)).map((d) => d.allowed)).toEqual([true, true, false])
    expect(await limiter.peek('user:1', r)).toMatchObject({
      allowed: false,
      remaining: 0,
      reason: 'limited',
    })
  })

  it('forgets the recorded usage on reset', async () => {
    const { limiter } = await open()
    const r = rule('reset', 2, '1m', algorithm)
    await consumeTimes(limiter, 'user:1', r, 3)
    await limiter.reset('user:1', r)
    expect(await limiter.consume('user:1', r)).toMatchObject({ allowed: true, remaining: 1 })
  })

  it('answers with the decision shape: no reason on admission, the binding rule, every rule', async () => {
    const { limiter } = await open()
    const r = rule('shape', 2, '1m', algorithm)
    const admitted = await limiter.consume('user:1', r, { cost: 1 })
    expect('reason' in admitted).toBe(false)
    expect('policy' in admitted).toBe(false)
    expect(admitted).toMatchObject({
      allowed: true,
      limit: 2,
      remaining: 1,
      retryAfterMs: 0,
      identity: 'user:1',
      cost: 1,
    })
    expect(admitted.rule).toMatchObject({ name: 'shape', limit: 2, windowMs: 60_000, algorithm })
    expect(admitted.rules).toHaveLength(1)
    expect(admitted.rules[0]).toMatchObject({ allowed: true, limit: 2, remaining: 1, retryAfterMs: 0 })
    expect(admitted.resetMs).toBeGreaterThan(0)
    await limiter.consume('user:1', r)
    const refused = await limiter.consume('user:1', r)
    expect(refused).toMatchObject({ allowed: false, reason: 'limited', limit: 2, remaining: 0 })
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.rules[0]).toMatchObject({ allowed: false, remaining: 0 })
  })
}
