/**
 * `extensions.rateLimit` and the `RateLimit` header describe one rule that several decisions of an
 * operation touched: they must name the same state (one `moreRestrictive`, one rounding).
 */
import { describe, expect, it } from 'vitest'
import { type LimitState, rateLimitExtension, recordDecision } from '../../../src/graphql/cost/limit-state.js'
import { HeaderAccumulator, type RateLimitDecision, type RuleDecision } from '../../../src/index.js'
import { resolveRule } from '../../../src/rules.js'

const rule = resolveRule({ name: 'Query.search', limit: 10, window: '1m' })

function refusal(remaining: number, retryAfterMs: number): RateLimitDecision {
  const r: RuleDecision = { rule, allowed: false, limit: 10, remaining, retryAfterMs, resetMs: retryAfterMs }
  return {
    allowed: false,
    limit: 10,
    remaining,
    resetMs: retryAfterMs,
    retryAfterMs,
    rule,
    rules: [r],
    identity: 'user:1',
    cost: 1,
  }
}

describe('the limit state of one operation', () => {
  it('names the same state as the RateLimit header when two refusals of one rule disagree', () => {
    const decisions = [refusal(0, 5_000), refusal(3, 30_000)]
    for (const order of [decisions, [...decisions].reverse()]) {
      const headers = new HeaderAccumulator()
      const state: LimitState = { policies: new Map() }
      for (const d of order) {
        headers.add(d)
        recordDecision(state, d)
      }
      const [policy] = rateLimitExtension(state)!.policies
      expect(policy).toMatchObject({ remaining: 3, reset: 30, retryAfter: 30 })
      expect(headers.headers().RateLimit).toBe(`"Query.search";r=${policy!.remaining};t=${policy!.reset}`)
    }
  })

  it('rounds a sub-second window up to one second, as RateLimit-Policy does', () => {
    const short = resolveRule({ name: 'Query.search', limit: 10, window: '500ms' })
    const r: RuleDecision = {
      rule: short,
      allowed: true,
      limit: 10,
      remaining: 9,
      retryAfterMs: 0,
      resetMs: 500,
    }
    const state: LimitState = { policies: new Map() }
    recordDecision(state, { ...r, rule: short, rules: [r], identity: 'user:1', cost: 1 })
    expect(rateLimitExtension(state)!.policies[0]).toMatchObject({ window: 1, reset: 1 })
    const headers = new HeaderAccumulator()
    headers.add({ ...r, rule: short, rules: [r], identity: 'user:1', cost: 1 })
    expect(headers.headers()['RateLimit-Policy']).toBe('"Query.search";q=10;w=1')
  })
})
