export type { CircuitBreakerOptions } from './circuit-breaker.js'
export { formatDuration, parseDuration, tryParseDuration } from './duration.js'
export {
  describeValue,
  RateLimitConfigError,
  RateLimitError,
  type RateLimitErrorCode,
  StoreError,
} from './errors.js'
export {
  HeaderAccumulator,
  type HeaderOptions,
  type HeaderPolicies,
  rateLimitHeaders,
  retryAfterSeconds,
} from './headers.js'
export * from './identity/index.js'
export { digest, identityTag, storeKey } from './keys.js'
export { type ConsumeOptions, createRateLimiter, type RateLimiter, type Rules } from './limiter.js'
export type { RateLimiterOptions } from './limiter-options.js'
export {
  DEFAULT_RULE_NAME,
  resolveRule,
  resolveRules,
  SLIDING_LOG_MAX_DEFAULT_LIMIT,
  validateCost,
} from './options.js'
export { describeShadowDecision, logShadowDecisions } from './shadow-log.js'
export { MemoryStore, type MemoryStoreOptions } from './stores/memory-store.js'
export { type RedisClientLike, RedisStore, type RedisStoreOptions } from './stores/redis-store.js'
export type * from './types.js'
