/**
 * The blocked-caller cache: once the store has refused a caller for a rule, and its answer proves
 * that rule refuses *every* cost until some moment, `consume`, `consumeMany` and `peek` for that
 * caller and any rule set holding that rule are refused from memory until then, without a store
 * call. A flood then costs a map look-up per call instead of a round trip.
 *
 * What keeps it exact:
 *
 * - It only ever refuses. It learns from a store refusal of cost 1 only: a refusal of cost 5
 *   proves nothing about cost 1, and a cost-1 refusal (the rule has 0 units left) proves every
 *   cost is refused — costs are whole numbers ≥ 1 — until the moment the store named for cost 1.
 * - Each algorithm says how long its refusal provably lasts ({@link BLOCKED_FOR}); an algorithm
 *   without an entry is never cached, so a new algorithm is safe by default.
 * - Times are the cache's own monotonic clock, read *before* the call was sent: the store read its
 *   clock (Redis `TIME`) later, so the block ends no later than the store's. The store rounds its
 *   wait up to a whole millisecond, so the block ends one millisecond before the wait it named:
 *   in that last millisecond the store is asked again.
 * - A refusal from memory reports the numbers the store's answer proves: remaining 0, and the wait
 *   and reset it named, counting down from the moment the call was sent.
 * - `reset` and `refund` in this process forget the keys at once, and an answer to a call sent
 *   before that is not learned; one that timed out forgets them again when its late answer arrives. A reset made by another process (or the CLI) is not seen: the
 *   block lasts until it ends, at most `maxBlockMs`.
 * - Only answers that took a round trip are learned: a store that answers synchronously (the
 *   `MemoryStore`) is already in memory, and its refusals cost less than the bookkeeping.
 */
import { monotonicNow } from '../clock.js'
import { OldestFirst } from '../oldest-first.js'
import type {
  RateLimitDecision,
  ResolvedRule,
  RuleDecision,
  StoreAlgorithm,
  StoreResult,
  StoreRuleResult,
} from '../types.js'
import { makeDecision } from './decision.js'
import type { StoreRequest } from './store-request.js'

/** Options of the blocked-caller cache (`createRateLimiter({ blockCache })`). */
export interface BlockCacheOptions {
  /**
   * Most blocked keys (caller × rule) remembered; past it the oldest block is forgotten (its caller
   * is then asked about at the store again). Bounds memory under a flood of many callers.
   * @default 10_000
   */
  maxEntries?: number
  /**
   * Longest a refusal is answered from memory, in milliseconds, however long the store's wait. It
   * bounds how long a `reset` or `refund` made by another process (or the CLI) goes unseen here.
   * @default 60_000
   */
  maxBlockMs?: number
  /**
   * The clock blocks are measured with, in milliseconds; it must run at the store's pace. Pass the
   * store's clock when that store runs on an injected one (tests).
   * @default a monotonic clock (performance.now())
   */
  clock?: () => number
}

/**
 * How long a refused rule provably refuses every cost, in milliseconds from the store's answer, or
 * undefined when its answer proves no such thing.
 */
export type BlockedFor = (rule: ResolvedRule, answer: StoreRuleResult, cost: number) => number | undefined

/**
 * The sliding log and the counter: a refusal of cost 1 leaves 0 units, and no cost fits before the
 * wait the store named for cost 1 — for the log, until the oldest entry leaves the window; for the
 * counter, until the weighted estimate drops to `limit − 1` (usage only falls while nothing is
 * admitted, and nothing is admitted while the rule is full).
 */
const untilOneUnitFits: BlockedFor = (rule, answer, cost) => {
  const wait = answer.retryAfterMs
  if (cost !== 1 || !(wait > 0) || wait === Number.POSITIVE_INFINITY) return undefined
  // A rule with a calendar period (another branch's algorithms) is not cached until it says how.
  if ((rule.source as { period?: unknown }).period !== undefined) return undefined
  return rule.limit - answer.used < 1 ? wait : undefined
}

/** Per algorithm, how long its refusals last (see {@link BlockedFor}); absent: never cached. */
export const BLOCKED_FOR: Partial<Record<StoreAlgorithm, BlockedFor>> = {
  'sliding-log': untilOneUnitFits,
  'sliding-window': untilOneUnitFits,
}

/** One blocked key, in the cache's clock. */
interface Block {
  /** Refused from memory strictly before this moment. */
  readonly until: number
  /** When the store said the request would be admitted (reported as the wait, counting down). */
  readonly retryAt: number
  /** When the store said the whole budget is back. */
  readonly resetAt: number
}

/** A resolved {@link BlockCacheOptions}. */
export type ResolvedBlockCacheOptions = Required<BlockCacheOptions>

