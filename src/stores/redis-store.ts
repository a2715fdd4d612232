import { RateLimitConfigError, StoreError } from '../errors.js'
import type { Logger, RateLimitStore, StoreCall, StoreResult, StoreRule, StoreRuleResult } from '../types.js'
import { CONSUME_SCRIPT, CONSUME_SCRIPT_SHA } from './redis-scripts.js'

/**
 * The narrowest client this store needs. ioredis `Redis` and `Cluster` both satisfy it, and the
 * core never imports ioredis: a user of the memory store does not need it installed, and any
 * client with these methods (a wrapper, a test double for non-Lua logic) fits.
 */
export interface RedisClientLike {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  del(...keys: string[]): Promise<number>
  ping(): Promise<unknown>
  /** ioredis pipeline: several commands in one round trip. */
  pipeline(): RedisPipelineLike
  /** ioredis connection status (`'ready'`, `'reconnecting'`, …). */
  readonly status?: string
  /** ioredis options; only `enableOfflineQueue` is read. */
  readonly options?: { readonly enableOfflineQueue?: boolean }
}

/** The part of an ioredis pipeline the store uses. */
export interface RedisPipelineLike {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): unknown
  exec(): Promise<Array<[Error | null, unknown]> | null>
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` (or anything shaped like {@link RedisClientLike}). Never closed by the store. */
  client: RedisClientLike
  /**
   * Where construction warnings go (e.g. a client that queues commands while disconnected).
   * `false` silences them.
   * @default console
   */
  logger?: Logger | false
}

/** Connection states in which a command would sit in ioredis' offline queue instead of being sent. */
const DISCONNECTED = new Set(['reconnecting', 'end', 'close'])

/**
 * Keeps usage in Redis (single node or Cluster) so that every app server shares one count.
 * One `consume` is one round trip: one EVALSHA (EVAL only after `NOSCRIPT`).
 *
 * @example
 * import Redis from 'ioredis'
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false })
 * const limiter = createRateLimiter({ store: new RedisStore({ client: redis }) })
 */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis'
  readonly #client: RedisClientLike

  constructor(options: RedisStoreOptions) {
    const client = options?.client
    if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        'Expected `client` to be an ioredis Redis or Cluster instance (with evalsha, eval, del and ping)',
      )
    }
    this.#client = client
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
    return this.#run(rules, cost, '1')
  }

  peek(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#run(rules, cost, '0')
  }

  /**
   * Several independent checks in one pipeline (one round trip). On Redis Cluster every call of
   * one batch must hash to one slot: batch the calls of one identity (the GraphQL adapter does).
   */
  async consumeMany(calls: readonly StoreCall[]): Promise<StoreResult[]> {
    this.#assertConnected()
    const argLists = calls.map((call) => scriptArgs(call.rules, call.cost, '1'))
    const run = async (): Promise<Array<[Error | null, unknown]>> => {
      const pipeline = this.#client.pipeline()
      calls.forEach((call, i) => pipeline.evalsha(CONSUME_SCRIPT_SHA, call.rules.length, ...argLists[i]!))
      return (await pipeline.exec()) ?? []
    }
    let replies = await run()
    if (replies.some(([error]) => error?.message.startsWith('NOSCRIPT'))) {
      // Nothing was recorded by a call that failed with NOSCRIPT; load the script and redo only those.
      const missing = replies.flatMap(([error], i) => (error?.message.startsWith('NOSCRIPT') ? [i] : []))
      for (const i of missing) {
        const call = calls[i]!
        replies[i] = [null, await this.#client.eval(CONSUME_SCRIPT, call.rules.length, ...argLists[i]!)]
      }
    }
    return replies.map(([error, reply], i) => {
      if (error) throw error
      return parseReply(reply, calls[i]!.rules.length)
    })
  }

  async reset(keys: readonly string[]): Promise<void> {
    this.#assertConnected()
    if (keys.length > 0) await this.#client.del(...keys)
  }

  async ping(): Promise<void> {
    this.#assertConnected()
    await this.#client.ping()
  }

  async #run(rules: readonly StoreRule[], cost: number, record: '0' | '1'): Promise<StoreResult> {
    this.#assertConnected()
    const args = scriptArgs(rules, cost, record)
    let reply: unknown
    try {
      reply = await this.#client.evalsha(CONSUME_SCRIPT_SHA, rules.length, ...args)
    } catch (error) {
      // After a restart, failover or SCRIPT FLUSH the script is gone: EVAL sends it and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      reply = await this.#client.eval(CONSUME_SCRIPT, rules.length, ...args)
    }
    return parseReply(reply, rules.length)
  }

  #assertConnected(): void {
    const status = this.#client.status
    if (status !== undefined && DISCONNECTED.has(status)) {
      throw new StoreError('STORE_UNAVAILABLE', `Redis is not connected (client status: ${status})`)
    }
  }
}

/** KEYS then ARGV, in the order the script reads them. */
function scriptArgs(rules: readonly StoreRule[], cost: number, record: '0' | '1'): Array<string | number> {
  const args: Array<string | number> = new Array(rules.length * 4 + 2)
  for (let i = 0; i < rules.length; i++) args[i] = rules[i]!.key
  let at = rules.length
  args[at++] = record
  args[at++] = cost
  for (const rule of rules) {
    args[at++] = rule.algorithm === 'sliding-log' ? 'L' : 'W'
    args[at++] = rule.limit
    args[at++] = rule.windowMs
  }
  return args
}

function parseReply(reply: unknown, count: number): StoreResult {
  if (!Array.isArray(reply) || reply.length !== 1 + count * 3) {
    throw new StoreError('STORE_UNAVAILABLE', 'Redis returned an unexpected reply to the rate-limit script')
  }
  const rules: StoreRuleResult[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const at = 1 + i * 3
    rules[i] = { used: Number(reply[at]), retryAfterMs: Number(reply[at + 1]), resetMs: Number(reply[at + 2]) }
  }
  return { allowed: reply[0] === 1, rules }
}
