/**
 * `moreRestrictive`: the one answer to "which of two states of one rule wins" — what the
 * `RateLimit` header reports for a rule several decisions of one response touched.
 */
import { describe, expect, it } from 'vitest'
import { moreRestrictive } from '../../src/engine/decision.js'
import { HeaderAccumulator, type RateLimitDecision, type RuleDecision } from '../../src/index.js'
import { resolveRule } from '../../src/rules.js'

const rule = resolveRule({ name: 'Query.search', limit: 10, window: '1m' })

function state(allowed: boolean, remaining: number, retryAfterMs: number, resetMs: number): RuleDecision {
  return { rule, allowed, limit: 10, remaining, retryAfterMs, resetMs }
}

function decisionOf(r: RuleDecision): RateLimitDecision {
  const { allowed, limit, remaining, resetMs, retryAfterMs } = r
  return { allowed, limit, remaining, resetMs, retryAfterMs, rule, rules: [r], identity: 'user:1', cost: 1 }
}

describe('moreRestrictive', () => {
  it.each([
    ['a refusal over an admission', state(false, 5, 1_000, 60_000), state(true, 0, 0, 60_000)],
    ['the longer wait between two refusals', state(false, 0, 30_000, 30_000), state(false, 0, 5_000, 60_000)],
    [
      'the longer wait even with more units left',
      state(false, 3, 30_000, 30_000),
      state(false, 0, 5_000, 5_000),
    ],
    ['fewer units left between two admissions', state(true, 2, 0, 10_000), state(true, 3, 0, 60_000)],
    ['the longer reset when the units left are equal', state(true, 2, 0, 60_000), state(true, 2, 0, 10_000)],
  ])('prefers %s', (_, stricter, looser) => {
    expect(moreRestrictive(stricter, looser)).toBe(true)
    expect(moreRestrictive(looser, stricter)).toBe(false)
  })

  it('is false for two equal states, so the first one seen stays', () => {
    expect(moreRestrictive(state(false, 0, 5_000, 5_000), state(false, 0, 5_000, 5_000))).toBe(false)
  })

  it('decides which refusal the RateLimit header reports for a rule two decisions refused', () => {
    const longWait = state(false, 3, 30_000, 30_000)
    const shortWait = state(false, 0, 5_000, 5_000)
    for (const order of [
      [shortWait, longWait],
      [longWait, shortWait],
    ]) {
      const headers = new HeaderAccumulator()
      for (const r of order) headers.add(decisionOf(r))
      expect(headers.headers().RateLimit).toBe('"Query.search";r=3;t=30')
    }
  })
})
