/**
 * A hostile network: the store answers an acquisition after the deadline (the lease was granted,
 * but the caller was already answered by the failure policy), and then fails the release the
 * engine sends to give that lease back. The failure must be reported as a store error, never
 * surface as an unhandled promise rejection (which ends a Node process by default).
 */
import { describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  type LeaseRequest,
  type LeaseResult,
  MemoryStore,
  type StoreErrorEvent,
} from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

/** Grants leases late, when the test calls the pending answer (a slow Redis). */
class LateThenDead extends MemoryStore {
  readonly pending: Array<() => void> = []

  override acquireLease(lease: LeaseRequest): LeaseResult {
    return new Promise<LeaseResult>((resolve) =>
      this.pending.push(() => resolve(super.acquireLease(lease))),
    ) as never
  }
}

async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = []
  const listener = (reason: unknown) => seen.push(reason)
  process.on('unhandledRejection', listener)
  try {
    await run()
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off('unhandledRejection', listener)
  }
  return seen
}

describe('a lease granted after the deadline whose release then fails', () => {
  for (const how of ['reject', 'throw'] as const) {
    it(`reports the failed release (${how}) as a store error, not an unhandled rejection`, async () => {
      const store = new LateThenDead()
      store.releaseLease = () => {
        if (how === 'throw') throw new Error('connection lost')
        return Promise.reject(new Error('connection lost')) as never
      }
      const limiter = createRateLimiter({
        store,
        logger: false,
        circuitBreaker: false,
        onStoreError: 'closed',
        timeoutMs: 10,
      })
      opened.push(limiter)
      const errors: StoreErrorEvent[] = []
      limiter.on('store-error', (e) => errors.push(e))
      const unhandled = await unhandledDuring(async () => {
        const decision = await limiter.acquire('user:1', { name: 'job', max: 1 })
        expect(decision).toMatchObject({ allowed: false, reason: 'store-unavailable' })
        store.pending.shift()!()
      })
      expect(unhandled).toEqual([])
      expect(errors.map((e) => e.error.message)).toEqual([
        expect.stringMatching(/did not answer within 10 ms/),
        'connection lost',
      ])
    })
  }
})