export class BlockCache {
  readonly #blocks = new Map<string, Block>()
  readonly #oldestBlock = new OldestFirst(this.#blocks)
  readonly #maxEntries: number
  readonly #maxBlockMs: number
  /** Read by {@link RequestFlow} before a store call (see {@link stamp}). */
  readonly now: () => number
  /** When {@link forget} last ran: an answer to a call sent before (or then) is not learned. */
  #forgotAt = Number.NEGATIVE_INFINITY
  /** Cleared once the store answered synchronously: such answers are not learned (see the header). */
  learning = true
  /** A clock reading shared by the calls of one microtask drain (see {@link sentAt}); NaN: none. */
  #stamp = Number.NaN
  readonly #clearStamp = (): void => {
    this.#stamp = Number.NaN
  }

  constructor(options: ResolvedBlockCacheOptions) {
    this.#maxEntries = options.maxEntries
    this.#maxBlockMs = options.maxBlockMs
    this.now = options.clock
  }

  /**
   * The time to learn a refusal from, read before the store call (NaN when this store's answers
   * are not learned). A clock read costs about as much as the rest of the cache's work on an
   * admitted call, so the calls of one microtask drain share one: an earlier reading only ends a
   * block earlier, never later.
   */
  sentAt(): number {
    if (!this.learning) return Number.NaN
    let stamp = this.#stamp
    if (Number.isNaN(stamp)) {
      stamp = this.#stamp = this.now()
      queueMicrotask(this.#clearStamp)
    }
    return stamp
  }

  /** Blocked keys held (expired ones until looked up or pushed out). */
  get size(): number {
    return this.#blocks.size
  }

  /**
   * A refusal from memory when an enforced rule of the request is blocked, else undefined. It
   * lists only the blocked rules: the others' numbers are not known without the store.
   */
  answer(request: StoreRequest): RateLimitDecision | undefined {
    const blocks = this.#blocks
    if (blocks.size === 0) return undefined
    const { storeRules, resolved } = request
    let now = 0
    let timed = false
    let blocked: RuleDecision[] | undefined
    for (let i = 0; i < storeRules.length; i++) {
      const key = storeRules[i]!.key
      const block = blocks.get(key)
      if (block === undefined || resolved[i]!.shadow) continue
      if (!timed) {
        now = this.now()
        timed = true
      }
      if (now >= block.until) {
        blocks.delete(key)
        continue
      }
      if (blocked === undefined) blocked = []
      blocked.push(blockedRule(resolved[i]!, block, now))
    }
    return blocked && makeDecision(request.identity, request.cost, blocked, false, 'cached')
  }

  /**
   * Remembers the rules a store refusal blocks. `sentAt` is this cache's time read before the call
   * was sent (NaN: not read, nothing is learned).
   */
  learn(request: StoreRequest, result: StoreResult, sentAt: number): void {
    if (result.allowed || !(sentAt > this.#forgotAt)) return
    const { resolved, storeRules, cost } = request
    for (let i = 0; i < resolved.length; i++) {
      const rule = resolved[i]!
      if (rule.shadow) continue
      const answer = result.rules[i]!
      const wait = BLOCKED_FOR[rule.algorithm]?.(rule, answer, cost)
      if (wait === undefined || wait <= 1) continue
      const until = sentAt + Math.min(wait - 1, this.#maxBlockMs)
      this.#set(storeRules[i]!.key, { until, retryAt: sentAt + wait, resetAt: sentAt + answer.resetMs })
    }
  }

  /** Forgets these keys at once (a `reset` or `refund` in this process). */
  forget(keys: readonly string[]): void {
    this.#forgotAt = this.now()
    for (const key of keys) this.#blocks.delete(key)
  }

  /** Keeps the newest block of a key last in the map's order; past the bound, the oldest goes. */
  #set(key: string, block: Block): void {
    const blocks = this.#blocks
    blocks.delete(key)
    blocks.set(key, block)
    if (blocks.size > this.#maxEntries) this.#oldestBlock.evict()
  }
}

/** A blocked rule's state now: refused, nothing left, the store's wait and reset counting down. */
function blockedRule(rule: ResolvedRule, block: Block, now: number): RuleDecision {
  const retryAfterMs = Math.max(1, Math.ceil(block.retryAt - now))
  return {
    rule,
    allowed: false,
    limit: rule.limit,
    remaining: 0,
    resetMs: Math.max(retryAfterMs, Math.ceil(block.resetAt - now)),
    retryAfterMs,
  }
}

/** The default clock, for the options. */
export const DEFAULT_BLOCK_CLOCK: () => number = monotonicNow
