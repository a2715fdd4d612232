import { afterAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RateLimitConfigError } from '../../src/index.js'
import { type RateLimitOptions, rateLimit } from '../../src/trpc/index.js'

const limiter = createRateLimiter({ logger: false })
afterAll(() => limiter.close())

function failure(options: unknown): RateLimitConfigError {
  try {
    rateLimit(options as RateLimitOptions)
  } catch (error) {
    if (error instanceof RateLimitConfigError) return error
    throw error
  }
  throw new Error('Expected rateLimit() to throw')
}

describe('rateLimit() validates its options when it is called', () => {
  it.each([
    [{ limit: 1, window: '1m' }, /`limiter`/],
    [{ limiter, window: '1m' }, /`limit` and `window`/],
    [{ limiter, limit: 1 }, /`limit` and `window`/],
    [{ limiter, limit: 0, window: '1m' }, /`limit`.*got 0/],
    [{ limiter, limit: 1.5, window: '1m' }, /`limit`/],
    [{ limiter, limit: 1, window: 'soon' }, /`window`/],
    [
      { limiter, limit: 1, window: '1m', rules: [{ limit: 1, window: '1s' }] },
      /either `limit` and `window` \(or `period`\), or `rules`/,
    ],
    [{ limiter, rules: [] }, /`rules`/],
    [
      {
        limiter,
        rules: [
          { limit: 1, window: '1s' },
          { limit: -1, window: '1h' },
        ],
      },
      /`limit`/,
    ],
    [{ limiter, limit: 1, window: '1m', name: '' }, /`name`/],
    [{ limiter, limit: 1, window: '1m', cost: 0 }, /`cost`.*got 0/],
    [{ limiter, limit: 1, window: '1m', cost: '2' }, /`cost`/],
    [{ limiter, limit: 1, window: '1m', identify: 'user' }, /`identify`/],
    [{ limiter, limit: 1, window: '1m', algorithm: 'leaky-bucket' }, /`algorithm`/],
    [{ limiter, limit: 1, window: '1m', shadow: 'yes' }, /`shadow`/],
    [{ limiter, limit: 1, window: '1m', onStoreError: 'retry' }, /`onStoreError`/],
    [{ limiter, limit: 1, window: '1m', onError: 'ignore' }, /`onError`/],
    [{ limiter, limit: 1, window: '1m', message: 'slow down' }, /`message`/],
  ])('rejects %o with an error naming the option', (options, pattern) => {
    const error = failure(options)
    expect(error.code).toBe('INVALID_OPTION')
    expect(error.message).toMatch(/^rateLimit\(\): /)
    expect(error.message).toMatch(pattern)
  })

  it('rejects a missing options object', () => {
    expect(failure(undefined).message).toMatch(/options object/)
  })

  it('accepts every valid form', () => {
    expect(typeof rateLimit({ limiter, limit: 10, window: '1m' })).toBe('function')
    expect(
      typeof rateLimit({ limiter, limit: 10, window: 60_000, name: 'shared', cost: 2, shadow: false }),
    ).toBe('function')
    const rules = [
      { limit: 5, window: '10s' },
      { limit: 100, window: '1h', algorithm: 'sliding-window' as const },
    ]
    expect(typeof rateLimit({ limiter, rules, cost: () => 1, onError: 'open', onStoreError: 'closed' })).toBe(
      'function',
    )
  })
})
