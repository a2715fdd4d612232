/**
 * Caller identity, as the package offers it: the default identify chain, client IP and proxies,
 * API keys and plans. The root entry re-exports this list; everything else in this folder
 * (address parsing, the API-key reader and resolver, the trust-proxy compiler) is internal.
 */
export type { ApiKeyLookup, ApiKeyOptions, ApiKeyRecord } from './api-keys.js'
export { resolveCaller, rulesForCaller } from './caller.js'
export { type ClientIp, type ClientIpOptions, createClientIp } from './client-ip.js'
export type { ProxyHeader } from './forwarded.js'
export { createIdentify, type IdentifyOptions } from './identify.js'
export { IdentityError, type IdentityErrorCode } from './identity-error.js'
export {
  type LivePlans,
  type LivePlansOptions,
  livePlans,
  type PlansLoader,
  type PlansSource,
} from './live-plans.js'
export { type DefinedPlans, definePlans } from './plans.js'
export { type QuotaSubject, type QuotaUsage, quotaUsage } from './quota-usage.js'
export { planQuotas, type QuotaRefusal } from './quotas.js'
export {
  createRedisApiKeys,
  type IssuedKey,
  type IssueKeyOptions,
  type RedisApiKeys,
  type RedisApiKeysClientLike,
  type RedisApiKeysOptions,
} from './redis-api-keys.js'
export type { TrustProxy } from './trust-proxy.js'
export type { Caller, CallerKind, Identify, LimitOverride, Plan, PlanDefinition } from './types.js'
