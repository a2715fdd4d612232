/**
 * `resolver-rate-limit`: the engine, its stores, caller identity, headers and errors.
 *
 * Each name here is a decision (pinned by `test/exports.test.ts`): what the README documents, what
 * an integrator writes down (option and result types) and what a store author implements (the
 * store port). Helpers the package uses internally stay in their modules.
 */

export type { PeriodBounds } from './calendar.js'
export { formatDuration } from './duration.js'
export type { CircuitBreakerOptions } from './engine/circuit-breaker.js'
export { logShadowDecisions } from './engine/shadow-log.js'
export {
  RateLimitConfigError,
  ResolverRateLimitError,
  type ResolverRateLimitErrorCode,
  StoreError,
} from './errors.js'
export {
  HeaderAccumulator,
  type HeaderOptions,
  type HeaderPolicies,
  rateLimitHeaders,
  retryAfterSeconds,
} from './headers.js'
export {
  type ApiKeyLookup,
  type ApiKeyOptions,
  type ApiKeyRecord,
  type Caller,
  type CallerKind,
  type ClientIp,
  type ClientIpOptions,
  createClientIp,
  createIdentify,
  createRedisApiKeys,
  type DefinedPlans,
  definePlans,
  type Identify,
  type IdentifyOptions,
  IdentityError,
  type IdentityErrorCode,
  type IssuedKey,
  type IssueKeyOptions,
  type LimitOverride,
  type LivePlans,
  type LivePlansOptions,
  livePlans,
  type Plan,
  type PlanDefinition,
  type PlansLoader,
  type PlansSource,
  type ProxyHeader,
  planQuotas,
  type QuotaRefusal,
  type QuotaSubject,
  type QuotaUsage,
  quotaUsage,
  type RedisApiKeys,
  type RedisApiKeysClientLike,
  type RedisApiKeysOptions,
  resolveCaller,
  rulesForCaller,
  type TrustProxy,
} from './identity/index.js'
export type {
  ConcurrencyDecision,
  ConcurrencyEvent,
  ConcurrencyLimit,
  ConcurrencyReason,
  LeaseRequest,
  LeaseResult,
  LeaseStore,
} from './leases.js'
export {
  type BlockCacheOptions,
  type ConsumeOptions,
  type ConsumeRequest,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitUsage,
  type Rules,
  type RuleUsage,
} from './limiter.js'
export { SLIDING_LOG_MAX_DEFAULT_LIMIT } from './rules.js'
export type { IoredisClientLike } from './stores/ioredis-port.js'
export { MemoryStore, type MemoryStoreOptions } from './stores/memory-store.js'
export type { NodeRedisClientLike } from './stores/node-redis-port.js'
export { type RedisClientLike, RedisStore, type RedisStoreOptions } from './stores/redis-store.js'
export type {
  Algorithm,
  CalendarPeriod,
  DecisionEvent,
  DecisionReason,
  Duration,
  Logger,
  RateLimitDecision,
  RateLimiterEvents,
  RateLimitRule,
  RateLimitStore,
  ResolvedRule,
  RuleDecision,
  StoreAlgorithm,
  StoreCall,
  StoreErrorEvent,
  StoreErrorPolicy,
  StoreResult,
  StoreRule,
  StoreRuleResult,
  StoreStateEvent,
} from './types.js'
