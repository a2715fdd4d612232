/**
 * The memory store's sliding log keeps the requests of one whole millisecond in one entry, at the
 * latest one's time (see `memory-log.ts`). With a clock that reads fractions of a millisecond, as
 * the default monotonic clock does, that must stay on the safe side of the exact log, and by less
 * than a millisecond:
 *
 * - never more than `limit` admitted in any interval of `window` ms of real (fractional) time;
 * - usage reported is at least the exact usage over the last `window` ms of the requests it
 *   admitted, and at most that over the last `window + 1` ms;
 * - it admits exactly when that reported usage plus the cost fits, so a refusal the exact log would
 *   not make comes only from an entry in its last millisecond.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { manualClock } from '../helpers.js'

const LIMIT = 4
const WINDOW = 100

interface Step {
  /** Milliseconds to move the clock first, fractions included. */
  wait: number
  cost: number
}

const steps = fc.array(
  fc.record<Step>({
    wait: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      // Fractions of a millisecond: several requests land in one millisecond, or just across one.
      { arbitrary: fc.integer({ min: 1, max: 999 }).map((n) => n / 1000), weight: 4 },
      { arbitrary: fc.integer({ min: 1, max: 15_000 }).map((n) => n / 100), weight: 3 },
    ),
    cost: fc.oneof(
      { arbitrary: fc.constant(1), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 },
    ),
  }),
  { minLength: 1, maxLength: 120 },
)

/** Units of `admitted` requests in (t − windowMs, t]. */
function usedOver(admitted: ReadonlyArray<readonly [number, number]>, t: number, windowMs: number): number {
  let sum = 0
  for (const [at, cost] of admitted) if (at > t - windowMs && at <= t) sum += cost
  return sum
}

describe('memory sliding log on a fractional clock (one entry per millisecond)', () => {
  it('stays within one millisecond of the exact log, on the refusing side', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.integer({ min: 0, max: 999 }), async (run, start) => {
        const clock = manualClock(1_700_000_000_000 + start / 1000)
        const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }) })
        const rule = { name: 'r', limit: LIMIT, window: WINDOW }
        const admitted: Array<readonly [number, number]> = []
        for (const step of run) {
          clock.advance(step.wait)
          const now = clock()
          const decision = await limiter.consume('user:1', rule, { cost: step.cost })
          const used = LIMIT - decision.rules[0]!.remaining - (decision.allowed ? step.cost : 0)
          expect(used).toBeGreaterThanOrEqual(usedOver(admitted, now, WINDOW))
          expect(used).toBeLessThanOrEqual(usedOver(admitted, now, WINDOW + 1))
          expect(decision.allowed).toBe(used + step.cost <= LIMIT)
          if (!decision.allowed) continue
          admitted.push([now, step.cost])
          // Every window-long interval ending at an admission holds at most the limit.
          expect(usedOver(admitted, now, WINDOW)).toBeLessThanOrEqual(LIMIT)
        }
        await limiter.close()
      }),
      { numRuns: 300 },
    )
  })

  it('refuses at most the last fraction of a millisecond longer than the exact log', async () => {
    const clock = manualClock(1_700_000_000_000.125)
    const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }) })
    const rule = { name: 'r', limit: 2, window: WINDOW }
    await limiter.consume('user:1', rule) // at .125
    clock.advance(0.75)
    await limiter.consume('user:1', rule) // at .875, the same millisecond: one entry of 2, at .875
    clock.advance(9.5) // 10.375
    const refused = await limiter.consume('user:1', rule)
    expect(refused.allowed).toBe(false)
    // Exact: the first request leaves at 100.125, 89.75 ms from now (90 in whole ms); the entry
    // leaves at 100.875: 90.5 ms from now, 91 in whole ms.
    expect(refused.retryAfterMs).toBe(91)
    clock.advance(90) // 100.375: the exact log would admit one; the entry still counts both
    expect((await limiter.consume('user:1', rule)).allowed).toBe(false)
    clock.advance(1)
    const again = await limiter.consume('user:1', rule, { cost: 2 })
    expect(again.allowed).toBe(true)
    await limiter.close()
  })
})
