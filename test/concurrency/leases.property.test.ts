/**
 * Interleavings of acquire, release (once or twice) and time passing, on each store, against a
 * model: per identity and name, the set of leases that are held and unexpired. The store must
 * admit exactly when the model has fewer than `max` live leases, report the model's count, and
 * never let a repeated release free someone else's slot.
 */
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ConcurrencyDecision,
  createRateLimiter,
  MemoryStore,
  type RateLimiter,
  RedisStore,
} from '../../src/index.js'
import { manualClock, ready, redisClient, uniquePrefix } from '../helpers.js'

const LEASE_MS = 60_000

type Step =
  | { kind: 'acquire'; identity: string; name: string; max: number }
  | { kind: 'release'; pick: number }
  | { kind: 'advance'; ms: number }

const acquire = fc.record({
  kind: fc.constant('acquire' as const),
  identity: fc.constantFrom('user:1', 'user:2'),
  name: fc.constantFrom('x', 'y'),
  max: fc.integer({ min: 1, max: 3 }),
})
const release = fc.record({ kind: fc.constant('release' as const), pick: fc.nat() })
const advance = fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 40_000 }) })

/** The model: per identity and name, lease → expiry. */
class LeaseModel {
  readonly #leases = new Map<string, Map<number, number>>()
  now = 0

  acquire(key: string, id: number, max: number): { allowed: boolean; active: number } {
    const live = this.#live(key)
    if (live.size >= max) return { allowed: false, active: live.size }
    live.set(id, this.now + LEASE_MS)
    return { allowed: true, active: live.size }
  }

  release(key: string, id: number): void {
    this.#leases.get(key)?.delete(id)
  }

  #live(key: string): Map<number, number> {
    let live = this.#leases.get(key)
    if (!live) {
      live = new Map()
      this.#leases.set(key, live)
    }
    for (const [id, expiresAt] of live) if (expiresAt <= this.now) live.delete(id)
    return live
  }
}

async function play(limiter: RateLimiter, steps: Step[], move?: (ms: number) => void): Promise<void> {
  const model = new LeaseModel()
  const held: Array<{ key: string; id: number; decision: ConcurrencyDecision }> = []
  let next = 0
  for (const step of steps) {
    if (step.kind === 'advance') {
      if (!move) continue
      move(step.ms)
      model.now += step.ms
    } else if (step.kind === 'release') {
      if (held.length === 0) continue
      const lease = held[step.pick % held.length]!
      await lease.decision.release() // the same lease may be released again: nothing more is freed
      model.release(lease.key, lease.id)
    } else {
      const key = `${step.identity}|${step.name}`
      const decision = await limiter.acquire(step.identity, {
        name: step.name,
        max: step.max,
        leaseMs: LEASE_MS,
      })
      const id = next++
      const expected = model.acquire(key, id, step.max)
      expect({ allowed: decision.allowed, active: decision.active }).toEqual(expected)
      expect(decision.policy).toBeUndefined()
      if (decision.allowed) held.push({ key, id, decision })
    }
  }
}

const steps = fc.array(fc.oneof(acquire, acquire, release, advance), { minLength: 1, maxLength: 40 })

describe('acquire and release interleavings against the model', () => {
  it('on the memory store, time passing included (leases expire unrenewed)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (run) => {
        const clock = manualClock()
        // Renewal runs on real timers (every 20 s here): a run ends long before one fires.
        const limiter = createRateLimiter({ store: new MemoryStore({ clock }), logger: false })
        try {
          await play(limiter, run, (ms) => clock.advance(ms))
        } finally {
          await limiter.close()
        }
      }),
      { numRuns: 200 },
    )
  })

  describe('on Redis (leases longer than the run)', () => {
    let client: Redis
    beforeAll(async () => {
      client = await ready(redisClient())
    })
    afterAll(() => client.disconnect())

    it('decides like the model', async () => {
      await fc.assert(
        fc.asyncProperty(steps, async (run) => {
          const limiter = createRateLimiter({
            store: new RedisStore({ client, logger: false }),
            prefix: uniquePrefix('lease-model'),
            timeoutMs: 5_000,
            logger: false,
          })
          try {
            await play(limiter, run)
          } finally {
            await limiter.close()
          }
        }),
        { numRuns: 40 },
      )
    })
  })
})
