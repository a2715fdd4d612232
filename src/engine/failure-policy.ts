/**
 * Answers a request without the configured store, by `onStoreError` — the limiter's, unless a rule
 * sets its own:
 *
 * - any rule `'closed'` → refused (`retryAfterMs` {@link CLOSED_RETRY_MS});
 * - else rules on `'local'` are checked against an in-process store with the same rules, so an
 *   abuser stays limited per app server; rules on `'open'` admit.
 *
 * The decision always carries `reason` (why the store was not used) and `policy` (who answered).
 * If the local store fails as well, the request is admitted with `policy: 'open'` (the limiter
 * must never turn a store outage into an outage of the API) and the failure is reported.
 *
 * Around an outage, the `'local'` rules' in-process store starts from the store's last known usage
 * and stays in force for a window after the store is back (see `LocalFallback`): one app server
 * admits at most `limit` per key and window across it (the README states the exact bound).
 */
import { monotonicNow } from '../clock.js'
import type {
  DecisionReason,
  RateLimitDecision,
  RateLimitStore,
  ResolvedRule,
  RuleDecision,
  StoreErrorPolicy,
  StoreResult,
} from '../types.js'
import { assumedRuleDecision, makeDecision, ruleDecisions } from './decision.js'
import { combineResults, LocalFallback } from './local-fallback.js'
import { RuleSubset } from './rule-subset.js'
import type { Operation } from './store-call.js'
import type { StoreRequest } from './store-request.js'

/** How long a fail-closed refusal tells the caller to wait, in milliseconds. */
export const CLOSED_RETRY_MS = 1_000

/** What the failure policy is built from. */
export interface FailurePolicyOptions {
  /** The limiter's `onStoreError`. */
  readonly policy: StoreErrorPolicy
  readonly timeoutMs: number
  /** The `fallbackStore` option, if given. */
  readonly localStore: RateLimitStore | undefined
  /** Creates the local store on first use when none was given. */
  readonly newLocalStore: () => RateLimitStore
  /** Hears every failure of the local store (the request was admitted `'open'` meanwhile). */
  readonly onLocalError: (error: unknown) => void
}

export class FailurePolicy {
  readonly #policy: StoreErrorPolicy
  readonly #local: LocalFallback
  readonly #onLocalError: (error: unknown) => void
  /** The rules on `'local'` per resolved rule list (lists are interned: one entry per distinct list). */
  readonly #localRules = new WeakMap<readonly ResolvedRule[], RuleSubset>()

  constructor(options: FailurePolicyOptions) {
    this.#policy = options.policy
    this.#local = new LocalFallback(options.localStore, options.newLocalStore, options.timeoutMs)
    this.#onLocalError = options.onLocalError
  }

  /** The decision without the store: closed, open, or the local store's answer for the `'local'` rules. */
  async answer(
    operation: Operation,
    request: StoreRequest,
    reason: DecisionReason,
  ): Promise<RateLimitDecision> {
    const { identity, resolved, cost } = request
    if (resolved.some((rule) => this.#policyOf(rule) === 'closed')) {
      const perRule = resolved.map((rule) =>
        assumedRuleDecision(rule, this.#policyOf(rule) !== 'closed', CLOSED_RETRY_MS),
      )
      return makeDecision(identity, cost, perRule, false, reason, 'closed')
    }
    const local = this.#subset(resolved)
    if (local.isEmpty) return makeDecision(identity, cost, admitted(resolved), true, reason, 'open')
    let result: StoreResult
    try {
      result = await this.#local.answer(operation, local.pick(request.storeRules), cost)
    } catch (error) {
      this.#onLocalError(error)
      return makeDecision(identity, cost, admitted(resolved), true, reason, 'open')
    }
    return localDecision(request, result, local, reason)
  }

  /** True for a while after an outage: requests may have to be checked locally too ({@link alongside}). */
  get carrying(): boolean {
    return this.#local.carrying
  }

  /**
   * Remembers the usage the store reported for the request's `'local'` rules (a fallback's seed),
   * as of `now` (monotonic ms). Returns `result`.
   */
  remember(request: StoreRequest, result: StoreResult, now = monotonicNow()): StoreResult {
    const local = this.#subset(request.resolved)
    if (!local.isEmpty) this.#local.remember(request.storeRules, result, local, now)
    return result
  }

  /** True when the local fallback holds usage for the request's `'local'` rules (see {@link alongside}). */
  holds(request: StoreRequest): boolean {
    const local = this.#subset(request.resolved)
    return !local.isEmpty && this.#local.holds(local.pick(request.storeRules), request.cost)
  }

  /**
   * While {@link carrying}: the local answer for the request's `'local'` rules when the local store
   * holds usage from the outage for them — recorded if it admits and the operation is a consume —
   * else undefined.
   */
  alongside(operation: Operation, request: StoreRequest): StoreResult | undefined {
    const local = this.#subset(request.resolved)
    if (local.isEmpty) return undefined
    return this.#local.alongside(operation, local.pick(request.storeRules), request.cost)
  }

  /** The decision when the local answer of {@link alongside} refused: the store is not asked. */
  refusedAlongside(request: StoreRequest, local: StoreResult): RateLimitDecision {
    return localDecision(request, local, this.#subset(request.resolved), 'outage-usage')
  }

  /**
   * The store's answer with the local one of {@link alongside} folded in; what was recorded
   * locally is given back if the store refused.
   */
  combine(operation: Operation, request: StoreRequest, local: StoreResult, result: StoreResult): StoreResult {
    if (!result.allowed) this.giveBack(operation, request, local)
    return combineResults(result, local, this.#subset(request.resolved))
  }

  /** Gives back what {@link alongside} recorded for a consume (the store refused it or failed). */
  giveBack(operation: Operation, request: StoreRequest, local: StoreResult | undefined): void {
    if (operation !== 'consume' || !local?.allowed) return
    const rules = this.#subset(request.resolved).pick(request.storeRules)
    this.#local.giveBack(rules, request.cost, this.#onLocalError)
  }

  /** Forgets local usage too, so a reset is not undone by the next outage. */
  async reset(keys: readonly string[]): Promise<void> {
    await this.#local.reset(keys)
  }

  async close(): Promise<void> {
    await this.#local.close()
  }

  #policyOf(rule: ResolvedRule): StoreErrorPolicy {
    return rule.onStoreError ?? this.#policy
  }

  /** The request's rules on `'local'`: usually every rule, so usually {@link RuleSubset.ALL}. */
  #subset(resolved: readonly ResolvedRule[]): RuleSubset {
    let subset = this.#localRules.get(resolved)
    if (subset === undefined) {
      subset = RuleSubset.where(resolved, (rule) => this.#policyOf(rule) === 'local')
      this.#localRules.set(resolved, subset)
    }
    return subset
  }
}

function admitted(resolved: readonly ResolvedRule[]): RuleDecision[] {
  return resolved.map((rule) => assumedRuleDecision(rule, true, 0))
}

/** A decision from the local store's result for the `local` rules; the other rules admit. */
function localDecision(
  request: StoreRequest,
  result: StoreResult,
  local: RuleSubset,
  reason: DecisionReason,
): RateLimitDecision {
  const { identity, resolved, cost } = request
  const own = ruleDecisions(local.pick(resolved), result)
  const perRule = local.isAll ? own : local.merge(admitted(resolved), own)
  return makeDecision(identity, cost, perRule, result.allowed, reason, 'local')
}
