import { RateLimitConfigError, StoreError } from '../errors.js'
import type { Logger, RateLimitStore, StoreCall, StoreResult, StoreRule, StoreRuleResult } from '../types.js'
import { CONSUME_SCRIPT, CONSUME_SCRIPT_SHA } from './redis-scripts.js'

/**
 * The narrowest client this store needs. ioredis `Redis` and `Cluster` both satisfy it, and the
 * core never imports ioredis: a user of the memory store does not need it installed, and any
 * client with these methods (a wrapper, a proxy) fits.
 */
export interface RedisClientLike {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  del(...keys: string[]): Promise<number>
  ping(): Promise<unknown>
  /** ioredis connection status (`'ready'`, `'reconnecting'`, …). */
  readonly status?: string
  /** True for an ioredis `Cluster`: a batch then only holds checks of one hash tag. */
  readonly isCluster?: boolean
  /** ioredis options; only `enableOfflineQueue` is read. */
  readonly options?: { readonly enableOfflineQueue?: boolean }
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` (or anything shaped like {@link RedisClientLike}). Never closed by the store. */
  client: RedisClientLike
  /**
   * Send the checks made in one tick together: one script call (one round trip, one `TIME`) for
   * all of them, each check still atomic on its own. On a Cluster, checks are grouped by hash tag
   * (identity). `false` sends every check in its own script call.
   * @default true
   */
  batch?: boolean
  /**
   * Where construction warnings go (e.g. a client that queues commands while disconnected).
   * `false` silences them.
   * @default console
   */
  logger?: Logger | false
}

/**
 * Most checks in one script call. Small enough that several batches are in flight at once, so
 * Redis runs one while Node reads the answers of another; large enough that the round trip and
 * the script call are shared (measured best between 16 and 32).
 */
const MAX_BATCH = 16
/** Connection states in which a command would sit in ioredis' offline queue instead of being sent. */
const DISCONNECTED = new Set(['reconnecting', 'end', 'close'])

/** What a check does: the script's mode argument. */
const CONSUME = '1'
const PEEK = '0'
const REFUND = 'R'
type Mode = typeof CONSUME | typeof PEEK | typeof REFUND

interface Pending {
  readonly rules: readonly StoreRule[]
  readonly cost: number
  readonly mode: Mode
  readonly resolve: (result: StoreResult) => void
  readonly reject: (error: unknown) => void
}

/**
 * Keeps usage in Redis (single node or Cluster) so that every app server shares one count. A
 * check is one EVALSHA (EVAL only after `NOSCRIPT`), shared with the other checks of the same tick.
 *
 * @example
 * import Redis from 'ioredis'
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false })
 * const limiter = createRateLimiter({ store: new RedisStore({ client: redis }) })
 */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis'
  readonly #client: RedisClientLike
  readonly #batch: boolean
  #queue: Pending[] = []
  readonly #flush = (): void => this.#send()

  constructor(options: RedisStoreOptions) {
    const client = options?.client
    if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        'Expected `client` to be an ioredis Redis or Cluster instance (with evalsha, eval, del and ping)',
      )
    }
    if (options.batch !== undefined && typeof options.batch !== 'boolean') {
      throw new RateLimitConfigError('INVALID_OPTION', 'Expected `batch` to be true or false')
    }
    this.#client = client
    this.#batch = options.batch ?? true
    const logger = options.logger === undefined ? console : options.logger
    if (logger && client.options && client.options.enableOfflineQueue !== false) {
      logger.warn(
        '[resolver-rate-limit] The Redis client queues commands while disconnected (enableOfflineQueue). ' +
          'The limiter fails fast when the client is not connected, but create the client with ' +
          '{ enableOfflineQueue: false } so no command waits for a dead Redis.',
      )
    }
  }

  consume(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#enqueue(rules, cost, CONSUME)
  }

  peek(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#enqueue(rules, cost, PEEK)
  }

  /** Several independent checks in one script call (per hash tag on a Cluster). */
  consumeMany(calls: readonly StoreCall[]): Promise<StoreResult[]> {
    return Promise.all(calls.map((call) => this.#enqueue(call.rules, call.cost, CONSUME)))
  }

  /**
   * Gives back up to `cost` units under every key, atomically, in the same script (and batch) as
   * the checks: a log from its newest live entries, a counter from its current window's count.
   */
  refund(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#enqueue(rules, cost, REFUND)
  }

  async reset(keys: readonly string[]): Promise<void> {
    this.#assertConnected()
    if (keys.length > 0) await this.#client.del(...keys)
  }

  async ping(): Promise<void> {
    this.#assertConnected()
    await this.#client.ping()
  }

  #enqueue(rules: readonly StoreRule[], cost: number, mode: Mode): Promise<StoreResult> {
    const status = this.#client.status
    if (status !== undefined && DISCONNECTED.has(status)) return Promise.reject(notConnected(status))
    return new Promise<StoreResult>((resolve, reject) => {
      const pending: Pending = { rules, cost, mode, resolve, reject }
      if (!this.#batch) return this.#call([pending])
      // A microtask runs after the callers of this tick have queued their checks, not a tick later.
      if (this.#queue.push(pending) === 1) queueMicrotask(this.#flush)
    })
  }

  #send(): void {
    const queue = this.#queue
    this.#queue = []
    if (!this.#client.isCluster) {
      for (let at = 0; at < queue.length; at += MAX_BATCH) this.#call(queue.slice(at, at + MAX_BATCH))
      return
    }
    const bySlot = new Map<string, Pending[]>()
    for (const pending of queue) {
      const tag = hashTag(pending.rules[0]!.key)
      const group = bySlot.get(tag)
      if (group && group.length < MAX_BATCH) group.push(pending)
      else {
        if (group) this.#call(group)
        bySlot.set(tag, [pending])
      }
    }
    for (const group of bySlot.values()) this.#call(group)
  }

  /** One script call for a batch; settles every check in it. */
  #call(batch: readonly Pending[]): void {
    const keys: string[] = []
    const argv: Array<string | number> = [batch.length]
    for (const { rules, cost, mode } of batch) {
      argv.push(mode, cost, rules.length)
      for (const rule of rules) {
        keys.push(rule.key)
        argv.push(rule.algorithm === 'sliding-log' ? 'L' : 'W', rule.limit, rule.windowMs)
      }
    }
    const client = this.#client
    client
      .evalsha(CONSUME_SCRIPT_SHA, keys.length, ...keys, ...argv)
      // After a restart, failover or SCRIPT FLUSH the script is gone: nothing ran, so EVAL sends it
      // (and caches it again) with the same arguments.
      .catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          return client.eval(CONSUME_SCRIPT, keys.length, ...keys, ...argv)
        }
        throw error
      })
      .then(
        (reply) => settle(batch, reply),
        (error: unknown) => {
          for (const pending of batch) pending.reject(error)
        },
      )
  }

  #assertConnected(): void {
    const status = this.#client.status
    if (status !== undefined && DISCONNECTED.has(status)) throw notConnected(status)
  }
}

function notConnected(status: string): StoreError {
  return new StoreError('STORE_UNAVAILABLE', `Redis is not connected (client status: ${status})`)
}

/** What Redis Cluster hashes: the first non-empty `{…}` section of the key, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{')
  if (open < 0) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/** Splits the script's flat reply among the checks of the batch. */
function settle(batch: readonly Pending[], reply: unknown): void {
  let expected = 0
  for (const pending of batch) expected += 1 + 3 * pending.rules.length
  if (!Array.isArray(reply) || reply.length !== expected) {
    const error = new StoreError(
      'STORE_UNAVAILABLE',
      'Redis returned an unexpected reply to the rate-limit script',
    )
    for (const pending of batch) pending.reject(error)
    return
  }
  let at = 0
  for (const pending of batch) {
    const allowed = reply[at++] === 1
    const count = pending.rules.length
    const rules: StoreRuleResult[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const retry = reply[at + 1] as number
      rules[i] = {
        used: reply[at] as number,
        retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
        resetMs: reply[at + 2] as number,
      }
      at += 3
    }
    pending.resolve({ allowed, rules })
  }
}
