/** What the store contract's case groups share: rules, the short window, and the case context. */
import { it } from 'vitest'
import type { RateLimiter } from '../limiter.js'
import type { Algorithm, RateLimitDecision, RateLimitRule } from '../types.js'
import type { ContractSubject } from './store-contract.js'

/** What every case group is given: a fresh subject per case (cleaned up after it), and `itExact`. */
export interface CaseContext {
  /** Builds the subject of the current case with a prefix no other case uses. */
  readonly open: () => Promise<ContractSubject>
  /** Declares a case only when the factory's clock is exact (see `ContractOptions.exactClock`). */
  readonly itExact: (name: string, fn: () => Promise<void>) => void
}

export const ALGORITHMS: readonly Algorithm[] = ['sliding-log', 'sliding-window', 'token-bucket']

/**
 * `it` for the cases where real time passes in short windows: declared for the window algorithms
 * only. A token bucket refills continuously (a token every 100 ms for 3 per 300 ms), so on a loaded
 * machine a request sent late already finds a token back; its own cases (`contract-bucket.ts`)
 * time it with slow refills instead.
 */
export function itWindowed(
  algorithm: Algorithm,
): typeof it | ((name: string, fn: () => Promise<void>) => void) {
  return algorithm === 'token-bucket' ? () => {} : it
}

/** Window of the cases where time must pass (real time on Redis). */
export const SHORT = 300

export function rule(
  name: string,
  limit: number,
  window: number | string,
  algorithm: Algorithm,
): RateLimitRule {
  return { name, limit, window, algorithm }
}

/** `n` consumes, one after the other. */
export async function consumeTimes(
  limiter: RateLimiter,
  identity: string,
  rules: RateLimitRule | RateLimitRule[],
  n: number,
): Promise<RateLimitDecision[]> {
  const decisions: RateLimitDecision[] = []
  for (let i = 0; i < n; i++) decisions.push(await limiter.consume(identity, rules))
  return decisions
}
