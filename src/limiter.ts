/**
 * `createRateLimiter`: the engine (`src/engine/`) wired with the defaults that belong to other
 * layers — a `MemoryStore` when no store is given (and for the `'local'` failure policy), the
 * default identity chain for the adapters. The engine itself knows only the store port.
 */
import { Engine } from './engine/engine.js'
import type { RateLimiter } from './engine/limiter-api.js'
import {
  type LimiterDefaults,
  type RateLimiterOptions,
  resolveLimiterOptions,
} from './engine/limiter-options.js'
import { createIdentify } from './identity/identify.js'
import { MemoryStore } from './stores/memory-store.js'

export type { BlockCacheOptions } from './engine/block-cache.js'
export type { ConsumeOptions, ConsumeRequest, RateLimiter, Rules } from './engine/limiter-api.js'
export type { RateLimiterOptions } from './engine/limiter-options.js'
export type { RateLimitUsage, RuleUsage } from './engine/usage.js'

const DEFAULTS: LimiterDefaults = {
  newStore: () => new MemoryStore(),
  newIdentify: () => createIdentify(),
}

/**
 * Creates the rate limiter: rules → one atomic store call → decision, with a deadline on every
 * store call and an explicit policy when the store fails. Every option is validated here.
 *
 * @example
 * const limiter = createRateLimiter({ store: new RedisStore({ client: redis }) })
 * const decision = await limiter.consume('user:42', { name: 'Query.search', limit: 10, window: '1m' })
 * if (!decision.allowed) console.log(`retry in ${decision.retryAfterMs} ms`)
 */
export function createRateLimiter(options?: RateLimiterOptions): RateLimiter {
  return new Engine(resolveLimiterOptions(options, DEFAULTS))
}
