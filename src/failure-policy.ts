import { monotonicNow } from './clock.js'
import { assumedRuleDecision, makeDecision, ruleDecisions } from './decision.js'
import { combineResults, LocalFallback } from './local-fallback.js'
import type {
  DecisionReason,
  RateLimitDecision,
  RateLimitStore,
  ResolvedRule,
  RuleDecision,
  StoreErrorPolicy,
  StoreResult,
  StoreRule,
} from './types.js'

/** How long a fail-closed refusal tells the caller to wait, in milliseconds. */
export const CLOSED_RETRY_MS = 1_000

/** What the policy needs to know about one request. */
export interface DegradedRequest {
  readonly identity: string
  readonly resolved: readonly ResolvedRule[]
  readonly storeRules: readonly StoreRule[]
  readonly cost: number
}

/**
 * Answers a request without the configured store, by `onStoreError` — the limiter's, unless a
 * rule sets its own:
 *
 * - any rule `'closed'` → refused (`retryAfterMs` {@link CLOSED_RETRY_MS});
 * - else rules on `'local'` are checked against an in-process store with the same rules, so an
 *   abuser stays limited per app server; rules on `'open'` admit.
 *
 * The decision always carries `reason` (why the store was not used) and `policy` (who answered).
 * If a custom local store fails as well, the request is admitted with `policy: 'open'`: the
 * limiter must never turn a store outage into an outage of the API.
 *
 * Around an outage, the `'local'` rules' in-process store starts from the store's last known usage
 * and stays in force for a window after the store is back (see {@link LocalFallback}): one app
 * server admits at most `limit` per key and window across it (the README states the exact bound).
 */
export class FailurePolicy {
  readonly #policy: StoreErrorPolicy
  readonly #local: LocalFallback

  constructor(policy: StoreErrorPolicy, timeoutMs: number, local: RateLimitStore | undefined) {
    this.#policy = policy
    this.#local = new LocalFallback(local, timeoutMs)
  }

  async answer(
    record: boolean,
    request: DegradedRequest,
    reason: DecisionReason,
  ): Promise<RateLimitDecision> {
    const { identity, resolved, cost } = request
    const policies = resolved.map((rule) => rule.onStoreError ?? this.#policy)
    if (policies.includes('closed')) {
      const perRule = resolved.map((rule, i) =>
        assumedRuleDecision(rule, policies[i] !== 'closed', CLOSED_RETRY_MS),
      )
      return makeDecision(identity, cost, perRule, false, reason, 'closed')
    }
    const at = this.#localRules(resolved)
    if (at?.length === 0) return makeDecision(identity, cost, admitted(resolved), true, reason, 'open')
    let result: StoreResult
    try {
      result = await this.#local.answer(record, pick(request.storeRules, at), cost)
    } catch {
      return makeDecision(identity, cost, admitted(resolved), true, reason, 'open')
    }
    return localDecision(request, result, at, reason)
  }

  /** True for a while after an outage: requests may have to be checked locally too ({@link alongside}). */
  get carrying(): boolean {
    return this.#local.carrying
  }

  /**
   * Remembers the usage the store reported for the request's `'local'` rules (a fallback's seed),
   * as of `now` (monotonic ms).
   */
  remember(request: DegradedRequest, result: StoreResult, now = monotonicNow()): StoreResult {
    const at = this.#localRules(request.resolved)
    if (at?.length !== 0) this.#local.remember(request.storeRules, result, at, now)
    return result
  }

  /** True when the local fallback holds usage for the request's `'local'` rules (see {@link alongside}). */
  holds(request: DegradedRequest): boolean {
    const at = this.#localRules(request.resolved)
    return at?.length !== 0 && this.#local.holds(pick(request.storeRules, at), request.cost)
  }

  /**
   * While {@link carrying}: the local answer for the request's `'local'` rules when the local store
   * holds usage from the outage for them — recorded if it admits and `record` — else undefined.
   */
  alongside(record: boolean, request: DegradedRequest): StoreResult | undefined {
    const at = this.#localRules(request.resolved)
    if (at?.length === 0) return undefined
    return this.#local.alongside(record, pick(request.storeRules, at), request.cost)
  }

  /** The decision when the local answer of {@link alongside} refused: the store is not asked. */
  refusedAlongside(request: DegradedRequest, local: StoreResult): RateLimitDecision {
    return localDecision(request, local, this.#localRules(request.resolved), 'outage-usage')
  }

  /**
   * The store's answer with the local one of {@link alongside} folded in; what was recorded
   * locally is given back if the store refused.
   */
  combine(record: boolean, request: DegradedRequest, local: StoreResult, result: StoreResult): StoreResult {
    if (!result.allowed) this.giveBack(record, request, local)
    return combineResults(result, local, this.#localRules(request.resolved))
  }

  /** Gives back what {@link alongside} recorded for a consume (the store refused it or failed). */
  giveBack(record: boolean, request: DegradedRequest, local: StoreResult | undefined): void {
    if (!record || !local?.allowed) return
    this.#local.giveBack(pick(request.storeRules, this.#localRules(request.resolved)), request.cost)
  }

  /** Forgets local usage too, so a reset is not undone by the next outage. */
  async reset(keys: readonly string[]): Promise<void> {
    await this.#local.reset(keys)
  }

  async close(): Promise<void> {
    await this.#local.close()
  }

  /**
   * Indexes of the rules on `'local'`: undefined when every rule is (the usual case), {@link NONE}
   * when none is; an array is built only for a mix.
   */
  #localRules(resolved: readonly ResolvedRule[]): readonly number[] | undefined {
    let count = 0
    for (const rule of resolved) if ((rule.onStoreError ?? this.#policy) === 'local') count++
    if (count === resolved.length) return undefined
    if (count === 0) return NONE
    const at: number[] = []
    resolved.forEach((rule, i) => {
      if ((rule.onStoreError ?? this.#policy) === 'local') at.push(i)
    })
    return at
  }
}

const NONE: readonly number[] = []

function admitted(resolved: readonly ResolvedRule[]): RuleDecision[] {
  return resolved.map((rule) => assumedRuleDecision(rule, true, 0))
}

/** The items at `at`, or all of them when undefined. */
function pick<T>(items: readonly T[], at: readonly number[] | undefined): readonly T[] {
  return at === undefined ? items : at.map((i) => items[i]!)
}

/** A decision from the local store's result for the rules at `at`; the other rules admit. */
function localDecision(
  request: DegradedRequest,
  result: StoreResult,
  at: readonly number[] | undefined,
  reason: DecisionReason,
): RateLimitDecision {
  const { identity, resolved, cost } = request
  const local = ruleDecisions(pick(resolved, at), result)
  const perRule = at === undefined ? local : admitted(resolved)
  if (at !== undefined) {
    local.forEach((decision, j) => {
      perRule[at[j]!] = decision
    })
  }
  return makeDecision(identity, cost, perRule, result.allowed, reason, 'local')
}
