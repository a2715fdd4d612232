/**
 * The Lua script held to the models, despite Redis reading its own clock:
 *
 * - with windows far longer than a test run, nothing expires while it runs, so Redis must decide
 *   exactly like the memory store with a frozen clock (admission, usage, reasons, multi-rule
 *   atomicity, costs), for every algorithm (a token bucket refilling a token a day, a monthly quota);
 * - with log entries written straight into Redis at chosen ages (the packed layout the script
 *   reads), the first live entry, the usage and the exact wait are checked against the
 *   brute-force model, within the few milliseconds of Redis time that pass during one check.
 */
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import type { RateLimitRule } from '../../src/types.js'
import { ReferenceLog } from '../engine/reference-model.js'
import { limiterOn, manualClock, ready, redisClient } from '../helpers.js'
import { packLogEntry, redisTimeUs } from './packed-log.js'

let client: Redis

beforeAll(async () => {
  client = await ready(redisClient())
})

afterAll(() => {
  client.disconnect()
})

describe('Redis against the memory store, with windows longer than the run', () => {
  const L1: RateLimitRule = { name: 'L1', limit: 5, window: '1h', algorithm: 'sliding-log' }
  const L2: RateLimitRule = { name: 'L2', limit: 8, window: '1h', algorithm: 'sliding-log' }
  const W1: RateLimitRule = { name: 'W1', limit: 6, window: '1d', algorithm: 'sliding-window' }
  // A token a day (nothing refills during the run) and a monthly quota (no boundary during the run).
  const T1: RateLimitRule = { name: 'T1', limit: 1, window: '1d', algorithm: 'token-bucket', burst: 7 }
  const Q1: RateLimitRule = { name: 'Q1', limit: 9, period: 'month' }
  const SETS = [[L1], [L2], [W1], [L1, L2], [L1, W1], [L1, L2, W1], [T1], [Q1], [L1, T1, Q1], [W1, Q1]]
  const step = fc.record({
    set: fc.nat(SETS.length - 1),
    cost: fc.oneof(
      { arbitrary: fc.constant(1), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: 9 }), weight: 3 },
    ),
    identity: fc.nat(2),
    peek: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    together: fc.boolean(),
  })

  it('makes the same decisions, reports the same usage and plausible waits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const redis = limiterOn(client, 'model')
        // Mid-day, so the frozen clock sits inside one 1 d counter window like Redis does.
        const memory = createRateLimiter({
          store: new MemoryStore({ clock: manualClock(1_700_000_000_000 + 43_200_000) }),
        })
        const started = Date.now()
        // Steps marked `together` go to Redis in one batch, as concurrent requests would.
        for (let i = 0; i < steps.length; ) {
          let end = i + 1
          while (end < steps.length && steps[end]!.together && end - i < 20) end++
          const group = steps.slice(i, end)
          const call = (limiter: typeof redis, s: (typeof group)[number]) =>
            (s.peek ? limiter.peek : limiter.consume).call(limiter, `user:${s.identity}`, SETS[s.set]!, {
              cost: s.cost,
            })
          const fromRedis = await Promise.all(group.map((s) => call(redis, s)))
          const elapsed = Date.now() - started
          for (const [j, s] of group.entries()) {
            const want = await call(memory, s)
            const got = fromRedis[j]!
            expect([got.allowed, got.reason]).toEqual([want.allowed, want.reason])
            // On a refusal the binding rule is the longest wait, which real time may break ties of.
            if (want.allowed) expect([got.limit, got.remaining]).toEqual([want.limit, want.remaining])
            expect(got.rules.map((r) => [r.allowed, r.remaining])).toEqual(
              want.rules.map((r) => [r.allowed, r.remaining]),
            )
            got.rules.forEach((r, k) => {
              const rule = want.rules[k]!
              if (!r.allowed && Number.isFinite(rule.retryAfterMs) && rule.rule.algorithm === 'sliding-log') {
                // Every entry is younger than the run, so it leaves within (window − run, window].
                expect(r.retryAfterMs).toBeLessThanOrEqual(rule.retryAfterMs)
                expect(r.retryAfterMs).toBeGreaterThanOrEqual(rule.retryAfterMs - elapsed - 2)
              }
            })
          }
          i = end
        }
        await redis.close()
        await memory.close()
      }),
      { numRuns: 40 },
    )
  })
})

