/**
 * The memory store measures windows with a monotonic clock: setting the wall clock back or forward
 * (NTP, an operator, a resumed VM) neither extends nor shortens a block. An injected clock that
 * steps back is absorbed too.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryStore } from '../../src/index.js'
import type { Algorithm, StoreRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'

const HOUR = 3_600_000
const WINDOW = 60_000
const ALGORITHMS: Algorithm[] = ['sliding-log', 'sliding-window']
const rule = (algorithm: Algorithm): StoreRule => ({
  key: `k:${algorithm}`,
  algorithm,
  limit: 2,
  windowMs: WINDOW,
})

/**
 * Takes over both clocks the process has: the wall clock (`Date.now`) and the monotonic one
 * (`performance.now`). `pass(ms)` is real time passing (both move); `setWall(ms)` moves only the
 * wall clock, as an operator or NTP would.
 */
function twoClocks() {
  let monotonic = 1_000
  let wall = Date.UTC(2025, 0, 1)
  vi.spyOn(performance, 'now').mockImplementation(() => monotonic)
  vi.spyOn(Date, 'now').mockImplementation(() => wall)
  return {
    pass(ms: number) {
      monotonic += ms
      wall += ms
    },
    setWall(ms: number) {
      wall += ms
    },
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the memory store’s default clock', () => {
  it.each(ALGORITHMS)(
    'keeps a %s block exactly one window long when the wall clock is set back an hour',
    (algorithm) => {
      const clocks = twoClocks()
      const store = new MemoryStore({ sweepIntervalMs: 0 })
      const r = rule(algorithm)
      expect(store.consume([r], 2).allowed).toBe(true)
      clocks.setWall(-HOUR)
      clocks.pass(WINDOW / 2)
      const blocked = store.consume([r], 1)
      expect(blocked.allowed).toBe(false)
      expect(blocked.rules[0]!.retryAfterMs).toBeLessThanOrEqual(WINDOW + WINDOW / 2) // never an hour
      clocks.pass(blocked.rules[0]!.retryAfterMs)
      expect(store.consume([r], 1).allowed).toBe(true)
    },
  )

  it.each(ALGORITHMS)(
    'does not end a %s block early when the wall clock is set forward an hour',
    (algorithm) => {
      const clocks = twoClocks()
      const store = new MemoryStore({ sweepIntervalMs: 0 })
      const r = rule(algorithm)
      expect(store.consume([r], 2).allowed).toBe(true)
      clocks.setWall(HOUR)
      clocks.pass(1)
      const blocked = store.consume([r], 1)
      expect(blocked.allowed).toBe(false)
      expect(blocked.rules[0]!.retryAfterMs).toBeGreaterThan(WINDOW / 2)
    },
  )

  it('reads the monotonic clock anchored at the process start, in the epoch range', () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 })
    const r: StoreRule = {
      key: 'anchor',
      algorithm: 'sliding-window',
      limit: 1,
      windowMs: 10 * 365 * 24 * HOUR,
    }
    store.consume([r], 1)
    // A counter's window is [k·W, (k+1)·W) of the store's time: its reset says where `now` stands.
    const resetMs = store.peek([r], 1).rules[0]!.resetMs
    const now = performance.timeOrigin + performance.now()
    const windowEnd = (Math.floor(now / r.windowMs) + 2) * r.windowMs
    expect(Math.abs(now + resetMs - windowEnd)).toBeLessThan(1_000)
  })
})

describe('an injected clock that steps back', () => {
  it.each(ALGORITHMS)('is absorbed: a %s block still ends one window after it began', (algorithm) => {
    const clock = manualClock()
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 })
    const r = rule(algorithm)
    expect(store.consume([r], 2).allowed).toBe(true)
    clock.advance(-HOUR)
    clock.advance(WINDOW / 2)
    const blocked = store.consume([r], 1)
    expect(blocked.allowed).toBe(false)
    expect(blocked.rules[0]!.retryAfterMs).toBeLessThanOrEqual(WINDOW + WINDOW / 2)
    clock.advance(blocked.rules[0]!.retryAfterMs)
    expect(store.consume([r], 1).allowed).toBe(true)
  })

  it('keeps the sliding log exact across the step: the entries leave the window in the order recorded', () => {
    const clock = manualClock()
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 })
    const r: StoreRule = { key: 'log', algorithm: 'sliding-log', limit: 2, windowMs: 1_000 }
    store.consume([r], 1)
    clock.advance(-500) // absorbed: the store's time stays where it was
    expect(store.consume([r], 1).rules[0]!.resetMs).toBe(1_000)
    clock.advance(999)
    expect(store.consume([r], 1).allowed).toBe(false)
    clock.advance(1)
    expect(store.consume([r], 1).allowed).toBe(true)
  })
})
