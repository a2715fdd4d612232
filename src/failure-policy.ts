import { isPromise, withDeadline } from './deadline.js'
import { assumedRuleDecision, makeDecision, ruleDecisions } from './decision.js'
import { MemoryStore } from './stores/memory-store.js'
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
 */
export class FailurePolicy {
  readonly #policy: StoreErrorPolicy
  readonly #timeoutMs: number
  #local: RateLimitStore | undefined

  constructor(policy: StoreErrorPolicy, timeoutMs: number, local: RateLimitStore | undefined) {
    this.#policy = policy
    this.#timeoutMs = timeoutMs
    this.#local = local
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
    const local = resolved.flatMap((_, i) => (policies[i] === 'local' ? [i] : []))
    const admitted = () => resolved.map((rule) => assumedRuleDecision(rule, true, 0))
    if (local.length === 0) return makeDecision(identity, cost, admitted(), true, reason, 'open')
    let result: StoreResult
    try {
      result = await this.#checkLocally(
        record,
        local.map((i) => request.storeRules[i]!),
        cost,
      )
    } catch {
      return makeDecision(identity, cost, admitted(), true, reason, 'open')
    }
    const perRule: RuleDecision[] = admitted()
    ruleDecisions(
      local.map((i) => resolved[i]!),
      result,
    ).forEach((decision, j) => {
      perRule[local[j]!] = decision
    })
    return makeDecision(identity, cost, perRule, result.allowed, reason, 'local')
  }

  /** Forgets local usage too, so a reset is not undone by the next outage. */
  async reset(keys: readonly string[]): Promise<void> {
    await this.#local?.reset(keys)
  }

  async close(): Promise<void> {
    await this.#local?.close?.()
  }

  #checkLocally(
    record: boolean,
    rules: readonly StoreRule[],
    cost: number,
  ): StoreResult | Promise<StoreResult> {
    // Created on first use: a healthy store never pays for the fallback's memory.
    this.#local ??= new MemoryStore()
    const store = this.#local
    const pending = record ? store.consume(rules, cost) : store.peek(rules, cost)
    return isPromise(pending) ? withDeadline(pending, this.#timeoutMs, store.kind) : pending
  }
}