describe('the Lua sliding log against the brute-force model, on entries of chosen ages', () => {
  const WINDOW_MS = 10_000

  // Ages in ms, oldest first; none within 500 ms of the window edge, so the time that passes
  // during one run never moves an entry across it.
  const entries = fc
    .array(
      fc.record({
        age: fc.oneof(
          fc.integer({ min: 0, max: WINDOW_MS - 500 }),
          fc.integer({ min: WINDOW_MS + 500, max: 3 * WINDOW_MS }),
        ),
        cost: fc.oneof(
          { arbitrary: fc.constant(1), weight: 2 },
          { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 2 },
        ),
      }),
      { maxLength: 30 },
    )
    .map((list) => list.sort((a, b) => b.age - a.age))

  it('finds the usage and the exact wait, and records or trims consistently', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries,
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 13 }),
        async (log, limit, cost) => {
          const limiter = limiterOn(client, 'crafted')
          const rule: RateLimitRule = { name: 'crafted', limit, window: WINDOW_MS, algorithm: 'sliding-log' }
          const [key] = limiter.keys('user:1', rule)
          const t0 = await redisTimeUs(client)
          let total = 7 // any running total works: only differences matter
          // The model runs in Redis' unit, µs: its "windowMs" and waits are µs here.
          const model = new ReferenceLog()
          const modelRule = { key: 'k', limit, windowMs: WINDOW_MS * 1000 }
          // The script keeps at most `limit` live units; a crafted log must respect that too.
          const live = log.filter((e) => e.age < WINDOW_MS)
          if (live.reduce((sum, e) => sum + e.cost, 0) > limit) return
          if (log.length > 0) {
            await client.rpush(
              key!,
              ...log.map((e) => {
                total += e.cost
                model.history.set('k', [
                  ...(model.history.get('k') ?? []),
                  { at: t0 - e.age * 1000, cost: e.cost },
                ])
                return packLogEntry(t0 - e.age * 1000, total, e.cost)
              }),
            )
            await client.pexpire(key!, 3 * WINDOW_MS)
          }
          const expected = model.decide(t0, [modelRule], cost, false).rules[0]!
          const decision = await limiter.peek('user:1', rule, { cost })
          const t1 = await redisTimeUs(client)
          expect(decision.allowed).toBe(expected.allowed)
          // (A cost above the limit is answered without the store, so its usage is not known.)
          if (cost <= limit) {
            expect(decision.rules[0]!.remaining).toBe(
              Math.max(0, limit - expected.used - (expected.allowed ? cost : 0)),
            )
          }
          if (!expected.allowed && cost <= limit) {
            // The model's wait is in µs from t0; Redis read its clock somewhere in [t0, t1].
            expect(decision.retryAfterMs).toBeGreaterThanOrEqual(
              Math.ceil((t0 + expected.retryAfterMs - t1) / 1000),
            )
            expect(decision.retryAfterMs).toBeLessThanOrEqual(Math.ceil(expected.retryAfterMs / 1000))
          }
          const consumed = await limiter.consume('user:1', rule, { cost })
          expect(consumed.allowed).toBe(expected.allowed)
          const after = await limiter.peek('user:1', rule)
          const usedAfter = expected.used + (expected.allowed ? cost : 0)
          expect(after.rules[0]!.remaining).toBe(
            Math.max(0, limit - usedAfter - (usedAfter + 1 <= limit ? 1 : 0)),
          )
          if (expected.allowed) expect(await client.pttl(key!)).toBeGreaterThan(WINDOW_MS - 1000)
          await client.del(key!)
          await limiter.close()
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('the Lua token bucket against the continuous-bucket model, on crafted arrival times', () => {
  it('finds the tokens missing, the exact wait and the reset from a stored TAT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }), // limit per window
        fc.integer({ min: 0, max: 6 }), // burst − limit
        fc.integer({ min: 0, max: 3_000 }), // TAT ahead of now, in tokens × 1000
        fc.integer({ min: 1, max: 12 }),
        async (limit, extra, milliTokens, cost) => {
          const burst = limit + extra
          const windowMs = 10_000
          const interval = windowMs / limit // ms per token
          const limiter = limiterOn(client, 'crafted-bucket')
          const rule: RateLimitRule = { name: 'b', limit, window: windowMs, algorithm: 'token-bucket', burst }
          const [key] = limiter.keys('user:1', rule)
          const missing = Math.min(burst, milliTokens / 1000)
          const t0 = await redisTimeUs(client)
          const tat = Buffer.alloc(8)
          tat.writeDoubleLE(t0 + missing * interval * 1000, 0)
          await client.set(key!, tat, 'PX', 60_000)
          const decision = await limiter.peek('user:1', rule, { cost })
          const t1 = await redisTimeUs(client)
          // Redis read TIME somewhere in [t0, t1]: up to (t1 − t0) µs of refill happened.
          const refilled = (t1 - t0) / 1000 / interval
          if (cost > burst) {
            expect(decision.reason).toBe('cost-exceeds-limit')
          } else if (missing + cost <= burst) {
            expect(decision.allowed).toBe(true)
          } else if (missing - refilled + cost > burst) {
            expect(decision.allowed).toBe(false)
            const exactWaitMs = (missing + cost - burst) * interval
            expect(decision.retryAfterMs).toBeLessThanOrEqual(Math.max(1, Math.ceil(exactWaitMs)))
            expect(decision.retryAfterMs).toBeGreaterThanOrEqual(
              Math.max(1, Math.ceil(exactWaitMs - (t1 - t0) / 1000)),
            )
            // Whole tokens left: as at t0, or as at t1 (a crossing of a whole token while Redis ran).
            const left = (tokens: number) => Math.max(0, Math.floor(burst - tokens + 1e-9))
            expect([left(missing), left(missing - refilled)]).toContain(decision.rules[0]!.remaining)
          }
          await limiter.close()
        },
      ),
      { numRuns: 60 },
    )
  })
})
