import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration, tryParseDuration } from '../../src/duration.js'
import { createRateLimiter, RateLimitConfigError } from '../../src/index.js'
import { resolveRule, resolveRules } from '../../src/rules.js'
import type { RateLimitRule } from '../../src/types.js'

const limiter = createRateLimiter()
const ok: RateLimitRule = { name: 'Query.search', limit: 10, window: '1m' }

async function configError(pending: Promise<unknown>): Promise<RateLimitConfigError> {
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(RateLimitConfigError)
  return error as RateLimitConfigError
}

describe('rule validation', () => {
  it.each([
    ['0', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '10'],
    ['above the maximum', 2_000_000_000],
  ])('rejects a %s limit, naming the rule and the field', async (_, limit) => {
    const error = await configError(limiter.consume('user:1', { ...ok, limit: limit as number }))
    expect(error.code).toBe('INVALID_RULE')
    expect(error.message).toMatch(
      /^Expected `limit` of rule "Query\.search" to be an integer from 1 to 1000000000, got /,
    )
  })

  it.each([
    ['soon', 'soon'],
    ['an empty string', ''],
    ['0', 0],
    ['a negative number', -5],
    ['a fractional string', '1.5s'],
    ['an unknown unit', '1x'],
    ['a repeated unit', '1m1m'],
    ['a fractional number', 1.5],
    ['more than a year', '400d'],
    ['a space', ' 1m'],
  ])('rejects a window that is %s, saying what is allowed', async (_, window) => {
    const error = await configError(limiter.consume('user:1', { ...ok, window }))
    expect(error.code).toBe('INVALID_RULE')
    expect(error.message).toMatch(
      /^Expected `window` of rule "Query\.search" to be a positive whole number of milliseconds or a duration like '500ms', '30s', '1m', '1h30m', '1d'/,
    )
    expect(error.message).toContain(`got ${typeof window === 'string' ? JSON.stringify(window) : window}`)
  })

  it.each([
    ['0', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
  ])('rejects a %s cost, naming the option', async (_, cost) => {
    const error = await configError(limiter.consume('user:1', ok, { cost }))
    expect(error.code).toBe('INVALID_COST')
    expect(error.message).toMatch(/^Expected `cost` to be an integer from 1 to 1000000000, got /)
  })

  it.each([
    ['empty', ''],
    ['not a string', 42],
    ['undefined', undefined],
  ])('rejects an identity that is %s', async (_, identity) => {
    const error = await configError(limiter.consume(identity as string, ok))
    expect(error.code).toBe('INVALID_IDENTITY')
    expect(error.message).toMatch(/^Expected the identity to be a non-empty string such as "user:42"/)
  })

  it('rejects the other rule fields with messages naming them', async () => {
    const cases: Array<[Partial<RateLimitRule> & Record<string, unknown>, RegExp]> = [
      [{ name: '' }, /`name` of rule "" to be a non-empty string/],
      [
        { algorithm: 'fixed-window' as never },
        /`algorithm` of rule "Query\.search" to be 'sliding-log', 'sliding-window' or 'token-bucket', got "fixed-window"/,
      ],
      [
        { onStoreError: 'maybe' as never },
        /`onStoreError` of rule "Query\.search" to be 'local', 'open' or 'closed'/,
      ],
      [{ shadow: 'yes' as never }, /`shadow` of rule "Query\.search" to be a boolean/],
    ]
    for (const [change, message] of cases) {
      const error = await configError(limiter.consume('user:1', { ...ok, ...change }))
      expect(error.code).toBe('INVALID_RULE')
      expect(error.message).toMatch(message)
    }
    expect((await configError(limiter.consume('user:1', { limit: 0, window: '1m' }))).message).toMatch(
      /^Expected `limit` of rule to be/,
    )
  })

  it('rejects an empty rule list, a non-object rule and two identical rules in one check', async () => {
    expect((await configError(limiter.consume('user:1', []))).message).toMatch(/at least one rule/)
    expect((await configError(limiter.consume('user:1', null as never))).message).toMatch(
      /Expected a rule object, got null/,
    )
    expect((await configError(limiter.consume('user:1', [ok, { ...ok }]))).message).toMatch(
      /two rules have the same name/,
    )
  })

  it('rejects programmer errors from peek, reset and keys too, but never for a spent budget', async () => {
    await configError(limiter.peek('user:1', { ...ok, limit: 0 }))
    await configError(limiter.reset('user:1', { ...ok, window: 'soon' }))
    expect(() => limiter.keys('', ok)).toThrow(RateLimitConfigError)
    const rule = { name: 'spent', limit: 1, window: '1m' }
    await limiter.consume('user:1', rule)
    await expect(limiter.consume('user:1', rule)).resolves.toMatchObject({ allowed: false })
  })
})

describe('rule resolution', () => {
  it('resolves a rule object once: the same frozen resolved rule comes back', () => {
    const rule: RateLimitRule = { name: 'once', limit: 5, window: '30s' }
    const resolved = resolveRule(rule)
    expect(resolveRule(rule)).toBe(resolved)
    expect(Object.isFrozen(resolved)).toBe(true)
    expect(resolved).toMatchObject({
      name: 'once',
      limit: 5,
      windowMs: 30_000,
      algorithm: 'sliding-log',
      shadow: false,
    })
    const list = [rule, { name: 'other', limit: 5, window: '30s' }]
    expect(resolveRules(list)).toBe(resolveRules(list))
    expect(resolveRules(list)[0]).toBe(resolved)
  })

  it('does not validate a cached rule object again on the hot path', () => {
    const rule: RateLimitRule = { name: 'cached', limit: 5, window: '30s' }
    const resolved = resolveRule(rule)
    // Rules are treated as immutable after first use: a later change is not seen (or re-validated).
    rule.limit = 0
    expect(resolveRule(rule)).toBe(resolved)
    expect(() => resolveRule({ ...rule })).toThrow(/`limit`/)
  })

  it('gives equal rules written as separate objects the same id', () => {
    const a = resolveRule({ name: 'same', limit: 5, window: '1m' })
    const b = resolveRule({ name: 'same', limit: 5, window: 60_000 })
    expect(b.id).toBe(a.id)
    expect(resolveRule({ name: 'same', limit: 6, window: '1m' }).id).not.toBe(a.id)
  })

  it('chooses the exact sliding log up to 1000 and the counter above, unless the rule says', () => {
    expect(resolveRule({ limit: 1000, window: '1m' }).algorithm).toBe('sliding-log')
    expect(resolveRule({ limit: 1001, window: '1m' }).algorithm).toBe('sliding-window')
    expect(resolveRule({ limit: 5000, window: '1m', algorithm: 'sliding-log' }).algorithm).toBe('sliding-log')
    expect(resolveRule({ limit: 5, window: '1m', algorithm: 'sliding-window' }).algorithm).toBe(
      'sliding-window',
    )
    expect(resolveRule({ limit: 5, window: '1m' }).name).toBe('default')
  })
})

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['30m1h', 5_400_000],
    ['1d', 86_400_000],
    ['1m30s250ms', 90_250],
    ['366d', 366 * 86_400_000],
    [250, 250],
  ])('parses %j as %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
    expect(tryParseDuration(input)).toBe(ms)
  })

  it.each([
    '',
    'soon',
    '1.5s',
    '1x',
    '1m1m',
    '1M',
    ' 1m',
    '1m ',
    '-1s',
    'ms',
    '0s',
    '367d',
    0,
    -5,
    1.5,
    Number.NaN,
  ])('rejects %j', (input) => {
    expect(tryParseDuration(input as string)).toBeUndefined()
    expect(() => parseDuration(input as string, '`window`')).toThrow(RateLimitConfigError)
  })

  it('formats milliseconds as the shortest duration string', () => {
    expect(formatDuration(90_000)).toBe('1m30s')
    expect(formatDuration(5_400_000)).toBe('1h30m')
    expect(formatDuration(500)).toBe('500ms')
    expect(formatDuration(86_400_000 + 1)).toBe('1d1ms')
  })
})

describe('a run of checks of one identity', () => {
  it('still validates every call and keys each by its own rules and cost', async () => {
    const own = createRateLimiter()
    const other: RateLimitRule = { name: 'Query.other', limit: 1, window: '1m' }
    expect((await own.consume('user:run', ok)).remaining).toBe(9)
    // The same identity again, with other rules, another cost, an invalid identity or invalid rules.
    expect((await own.consume('user:run', other)).remaining).toBe(0)
    expect((await own.consume('user:run', ok, { cost: 3 })).remaining).toBe(6)
    expect((await own.consume('user:run', ok)).remaining).toBe(5)
    expect((await configError(own.consume('', ok))).code).toBe('INVALID_IDENTITY')
    expect((await configError(own.consume(undefined as unknown as string, ok))).code).toBe('INVALID_IDENTITY')
    expect((await configError(own.consume('user:run', { ...ok, limit: 0 }))).code).toBe('INVALID_RULE')
    await own.close()
  })

  it('rejects an invalid identity as the first call of a limiter', async () => {
    const fresh = createRateLimiter()
    expect((await configError(fresh.consume(undefined as unknown as string, ok))).code).toBe(
      'INVALID_IDENTITY',
    )
    await fresh.close()
  })
})
