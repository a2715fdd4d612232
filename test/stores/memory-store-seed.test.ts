/**
 * `MemoryStore[SEED_USAGE]`: how the `'local'` failure policy hands the fallback store the usage
 * the main store last reported. A seed must never count less than the main store did, from the
 * moment it is planted until the main store's usage is gone, and nothing after.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/index.js'
import type { Algorithm, StoreRule } from '../../src/types.js'
import { SEED_USAGE } from '../../src/types.js'
import { manualClock } from '../helpers.js'

/** Usage under `rule` as a peek reports it, without the peek's own cost. */
function usedBy(store: MemoryStore, rule: StoreRule): number {
  const result = store.peek([rule], 1)
  return result.allowed ? result.rules[0]!.used - 1 : result.rules[0]!.used
}

describe('seeding a memory store', () => {
  it('holds a sliding log’s units until the reported reset, then drops them all', () => {
    const clock = manualClock(1_700_000_000_000)
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 })
    const rule: StoreRule = { key: 'k', algorithm: 'sliding-log', limit: 5, windowMs: 1_000 }
    store[SEED_USAGE](rule, 3, 400)
    expect(store.peek([rule], 2).rules[0]).toMatchObject({ used: 5, resetMs: 1_000 })
    expect(store.peek([rule], 3)).toMatchObject({ allowed: false, rules: [{ used: 3, retryAfterMs: 400 }] })
    clock.advance(399)
    expect(usedBy(store, rule)).toBe(3)
    clock.advance(1)
    expect(usedBy(store, rule)).toBe(0)
  })

  it('leaves a key alone that holds live usage of its own', () => {
    const store = new MemoryStore({ clock: manualClock(), sweepIntervalMs: 0 })
    const rule: StoreRule = { key: 'k', algorithm: 'sliding-log', limit: 5, windowMs: 1_000 }
    store.consume([rule], 1)
    store[SEED_USAGE](rule, 4, 900)
    expect(usedBy(store, rule)).toBe(1)
  })

  it.each<Algorithm>(['sliding-log', 'sliding-window'])(
    'never counts less than the %s store it was seeded from, and nothing once that one is empty (property)',
    (algorithm) => {
      const windowMs = 1_000
      const rule: StoreRule = { key: 'k', algorithm, limit: 20, windowMs }
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 5 * windowMs }),
          fc.array(
            fc.record({ wait: fc.integer({ min: 0, max: 700 }), cost: fc.integer({ min: 1, max: 4 }) }),
            {
              minLength: 1,
              maxLength: 12,
            },
          ),
          fc.integer({ min: 0, max: 2 * windowMs }),
          fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 12 }),
          (start, history, pause, later) => {
            const clock = manualClock(1_700_000_000_000 + start)
            const main = new MemoryStore({ clock, sweepIntervalMs: 0 })
            // What the limiter remembers: the last answer's usage and reset (the store's report).
            let report = { used: 0, resetMs: 0 }
            for (const { wait, cost } of history) {
              clock.advance(wait)
              report = main.consume([rule], cost).rules[0]!
            }
            clock.advance(pause) // the outage begins a while after the last answer
            const resetMs = report.resetMs - pause
            const seeded = new MemoryStore({ clock, sweepIntervalMs: 0 })
            seeded[SEED_USAGE](rule, report.used, resetMs)
            let elapsed = 0
            for (const step of [0, ...later]) {
              clock.advance(step)
              elapsed += step
              const truth = usedBy(main, rule)
              const seed = usedBy(seeded, rule)
              expect(seed).toBeGreaterThanOrEqual(truth - 1e-9)
              if (elapsed >= resetMs) expect(seed).toBe(0)
            }
            main.close()
            seeded.close()
          },
        ),
        { numRuns: 300 },
      )
    },
  )
})
