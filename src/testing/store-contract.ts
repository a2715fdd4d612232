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
 * {@link storeContract}; `{ refund: false }` for a store without the optional `refund`). This file
 * is the runner; the cases are in `contract-*.ts`, one group per concern.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, describe, it } from 'vitest'
import type { RateLimiter } from '../limiter.js'
import { answerCases } from './contract-answers.js'
import { bucketCases, bucketRefundCases, bucketTimingCases } from './contract-bucket.js'
import { calendarCases, calendarRefundCases, calendarRuleCases } from './contract-calendar.js'
import { countingCases } from './contract-counting.js'
import { ALGORITHMS, type CaseContext } from './contract-kit.js'
import { leaseCases } from './contract-leases.js'
import { exactRefundCases, refundCases, refundOrderCases, refundRuleCases } from './contract-refund.js'
import { atomicRuleCases, bindingRuleCases, concurrencyCases } from './contract-rules.js'
import { exactTimingCases, waitCases } from './contract-timing.js'
import { usageCases, usageRuleCases } from './contract-usage.js'

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

/** Waits real time (for stores whose clock is the wall clock, like Redis `TIME`). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

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
  /**
   * Declares the concurrency-limit cases (`limiter.acquire`, which needs the store's optional
   * `acquireLease`, `renewLease` and `releaseLease`). `false` for a store without them.
   * @default true
   */
  leases?: boolean
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
    // Declares a case only for exact clocks (see ContractOptions.exactClock).
    const itExact = (name: string, fn: () => Promise<void>): void => {
      if (options.exactClock) it(name, fn)
    }
    const cases: CaseContext = { open, itExact }

    declareCases(cases, options)
  })
}

/** Every case group, for one subject factory (the runner above opens and cleans up subjects). */
function declareCases(cases: CaseContext, options: ContractOptions): void {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    countingCases(cases, algorithm)
    answerCases(cases, algorithm)
    waitCases(cases, algorithm)
  })
  // Millisecond-exact waits need a manual clock: declared only for exact clocks (see ContractOptions).
  if (options.exactClock) describe('sliding log timing (exact clock)', () => exactTimingCases(cases))
  describe('several rules in one check', () => {
    atomicRuleCases(cases)
    bindingRuleCases(cases)
  })
  concurrencyCases(cases)
  describe('token bucket', () => {
    bucketCases(cases)
    bucketTimingCases(cases)
  })
  describe('calendar quota', () => {
    calendarCases(cases)
    calendarRuleCases(cases)
  })
  describe('usage', () => {
    describe.each(ALGORITHMS)('%s', (algorithm) => usageCases(cases, algorithm))
    usageRuleCases(cases)
  })
  if (options.leases !== false) {
    // The prefix a case's keys start with: what comes before the identity's hash tag.
    describe('concurrency limits (leases)', () => leaseCases(cases, (key) => key.slice(0, key.indexOf('{'))))
  }
  if (options.refund !== false) {
    describe('refund', () => {
      describe.each(ALGORITHMS)('%s', (algorithm) => {
        refundCases(cases, algorithm)
        refundOrderCases(cases, algorithm)
      })
      refundRuleCases(cases)
      exactRefundCases(cases)
      bucketRefundCases(cases)
      calendarRefundCases(cases)
    })
  }
}
