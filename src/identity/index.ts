/** Caller identity: the default identify chain, client IP and proxies, API keys and plans. */
export { type Address, addressBucket, DEFAULT_IPV6_SUBNET, parseAddress } from './address.js'
export { type ApiKeyReader, type ApiKeySourceOptions, createApiKeyReader } from './api-key-reader.js'
export {
  type ApiKeyLookup,
  type ApiKeyOptions,
  type ApiKeyRecord,
  type ApiKeyResolver,
  createApiKeyResolver,
} from './api-keys.js'
export { resolveCaller, rulesForCaller, toCaller } from './caller.js'
export { type ClientIp, type ClientIpOptions, createClientIp } from './client-ip.js'
export type { ProxyHeader } from './forwarded.js'
export { createIdentify, type IdentifyOptions } from './identify.js'
export { IdentityError, type IdentityErrorCode } from './identity-error.js'
export { definePlans, MAX_PLAN_SCALE, validatePlan } from './plans.js'
export {
  createRedisApiKeys,
  type IssuedKey,
  type IssueKeyOptions,
  type RedisApiKeys,
  type RedisApiKeysClientLike,
  type RedisApiKeysOptions,
} from './redis-api-keys.js'
export type { RequestLike } from './request.js'
export { MAX_TRUSTED_HOPS, type TrustProxy } from './trust-proxy.js'
export type { Caller, CallerKind, Identify, LimitOverride, Plan } from './types.js'
