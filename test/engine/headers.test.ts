import { describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  HeaderAccumulator,
  MemoryStore,
  rateLimitHeaders,
  retryAfterSeconds,
} from '../../src/index.js'
import type { RateLimitRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'

function setup() {
  const clock = manualClock(1_700_000_000_000)
  const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
  return { clock, limiter }
}

const search: RateLimitRule = { name: 'Query.search', limit: 10, window: '1m' }
const burst: RateLimitRule = { name: 'burst', limit: 2, window: '10s' }

describe('rateLimitHeaders', () => {
  it('describes an admission with RateLimit-Policy (q, w) and RateLimit (r, t), without Retry-After', async () => {
    const { limiter } = setup()
    const decision = await limiter.consume('user:1', search, { cost: 7 })
    expect(rateLimitHeaders(decision)).toEqual({
      'RateLimit-Policy': '"Query.search";q=10;w=60',
      RateLimit: '"Query.search";r=3;t=60',
    })
  })

  it('adds Retry-After in whole seconds rounded up on a refusal, and t is the wait', async () => {
    const { clock, limiter } = setup()
    await limiter.consume('user:1', burst)
    clock.advance(1500)
    await limiter.consume('user:1', burst)
    clock.advance(1000)
    const refused = await limiter.consume('user:1', burst)
    expect(refused.retryAfterMs).toBe(7500)
    expect(rateLimitHeaders(refused)).toEqual({
      'RateLimit-Policy': '"burst";q=2;w=10',
      RateLimit: '"burst";r=0;t=9',
      'Retry-After': '8',
    })
    expect(retryAfterSeconds(refused)).toBe(8)
  })

  it('lists only the binding rule by default and every rule with policies: all', async () => {
    const { limiter } = setup()
    const decision = await limiter.consume('user:1', [search, burst])
    expect(rateLimitHeaders(decision)).toEqual({
      'RateLimit-Policy': '"burst";q=2;w=10',
      RateLimit: '"burst";r=1;t=10',
    })
    expect(rateLimitHeaders(decision, { policies: 'all' })).toEqual({
      'RateLimit-Policy': '"Query.search";q=10;w=60, "burst";q=2;w=10',
      RateLimit: '"Query.search";r=9;t=60, "burst";r=1;t=10',
    })
  })

  it('merges decisions of one response: the most restrictive state of a rule wins, not the last', async () => {
    const { limiter } = setup()
    const first = await limiter.consume('user:1', burst)
    const second = await limiter.consume('user:1', burst)
    const refused = await limiter.consume('user:1', burst)
    const accumulator = new HeaderAccumulator()
    for (const decision of [first, refused, second]) accumulator.add(decision)
    expect(accumulator.refused).toBe(true)
    expect(accumulator.headers()).toMatchObject({ RateLimit: '"burst";r=0;t=10', 'Retry-After': '10' })
    // Order does not matter.
    expect(rateLimitHeaders([refused, second, first])).toEqual(accumulator.headers())
    expect(rateLimitHeaders([second, first])).toMatchObject({ RateLimit: '"burst";r=0;t=10' })
  })

  it('takes the longest Retry-After of several refusals', async () => {
    const { clock, limiter } = setup()
    const short = { name: 'short', limit: 1, window: '5s' }
    const long = { name: 'long', limit: 1, window: '30s' }
    await limiter.consume('user:1', short)
    await limiter.consume('user:1', long)
    clock.advance(1000)
    const headers = rateLimitHeaders(
      [await limiter.consume('user:1', long), await limiter.consume('user:1', short)],
      {
        policies: 'all',
      },
    )
    expect(headers['Retry-After']).toBe('29')
    expect(headers.RateLimit).toBe('"long";r=0;t=29, "short";r=0;t=4')
  })

  it('labels rules that share a name with their window, and escapes names for structured fields', async () => {
    const { limiter } = setup()
    const perMinute = { name: 'api', limit: 100, window: '1m' }
    const perHour = { name: 'api', limit: 1000, window: '1h' }
    expect(
      rateLimitHeaders(await limiter.consume('user:1', [perMinute, perHour]), { policies: 'all' }),
    ).toEqual({
      'RateLimit-Policy': '"api/1m";q=100;w=60, "api/1h";q=1000;w=3600',
      RateLimit: '"api/1m";r=99;t=60, "api/1h";r=999;t=3600',
    })
    const odd = await limiter.consume('user:1', { name: 'say "hi" \\ ünï', limit: 1, window: 500 })
    expect(rateLimitHeaders(odd)['RateLimit-Policy']).toBe('"say \\"hi\\" \\\\ ?n?";q=1;w=1')
  })

  it('sends no Retry-After for a cost that can never fit, and nothing for no decision', async () => {
    const { limiter } = setup()
    const never = await limiter.consume('user:1', burst, { cost: 3 })
    expect(never.reason).toBe('cost-exceeds-limit')
    expect(rateLimitHeaders(never)['Retry-After']).toBeUndefined()
    expect(retryAfterSeconds(never)).toBe(-1)
    expect(rateLimitHeaders([])).toEqual({})
    expect(new HeaderAccumulator().touched).toBe(false)
  })
})
