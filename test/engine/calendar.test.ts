import { describe, expect, it } from 'vitest'
import { Calendar, calendarOf, periodsAround } from '../../src/calendar.js'
import { createRateLimiter, logShadowDecisions, MemoryStore, RateLimitConfigError } from '../../src/index.js'
import { resolveRule } from '../../src/rules.js'
import type { RateLimitRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'

const HOUR = 3_600_000
const at = (iso: string): number => Date.parse(iso)
const period = (unit: 'day' | 'week' | 'month', zone: string, iso: string): [string, string, number] => {
  const { start, end } = new Calendar(unit, zone).bounds(at(iso))
  return [new Date(start).toISOString(), new Date(end).toISOString(), (end - start) / HOUR]
}

describe('calendar periods', () => {
  it.each([
    // America/New_York: DST starts 8 March 2026 at 02:00 (a 23-hour day), ends 1 November (25 hours).
    [
      'day',
      'America/New_York',
      '2026-03-08T12:00:00Z',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      23,
    ],
    [
      'day',
      'America/New_York',
      '2026-11-01T12:00:00Z',
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      25,
    ],
    [
      'day',
      'America/New_York',
      '2026-03-08T04:59:59Z',
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
      24,
    ],
    // Europe/Berlin: 29 March 2026 (23 h), 25 October 2026 (25 h).
    [
      'day',
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      23,
    ],
    [
      'day',
      'Europe/Berlin',
      '2026-10-25T12:00:00Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      25,
    ],
    // Havana skips midnight (00:00 → 01:00): the day starts at 01:00, the first instant it has.
    [
      'day',
      'America/Havana',
      '2024-03-10T12:00:00Z',
      '2024-03-10T05:00:00.000Z',
      '2024-03-11T04:00:00.000Z',
      23,
    ],
    // ISO weeks start on Monday; the week of a DST change is 167 hours.
    ['week', 'UTC', '2026-12-05T12:00:00Z', '2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z', 168],
    ['week', 'UTC', '2026-12-07T00:00:00Z', '2026-12-07T00:00:00.000Z', '2026-12-14T00:00:00.000Z', 168],
    [
      'week',
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      '2026-03-22T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      167,
    ],
    [
      'week',
      'Europe/Berlin',
      '2026-03-29T22:30:00Z',
      '2026-03-29T22:00:00.000Z',
      '2026-04-05T22:00:00.000Z',
      168,
    ],
    // Months: a leap February, month ends in zones ahead of and behind UTC.
    ['month', 'UTC', '2028-02-29T23:59:59Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z', 29 * 24],
    ['month', 'UTC', '2027-02-15T00:00:00Z', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z', 28 * 24],
    [
      'month',
      'America/New_York',
      '2026-03-01T03:00:00Z',
      '2026-02-01T05:00:00.000Z',
      '2026-03-01T05:00:00.000Z',
      28 * 24,
    ],
    [
      'month',
      'America/New_York',
      '2026-03-15T00:00:00Z',
      '2026-03-01T05:00:00.000Z',
      '2026-04-01T04:00:00.000Z',
      31 * 24 - 1,
    ],
    [
      'month',
      'Asia/Kolkata',
      '2026-12-31T19:00:00Z',
      '2026-12-31T18:30:00.000Z',
      '2027-01-31T18:30:00.000Z',
      31 * 24,
    ],
    [
      'month',
      'Pacific/Kiritimati',
      '2026-12-31T09:00:00Z',
      '2026-11-30T10:00:00.000Z',
      '2026-12-31T10:00:00.000Z',
      31 * 24,
    ],
  ] as const)('%s in %s at %s is [%s, %s), %d hours', (unit, zone, iso, start, end, hours) => {
    expect(period(unit, zone, iso)).toEqual([start, end, hours])
  })

  it('lists the periods around an instant: previous start, start, end, next end', () => {
    const calendar = calendarOf('day', 'UTC', 'rule')
    expect(periodsAround(calendar, at('2026-12-05T12:00:00Z'))).toEqual([
      at('2026-12-04T00:00:00Z'),
      at('2026-12-05T00:00:00Z'),
      at('2026-12-06T00:00:00Z'),
      at('2026-12-07T00:00:00Z'),
    ])
    // Any calendar shaped like one works, not only this module's.
    const plain = { bounds: (t: number) => calendar.bounds(t) }
    expect(periodsAround(plain, at('2026-12-05T12:00:00Z'))).toEqual(
      periodsAround(calendar, at('2026-12-05T12:00:00Z')),
    )
  })

  it('is shared per period and zone, so its cache serves every rule', () => {
    expect(calendarOf('week', 'Europe/Berlin', 'rule')).toBe(calendarOf('week', 'Europe/Berlin', 'other'))
  })
})

describe('calendar quota on the memory store with an injected clock', () => {
  it('resets at midnight New York time across the spring DST change (a 23-hour day)', async () => {
    const clock = manualClock(at('2026-03-08T04:59:59.000Z')) // 23:59:59 on 7 March in New York
    const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
    const daily: RateLimitRule = { name: 'daily', limit: 2, period: 'day', timeZone: 'America/New_York' }
    await limiter.consume('user:1', daily, { cost: 2 })
    expect(await limiter.consume('user:1', daily)).toMatchObject({ allowed: false, retryAfterMs: 1000 })
    clock.advance(1000)
    const next = await limiter.consume('user:1', daily, { cost: 2 })
    expect(next).toMatchObject({ allowed: true, remaining: 0, resetMs: 23 * HOUR })
    clock.advance(23 * HOUR - 1)
    expect((await limiter.peek('user:1', daily)).allowed).toBe(false)
    clock.advance(1)
    expect(await limiter.peek('user:1', daily)).toMatchObject({ allowed: true, remaining: 1 })
    await limiter.close()
  })

  it('counts a month in Berlin from the 1st 00:00 local time, across a leap day', async () => {
    const clock = manualClock(at('2028-02-29T22:59:59.000Z')) // 23:59:59 on 29 February in Berlin
    const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
    const monthly: RateLimitRule = { name: 'monthly', limit: 5, period: 'month', timeZone: 'Europe/Berlin' }
    expect(await limiter.consume('user:1', monthly, { cost: 5 })).toMatchObject({
      allowed: true,
      resetMs: 1000,
    })
    clock.advance(1000)
    const march = await limiter.consume('user:1', monthly)
    expect(march).toMatchObject({ allowed: true, remaining: 4, resetMs: (31 * 24 - 1) * HOUR })
    await limiter.close()
  })

  it('keeps counting in the later period when an injected clock steps back across a boundary', async () => {
    const clock = manualClock(at('2026-12-06T00:00:00.500Z'))
    const store = new MemoryStore({ clock })
    const limiter = createRateLimiter({ store })
    const daily: RateLimitRule = { name: 'daily', limit: 3, period: 'day' }
    await limiter.consume('user:1', daily, { cost: 3 })
    clock.advance(-1000) // the store absorbs the step back: its time stays in the new day
    expect((await limiter.consume('user:1', daily)).allowed).toBe(false)
    await limiter.close()
  })
})

describe('shadow mode with a calendar quota and a token bucket', () => {
  it('admits what the shadow rules would refuse, says so, and names their budgets in the log line', async () => {
    const clock = manualClock(at('2026-12-05T12:00:00Z'))
    const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
    const daily: RateLimitRule = {
      name: 'daily',
      limit: 2,
      period: 'day',
      timeZone: 'Europe/Berlin',
      shadow: true,
    }
    const bucket: RateLimitRule = {
      name: 'bucket',
      limit: 1,
      window: '1m',
      algorithm: 'token-bucket',
      burst: 2,
      shadow: true,
    }
    await limiter.consume('user:1', [daily, bucket], { cost: 1 })
    const lines: string[] = []
    const stop = logShadowDecisions(limiter, { warn: (line) => lines.push(line) })
    const shadowed = await limiter.consume('user:1', [daily, bucket], { cost: 2 })
    expect(shadowed).toMatchObject({ allowed: true, reason: 'shadow' })
    expect(lines).toEqual([
      // 13:00 in Berlin: the day ends in 11 hours.
      '[resolver-rate-limit] shadow: would have refused user:1 on "daily" (2 per day (Europe/Berlin)), "bucket" (1 per 1m (burst 2)), cost 2, retry in 39600 s',
    ])
    stop()
    await limiter.close()
  })
})

describe('calendar and token bucket rule validation', () => {
  const error = (rule: unknown): RateLimitConfigError => {
    try {
      resolveRule(rule as RateLimitRule)
    } catch (e) {
      expect(e).toBeInstanceOf(RateLimitConfigError)
      expect((e as RateLimitConfigError).code).toBe('INVALID_RULE')
      return e as RateLimitConfigError
    }
    throw new Error('expected the rule to be rejected')
  }

  it.each([
    [
      { name: 'q', limit: 1, period: 'year' },
      /^Expected `period` of rule "q" to be 'day', 'week' or 'month', got /,
    ],
    [
      { name: 'q', limit: 1, period: 'day', timeZone: 'Mars/Olympus' },
      /^Expected `timeZone` of rule "q" to be an IANA time zone name/,
    ],
    [{ name: 'q', limit: 1, period: 'day', timeZone: '' }, /`timeZone` of rule "q"/],
    [{ name: 'q', limit: 1, timeZone: 'UTC' }, /`period` of rule "q"/],
    [
      { name: 'q', limit: 1, period: 'day', window: '1d' },
      /^Expected rule "q" to have either `window` or `period`, not both/,
    ],
    [
      { name: 'q', limit: 1, period: 'day', algorithm: 'sliding-log' },
      /with `period` to have no `algorithm` or `burst`/,
    ],
    [{ name: 'q', limit: 1 }, /^Expected rule "q" to have a `window` \(e\.g\. '1m'\) or a calendar `period`/],
    [
      { name: 'b', limit: 1, window: '1s', burst: 3 },
      /^Expected `burst` of rule "b" only with algorithm 'token-bucket'/,
    ],
    [
      { name: 'b', limit: 1, window: '1s', algorithm: 'token-bucket', burst: 0 },
      /^Expected `burst` of rule "b" to be an integer from 1 to 1000000000, got 0/,
    ],
    [{ name: 'b', limit: 1, window: '1s', algorithm: 'token-bucket', burst: 1.5 }, /`burst` of rule "b"/],
    [
      { name: 'b', limit: 1, window: '1s', algorithm: 'leaky' },
      /'sliding-log', 'sliding-window' or 'token-bucket', got "leaky"/,
    ],
  ])('rejects %o naming the field', (rule, message) => {
    expect(error(rule).message).toMatch(message)
  })

  it('gives a bucket with a different burst, and a quota in another zone, a budget of its own', () => {
    const a = resolveRule({ name: 'x', limit: 5, window: '1s', algorithm: 'token-bucket' })
    const b = resolveRule({ name: 'x', limit: 5, window: '1s', algorithm: 'token-bucket', burst: 10 })
    expect(a.burst).toBe(5)
    expect(b.burst).toBe(10)
    expect(a.id).not.toBe(b.id)
    const utc = resolveRule({ name: 'x', limit: 5, period: 'day' })
    const berlin = resolveRule({ name: 'x', limit: 5, period: 'day', timeZone: 'Europe/Berlin' })
    expect(utc).toMatchObject({ algorithm: 'calendar', windowMs: 86_400_000, burst: 5 })
    expect(utc.id).not.toBe(berlin.id)
  })

  it('keeps the ids of window rules as they were (upgrading keeps their counts)', () => {
    expect(resolveRule({ name: 'Query.search', limit: 10, window: '1m', algorithm: 'sliding-log' }).id).toBe(
      resolveRule({ name: 'Query.search', limit: 10, window: 60_000 }).id,
    )
    // The ids the previous version gave these rules.
    expect(resolveRule({ name: 'Query.search', limit: 10, window: '1m' }).id).toBe('Query.search:9GjIl6KQ')
    expect(resolveRule({ name: 'c', limit: 5000, window: '1h' }).id).toBe('c:OKGdxWlB')
  })
})
