/**
 * Durations are measured on a monotonic clock everywhere, not only in the memory store: a wall
 * clock set back or forward (NTP, an operator, a resumed VM) changes none of them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { monotonicNow } from '../../src/clock.js'
import { TtlCache } from '../../src/identity/ttl-cache.js'
import { createRateLimiter } from '../../src/index.js'
import { SwitchableStore, waitUntil } from '../resilience/switchable-store.js'

const HOUR = 3_600_000

/**
 * Takes over the wall clock (`Date.now`, and `performance.now` too with `monotonicStart`) before
 * anything reads it; `set(ms)` then moves only the wall clock, as an operator or NTP would.
 */
function wallClock(monotonicStart?: number) {
  const real = Date.now.bind(Date)
  let offset = 0
  vi.spyOn(Date, 'now').mockImplementation(() => real() + offset)
  let monotonic = monotonicStart ?? 0
  if (monotonicStart !== undefined) vi.spyOn(performance, 'now').mockImplementation(() => monotonic)
  return {
    set(offsetMs: number) {
      offset = offsetMs
    },
    /** Real time passing, for the monotonic clock (with `monotonicStart`). */
    pass(ms: number) {
      monotonic += ms
      offset += ms
    },
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the monotonic clock', () => {
  it('ignores wall-clock steps and reads in the epoch range', () => {
    const wall = wallClock()
    const before = monotonicNow()
    wall.set(-HOUR)
    const after = monotonicNow()
    expect(after - before).toBeGreaterThanOrEqual(0)
    expect(after - before).toBeLessThan(1_000)
    expect(Math.abs(after - (Date.now() + HOUR))).toBeLessThan(60_000)
  })
})

describe('the circuit breaker', () => {
  it('reports how long the store was down, not the wall-clock step that happened meanwhile', async () => {
    const wall = wallClock()
    const store = new SwitchableStore()
    const limiter = createRateLimiter({
      store,
      logger: false,
      timeoutMs: 50,
      circuitBreaker: { failureThreshold: 1, probeIntervalMs: 10 },
    })
    const downFor: number[] = []
    limiter.on('store-state', (event) => {
      if (event.state === 'up') downFor.push(event.downForMs!)
    })
    store.health = 'fail'
    await limiter.consume('user:1', { limit: 5, window: '1m' })
    expect(limiter.storeState).toBe('down')
    wall.set(-HOUR)
    store.health = 'up'
    await waitUntil(() => limiter.storeState === 'up')
    expect(downFor).toHaveLength(1)
    expect(downFor[0]).toBeGreaterThanOrEqual(0)
    expect(downFor[0]).toBeLessThan(5_000)
    await limiter.close()
  })
})

describe('the TTL cache of API-key lookups', () => {
  it('keeps an answer for its TTL when the wall clock jumps forward an hour', () => {
    const wall = wallClock()
    const cache = new TtlCache<string>(30_000, 10)
    cache.set('key', 'owner:1')
    wall.set(HOUR)
    expect(cache.get('key')).toBe('owner:1')
  })

  it('does not keep an answer past its TTL because the wall clock was set back', () => {
    const wall = wallClock(1_000)
    const cache = new TtlCache<string>(30_000, 10)
    cache.set('key', 'owner:1')
    wall.set(-HOUR)
    wall.pass(30_000)
    expect(cache.get('key')).toBeUndefined()
  })
})
