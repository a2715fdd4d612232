/**
 * The store contract: what every store must do, run against each store through the limiter.
 * Shipped as `resolver-rate-limit/testing` (for vitest), so a store written outside this package
 * is held to the same cases as `MemoryStore` and `RedisStore`:
 *
 *   storeContract('memory store', factory)
 *
 * where `factory: ContractFactory = ({ prefix }) => Promise<ContractSubject>` builds a limiter on
 * the store under test (keys under `prefix`, so runs never share state) and says how time moves:
 *
 * - `advance(ms)` moves the store's clock forward. The memory store passes its manual clock (exact,
 *   instant); Redis reads `TIME`, so its factory sleeps for real. Cases that need time to pass use
 *   short windows (300 ms) so real time stays cheap.
 * - `exactClock` is true when `advance` is exact to the millisecond (a manual clock): only then do
 *   the cases assert `retryAfterMs`/`resetMs` to the millisecond (with real time they assert that
 *   waiting the announced time is enough).
 * - `cleanup()` closes the limiter and whatever the factory opened.
 *
 * Call it inside a test file; it declares its own `describe` block (see the example on
 * {@link storeContract}; `{ refund: false }` for a store without the optional `refund`).
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { RateLimiter } from '../limiter.js'
import type { Algorithm, RateLimitDecision, RateLimitRule } from '../types.js'
import { refundContract } from './refund-contract.js'

/** What a {@link ContractFactory} builds: a limiter on the store under test, and its clock. */
export interface ContractSubject {
  /** A limiter on the store under test, created with the factory's `prefix`. */
  limiter: RateLimiter
  /** Moves the store's clock forward: a manual clock's step, or a real wait. */
  advance(ms: number): Promise<void>
  /** True when `advance` is exact to the millisecond (a manual clock). */
  exactClock: boolean
  /** Closes the limiter and whatever the factory opened. */
  cleanup(): Promise<void>
}

/** Builds a fresh {@link ContractSubject} for one case; `prefix` is unique to that case. */
export type ContractFactory = (options: { prefix: string }) => Promise<ContractSubject>

const ALGORITHMS: readonly Algorithm[] = ['sliding-log', 'sliding-window']
/** Window of the cases where time must pass (real time on Redis). */
const SHORT = 300

/** Waits real time (for stores whose clock is the wall clock, like Redis `TIME`). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function rule(name: string, limit: number, window: number | string, algorithm: Algorithm): RateLimitRule {
  return { name, limit, window, algorithm }
}

async function consumeTimes(
  limiter: RateLimiter,
  identity: string,
  rules: RateLimitRule | RateLimitRule[],
  n: number,
) {
  const decisions: RateLimitDecision[] = []
  for (let i = 0; i < n; i++) decisions.push(await limiter.consume(identity, rules))
  return decisions
}

/** Options of {@link storeContract}. */
export interface ContractOptions {
  /**
   * True when the factory's `advance` is exact to the millisecond (a manual clock). The cases that
   * assert waits to the millisecond are then declared; with real time they are not declared at all
   * (not skipped): the Redis model tests cover that ground with crafted entries instead.
   */
  exactClock?: boolean
  /**
   * Declares the refund cases (`limiter.refund`, which needs `RateLimitStore.refund`). Set it to
   * `false` for a store without the optional `refund`.
   * @default true
   */
  refund?: boolean
}

/** A key prefix no other case uses, so cases never see each other's usage. */
const casePrefix = (): string => `rrl-contract:${randomUUID().slice(0, 8)}:`

/**
 * Declares the store contract suite (a `describe` block) for the store a factory builds.
 *
 * @example
 * import { storeContract } from 'resolver-rate-limit/testing'
 *
 * storeContract('my store', async ({ prefix }) => {
 *   const limiter = createRateLimiter({ store: new MyStore(), prefix })
 *   const advance = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) // real time
 *   return { limiter, advance, exactClock: false, cleanup: () => limiter.close() }
 * })
 */
