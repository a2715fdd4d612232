/**
 * The shipped contract suite's options, on a store a third party could write: one without the
 * optional `refund` runs the suite with `{ refund: false }` (the refund cases would fail on it:
 * `limiter.refund` rejects with `INVALID_OPTION`), and without the optional lease methods with
 * `{ leases: false }`.
 */
import { createRateLimiter, MemoryStore, type RateLimitStore } from '../../src/index.js'
import { storeContract } from '../../src/testing/index.js'
import { manualClock } from '../helpers.js'

storeContract(
  'a store without refund (delegating to a MemoryStore)',
  async ({ prefix }) => {
    const clock = manualClock()
    const memory = new MemoryStore({ clock })
    const store: RateLimitStore = {
      kind: 'no-refund',
      consume: (rules, cost) => memory.consume(rules, cost),
      peek: (rules, cost) => memory.peek(rules, cost),
      reset: (keys) => memory.reset(keys),
    }
    const limiter = createRateLimiter({ store, prefix })
    return {
      limiter,
      advance: async (ms) => clock.advance(ms),
      exactClock: true,
      cleanup: () => limiter.close(),
    }
  },
  { exactClock: true, refund: false, leases: false },
)
