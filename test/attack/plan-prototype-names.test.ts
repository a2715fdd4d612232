/**
 * Plans and per-key overrides are looked up by rule name with `limits[name]`, which also finds
 * what `Object.prototype` holds: a rule named `toString`, `constructor` or `valueOf` (a top-level
 * tRPC procedure, a `@rateLimit(bucket:)`) picks up a function as its "override" for every caller
 * on a plan with `limits`, and loses its limit. Every such call then fails the check (a permanent
 * "Rate limit check failed" 429 on tRPC, an error on GraphQL) for exactly the paying customers.
 */
import { describe, expect, it } from 'vitest'
import { rulesForCaller } from '../../src/identity/caller.js'
import { type Caller, createRateLimiter, definePlans, MemoryStore } from '../../src/index.js'

const plans = definePlans({
  pro: { name: 'pro', scale: 2, limits: { 'Query.search': { limit: 100, window: '1m' } } },
})
const caller: Caller = { id: 'key:acme', kind: 'api-key', owner: 'acme', plan: plans.pro }

describe('a rule whose name is also an Object.prototype property', () => {
  it.each(['toString', 'constructor', 'valueOf'])(
    '%s is scaled by the plan like any other rule',
    async (name) => {
      const rules = rulesForCaller([{ name, limit: 5, window: '1m' }], caller)
      expect(rules).toEqual([{ name, limit: 10, window: '1m' }])
      const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
      await expect(limiter.consume(caller.id, rules!)).resolves.toMatchObject({ allowed: true, limit: 10 })
    },
  )
})