export function storeContract(label: string, factory: ContractFactory, options: ContractOptions = {}): void {
  // Declares a case only for exact clocks (see ContractOptions.exactClock).
  const itExact = (name: string, fn: () => Promise<void>): void => {
    if (options.exactClock) it(name, fn)
  }
  describe(`store contract: ${label}`, () => {
    let subject: ContractSubject | undefined
    const open = async (): Promise<ContractSubject> => {
      subject = await factory({ prefix: casePrefix() })
      return subject
    }
    afterEach(async () => {
      await subject?.cleanup()
      subject = undefined
    })

    describe.each(ALGORITHMS)('%s', (algorithm) => {
      it('admits exactly `limit` requests in a window and refuses the next ones', async () => {
        const { limiter } = await open()
        const decisions = await consumeTimes(limiter, 'user:1', rule('exact', 5, '1m', algorithm), 7)
        expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false])
        expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0])
      })

      it('keeps identities and rules apart', async () => {
        const { limiter } = await open()
        const a = rule('a', 1, '1m', algorithm)
        expect((await limiter.consume('user:1', a)).allowed).toBe(true)
        expect((await limiter.consume('user:1', a)).allowed).toBe(false)
        expect((await limiter.consume('user:2', a)).allowed).toBe(true)
        expect((await limiter.consume('user:1', rule('b', 1, '1m', algorithm))).allowed).toBe(true)
        expect((await limiter.consume('user:1', rule('a', 2, '1m', algorithm))).allowed).toBe(true)
      })

      it('records nothing for a refused request: usage seen by peek is unchanged', async () => {
        const { limiter } = await open()
        const r = rule('refused', 3, '1m', algorithm)
        await consumeTimes(limiter, 'user:1', r, 3)
        const before = await limiter.peek('user:1', r)
        const refused = await consumeTimes(limiter, 'user:1', r, 5)
        expect(refused.every((d) => !d.allowed && d.reason === 'limited')).toBe(true)
        const after = await limiter.peek('user:1', r)
        expect(after.remaining).toBe(before.remaining)
        expect(after.retryAfterMs).toBeLessThanOrEqual(before.retryAfterMs)
        expect(after.resetMs).toBeLessThanOrEqual(before.resetMs)
      })

      it('never overshoots with costs above 1: a cost that does not fit is refused whole', async () => {
        const { limiter } = await open()
        const r = rule('cost', 10, '1m', algorithm)
        const take = (cost: number) => limiter.consume('user:1', r, { cost })
        expect(await take(4)).toMatchObject({ allowed: true, remaining: 6 })
        expect(await take(4)).toMatchObject({ allowed: true, remaining: 2 })
        expect(await take(3)).toMatchObject({ allowed: false, remaining: 2, reason: 'limited' })
        expect(await take(2)).toMatchObject({ allowed: true, remaining: 0 })
        expect(await take(1)).toMatchObject({ allowed: false, remaining: 0 })
      })

      it("refuses a cost above the limit with reason 'cost-exceeds-limit', recording nothing", async () => {
        const { limiter } = await open()
        const r = rule('too-big', 10, '1m', algorithm)
        const decision = await limiter.consume('user:1', r, { cost: 11 })
        expect(decision).toMatchObject({ allowed: false, reason: 'cost-exceeds-limit', remaining: 10 })
        expect(decision.retryAfterMs).toBe(Number.POSITIVE_INFINITY)
        expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 9 })
        expect((await limiter.consume('user:1', r, { cost: 10 })).allowed).toBe(true)
      })

      it('peeks without recording anything', async () => {
        const { limiter } = await open()
        const r = rule('peek', 2, '1m', algorithm)
        for (let i = 0; i < 5; i++)
          expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 1 })
        expect((await consumeTimes(limiter, 'user:1', r, 3)).map((d) => d.allowed)).toEqual([
          true,
          true,
          false,
        ])
        expect(await limiter.peek('user:1', r)).toMatchObject({
          allowed: false,
          remaining: 0,
          reason: 'limited',
        })
      })

      it('forgets the recorded usage on reset', async () => {
        const { limiter } = await open()
        const r = rule('reset', 2, '1m', algorithm)
        await consumeTimes(limiter, 'user:1', r, 3)
        await limiter.reset('user:1', r)
        expect(await limiter.consume('user:1', r)).toMatchObject({ allowed: true, remaining: 1 })
      })

      it('answers with the decision shape: no reason on admission, the binding rule, every rule', async () => {
        const { limiter } = await open()
        const r = rule('shape', 2, '1m', algorithm)
        const admitted = await limiter.consume('user:1', r, { cost: 1 })
        expect('reason' in admitted).toBe(false)
        expect('policy' in admitted).toBe(false)
        expect(admitted).toMatchObject({
          allowed: true,
          limit: 2,
          remaining: 1,
          retryAfterMs: 0,
          identity: 'user:1',
          cost: 1,
        })
        expect(admitted.rule).toMatchObject({ name: 'shape', limit: 2, windowMs: 60_000, algorithm })
        expect(admitted.rules).toHaveLength(1)
        expect(admitted.rules[0]).toMatchObject({ allowed: true, limit: 2, remaining: 1, retryAfterMs: 0 })
        expect(admitted.resetMs).toBeGreaterThan(0)
        await limiter.consume('user:1', r)
        const refused = await limiter.consume('user:1', r)
        expect(refused).toMatchObject({ allowed: false, reason: 'limited', limit: 2, remaining: 0 })
        expect(refused.retryAfterMs).toBeGreaterThan(0)
        expect(refused.rules[0]).toMatchObject({ allowed: false, remaining: 0 })
      })

      it('waits exactly long enough: after retryAfterMs the refused request is admitted', async () => {
        const { limiter, advance, exactClock } = await open()
        const r = rule('retry', 2, SHORT, algorithm)
        await consumeTimes(limiter, 'user:1', r, 2)
        const refused = await limiter.consume('user:1', r)
        expect(refused.allowed).toBe(false)
        expect(refused.retryAfterMs).toBeGreaterThan(0)
        expect(refused.retryAfterMs).toBeLessThanOrEqual(2 * SHORT)
        // Real time: timers may fire a millisecond early, so wait one more.
        await advance(refused.retryAfterMs + (exactClock ? 0 : 2))
        expect((await limiter.consume('user:1', r)).allowed).toBe(true)
      })

      it('gives the whole budget back after resetMs', async () => {
        const { limiter, advance, exactClock } = await open()
        const r = rule('reset-ms', 3, SHORT, algorithm)
        const last = (await consumeTimes(limiter, 'user:1', r, 3))[2]!
        expect(last.resetMs).toBeGreaterThan(0)
        expect(last.resetMs).toBeLessThanOrEqual(2 * SHORT)
        await advance(last.resetMs + (exactClock ? 0 : 2))
        expect(await limiter.peek('user:1', r)).toMatchObject({ allowed: true, remaining: 2 })
      })
    })

    // Millisecond-exact waits need a manual clock: declared only for exact clocks (see ContractOptions).
    if (options.exactClock)
      describe('sliding log timing (exact clock)', () => {
        itExact('announces the exact wait: 1 ms earlier the request is still refused', async () => {
          const { limiter, advance } = await open()
          const r = rule('exact-wait', 3, 1000, 'sliding-log')
          await limiter.consume('user:1', r)
          await advance(100)
          await limiter.consume('user:1', r)
          await advance(100)
          await limiter.consume('user:1', r)
          await advance(100)
          const refused = await limiter.consume('user:1', r)
          // The oldest entry (t=0) leaves the window (now − 1000, now] at t=1000.
          expect(refused.retryAfterMs).toBe(700)
          expect(refused.resetMs).toBe(900)
          await advance(699)
          expect(await limiter.consume('user:1', r)).toMatchObject({ allowed: false, retryAfterMs: 1 })
          await advance(1)
          expect(await limiter.consume('user:1', r)).toMatchObject({
            allowed: true,
            remaining: 0,
            resetMs: 1000,
          })
        })

        itExact('waits for as many of the oldest entries as the cost needs', async () => {
          const { limiter, advance } = await open()
          const r = rule('cost-wait', 5, 1000, 'sliding-log')
          await limiter.consume('user:1', r, { cost: 2 })
          await advance(100)
          await limiter.consume('user:1', r, { cost: 2 })
          await advance(100)
          await limiter.consume('user:1', r, { cost: 1 })
          await advance(100)
          // Cost 3 needs 3 units freed: the entries of t=0 (2) and t=100 (2) must leave, at t=1100.
          expect(await limiter.peek('user:1', r, { cost: 3 })).toMatchObject({
            allowed: false,
            retryAfterMs: 800,
          })
          expect(await limiter.peek('user:1', r, { cost: 2 })).toMatchObject({
            allowed: false,
            retryAfterMs: 700,
          })
          await advance(799)
          expect((await limiter.consume('user:1', r, { cost: 3 })).allowed).toBe(false)
          await advance(1)
          expect(await limiter.consume('user:1', r, { cost: 3 })).toMatchObject({
            allowed: true,
            remaining: 1,
          })
        })

        itExact(
          'counts a request exactly `window` old as gone (the window is (now − window, now])',
          async () => {
            const { limiter, advance } = await open()
            const r = rule('edge', 1, 1000, 'sliding-log')
            await limiter.consume('user:1', r)
            await advance(999)
            expect((await limiter.peek('user:1', r)).allowed).toBe(false)
            await advance(1)
            expect((await limiter.consume('user:1', r)).allowed).toBe(true)
          },
        )
      })

    describe('several rules in one check', () => {
      it('records nothing under any rule when one refuses (burst refuses, sustained keeps its budget)', async () => {
        const { limiter } = await open()
        const burst = rule('api', 2, '1m', 'sliding-log')
        const sustained = rule('api', 5, '1h', 'sliding-window')
        const both = [burst, sustained]
        expect((await consumeTimes(limiter, 'user:1', both, 3)).map((d) => d.allowed)).toEqual([
          true,
          true,
          false,
        ])
        expect(await limiter.peek('user:1', sustained)).toMatchObject({ remaining: 2 })
        const refused = await limiter.consume('user:1', both)
        expect(refused.rule.limit).toBe(2)
        // The admitting rule reports its real usage, not one that counts the refused request.
        expect(refused.rules.map((r) => [r.allowed, r.remaining])).toEqual([
          [false, 0],
          [true, 3],
        ])
      })

      it('records nothing under any rule when one refuses (sustained refuses, burst keeps its budget)', async () => {
        const { limiter } = await open()
        const burst = rule('mixed', 3, '1m', 'sliding-window')
        const sustained = rule('mixed', 4, '1h', 'sliding-log')
        await consumeTimes(limiter, 'user:1', sustained, 3)
        expect(await limiter.consume('user:1', [burst, sustained], { cost: 2 })).toMatchObject({
          allowed: false,
          reason: 'limited',
          limit: 4,
          remaining: 1,
        })
        expect(await limiter.peek('user:1', burst)).toMatchObject({ remaining: 2 })
        expect(await limiter.consume('user:1', [burst, sustained])).toMatchObject({
          allowed: true,
          remaining: 0,
          limit: 4,
        })
        expect(await limiter.peek('user:1', burst)).toMatchObject({ remaining: 1 })
      })

      it('names the rule with the fewest units left as binding on admission, every rule in order', async () => {
        const { limiter } = await open()
        const wide = rule('wide', 10, '1m', 'sliding-log')
        const narrow = rule('narrow', 3, '1m', 'sliding-log')
        const decision = await limiter.consume('user:1', [wide, narrow])
        expect(decision).toMatchObject({ allowed: true, limit: 3, remaining: 2 })
        expect(decision.rule.name).toBe('narrow')
        expect(decision.rules.map((r) => [r.rule.name, r.remaining])).toEqual([
          ['wide', 9],
          ['narrow', 2],
        ])
      })

      it('waits for the slowest refusing rule', async () => {
        const { limiter, advance, exactClock } = await open()
        const fast = rule('fast', 1, SHORT, 'sliding-log')
        const slow = rule('slow', 1, 3 * SHORT, 'sliding-log')
        await limiter.consume('user:1', [fast, slow])
        const refused = await limiter.consume('user:1', [fast, slow])
        expect(refused.rule.name).toBe('slow')
        expect(refused.retryAfterMs).toBeGreaterThan(SHORT)
        await advance(SHORT + (exactClock ? 0 : 2))
        expect((await limiter.peek('user:1', [fast, slow])).allowed).toBe(false)
        await advance(refused.retryAfterMs - SHORT + (exactClock ? 0 : 2))
        expect((await limiter.consume('user:1', [fast, slow])).allowed).toBe(true)
      })

      it("refuses with 'cost-exceeds-limit' when the cost exceeds one rule's limit, recording nothing", async () => {
        const { limiter } = await open()
        const small = rule('small', 2, '1m', 'sliding-log')
        const large = rule('large', 20, '1m', 'sliding-window')
        const decision = await limiter.consume('user:1', [large, small], { cost: 3 })
        expect(decision).toMatchObject({ allowed: false, reason: 'cost-exceeds-limit', limit: 2 })
        expect(await limiter.peek('user:1', large)).toMatchObject({ remaining: 19 })
      })
    })

    it('admits exactly `limit` of many concurrent requests for one key', async () => {
      const { limiter } = await open()
      const r = rule('concurrent', 25, '1m', 'sliding-log')
      const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.consume('user:1', r)))
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25)
      expect(new Set(decisions.filter((d) => d.allowed).map((d) => d.remaining)).size).toBe(25)
    })

    it('answers consumeMany in order, each check atomic on its own', async () => {
      const { limiter } = await open()
      const a = rule('many-a', 1, '1m', 'sliding-log')
      const b = rule('many-b', 2, '1m', 'sliding-window')
      const decisions = await limiter.consumeMany([
        { identity: 'user:1', rules: a },
        { identity: 'user:2', rules: [a, b] },
        { identity: 'user:1', rules: [a, b] },
        { identity: 'user:1', rules: b, cost: 3 },
        { identity: 'user:1', rules: b },
      ])
      expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
        [true, undefined],
        [true, undefined],
        [false, 'limited'],
        [false, 'cost-exceeds-limit'],
        [true, undefined],
      ])
      expect(await limiter.peek('user:1', b)).toMatchObject({ remaining: 0 })
    })

    if (options.refund !== false) refundContract(open, itExact)
  })
}
