import { describeValue, invalidConfig } from '../errors.js'
import { digest } from '../keys.js'
import { lookupFailed, withDeadline } from './api-key-lookup-deadline.js'
import type { ApiKeySourceOptions } from './api-key-reader.js'
import { IdentityError } from './identity-error.js'
import { checkPlansSource, currentPlans, type PlansSource } from './live-plans.js'
import { likelyName, validateOverrides, validatePlan } from './plans.js'
import { redactKey } from './redact-key.js'
import { TtlCache } from './ttl-cache.js'
import type { Caller, LimitOverride, Plan } from './types.js'

/**
 * What your lookup returns for a valid key: the account that owns it, its plan (an object, or
 * the name of one of `plans`) and optional limits for this key alone (by rule name).
 */
export interface ApiKeyRecord {
  owner: string | number
  plan?: Plan | string
  limits?: Readonly<Record<string, LimitOverride>>
}

/** Validates a key: the record when it is valid, `null`/`undefined` when unknown or revoked. */
export type ApiKeyLookup = (
  key: string,
) => ApiKeyRecord | null | undefined | Promise<ApiKeyRecord | null | undefined>

/** Options of API-key identification (`createIdentify({ apiKeys })`). */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export interface ApiKeyOptions<TContext = any> extends ApiKeySourceOptions<TContext> {
  /** Your key check, e.g. a database query, or `createRedisApiKeys(…).lookup`. Required. */
  lookup: ApiKeyLookup
  /**
   * Plans that records name by string (`plan: 'pro'`); validated when `identify` is built, or
   * {@link LivePlans} reloaded from your source (read on every lookup, so callers see new plans
   * within `cacheTtlMs`).
   */
  plans?: PlansSource
  /**
   * Whose budget a key spends: `'owner'` (every key of one account shares one budget, so
   * rotating or minting keys does not multiply quota) or `'key'` (each key its own).
   * @default 'owner'
   */
  budget?: 'owner' | 'key'
  /** How long a lookup answer (valid or not) is reused: revocation takes effect within it. @default 30_000 */
  cacheTtlMs?: number
  /** Most lookup answers cached (least recently used dropped first). @default 10_000 */
  cacheSize?: number
  /** The cache's clock, in milliseconds; inject one in tests. @default a monotonic clock (setting the wall clock does not stretch or cut the TTL) */
  clock?: () => number
  /**
   * How long a request waits for the lookup: past it the lookup counts as failed
   * (`API_KEY_LOOKUP_FAILED`: the caller is counted by IP, or refused with `requireApiKey`). The
   * lookup itself keeps running and its answer is cached; requests with that key meanwhile wait
   * for it, never start another. The same default as the store's `timeoutMs`.
   * @default 200
   */
  lookupTimeoutMs?: number
  /**
   * Most distinct keys being looked up at once. A key beyond it is not looked up and counts as a
   * failed lookup, so a hung or slow registry fed with fresh keys holds bounded memory.
   * @default 1000
   */
  maxPendingLookups?: number
}

/** Turns a well-formed key into its caller: `null` for an unknown or revoked key. */
export type ApiKeyResolver = (key: string) => Caller | null | Promise<Caller | null>

type Cached = { readonly caller: Caller | null } | { readonly error: IdentityError }

/** How long a request waits for a lookup by default: the store's default `timeoutMs`. */
const DEFAULT_LOOKUP_TIMEOUT_MS = 200
const DEFAULT_MAX_PENDING_LOOKUPS = 1000

/** What a caller whose key record cannot work is told; the detail goes to the server's log. */
const MISCONFIGURED_MESSAGE =
  "This API key cannot be used: the server's configuration for it is incomplete. Contact the API provider."

/**
 * The identity an API-key caller is counted under: `key:` and a digest of its owner (`budget:
 * 'owner'`, so every key of one account spends one budget), or of the key itself (`budget: 'key'`;
 * `keyDigest` is the key's 43-character SHA-256 digest, the Redis registry's key id).
 */
export function apiKeyIdentity(budget: 'owner' | 'key', owner: string, keyDigest: string): string {
  return `key:${budget === 'key' ? keyDigest.slice(0, 22) : digest(owner)}`
}

/** Checks an optional integer option of `apiKeys` against its range. */
function checkInteger(name: keyof ApiKeyOptions, value: unknown, min: number, max: number, note = ''): void {
  if (
    value !== undefined &&
    (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
  ) {
    invalidConfig(
      `Expected \`apiKeys.${name}\` to be an integer from ${min} to ${max}${note}, got ${describeValue(value)}`,
    )
  }
}

function validateResolverOptions(options: ApiKeyOptions): void {
  const { lookup, budget, cacheTtlMs, cacheSize, clock } = options
  if (typeof lookup !== 'function')
    invalidConfig('Expected `apiKeys.lookup` to be a function (key) => { owner, plan?, limits? } | null')
  if (budget !== undefined && budget !== 'owner' && budget !== 'key') {
    invalidConfig(`Expected \`apiKeys.budget\` to be 'owner' or 'key', got ${describeValue(budget)}`)
  }
  checkInteger('cacheTtlMs', cacheTtlMs, 0, 3_600_000, ' (0 disables the cache)')
  checkInteger('cacheSize', cacheSize, 1, 10_000_000)
  checkInteger('lookupTimeoutMs', options.lookupTimeoutMs, 1, 60_000)
  checkInteger('maxPendingLookups', options.maxPendingLookups, 1, 1_000_000)
  if (clock !== undefined && typeof clock !== 'function')
    invalidConfig('Expected `apiKeys.clock` to be a function returning milliseconds')
  checkPlansSource(options.plans)
}

/** Record → caller. Throws a config error (never showing the key) when the record cannot work. */
function toKeyCaller(record: ApiKeyRecord, keyDigest: string, options: ApiKeyOptions): Caller {
  const where = `the \`apiKeys.lookup\` answer for key ${keyDigest.slice(0, 8)}…`
  if (typeof record !== 'object')
    invalidConfig(`Expected ${where} to be null or { owner, plan?, limits? }, got ${describeValue(record)}`)
  const { owner, plan, limits } = record
  if (
    (typeof owner !== 'string' && typeof owner !== 'number') ||
    owner === '' ||
    String(owner).length > 1000
  ) {
    invalidConfig(
      `Expected \`owner\` in ${where} to be a non-empty string or number, got ${describeValue(owner)}`,
    )
  }
  let resolvedPlan: Plan | undefined
  if (typeof plan === 'string') {
    const plans = currentPlans(options.plans)
    resolvedPlan = plans && Object.hasOwn(plans, plan) ? plans[plan] : undefined
    if (!resolvedPlan) {
      const known = Object.keys(plans ?? {})
      const guess = likelyName(plan, known)
      invalidConfig(
        `Expected \`plan\` in ${where} to name one of \`apiKeys.plans\` (${known.join(', ') || 'none given'}), got ${describeValue(plan)}${guess ? ` (did you mean "${guess}"?)` : ''}`,
      )
    }
  } else if (plan !== undefined && plan !== null) {
    resolvedPlan = validatePlan(plan, `\`plan\` in ${where}`)
  }
  const overrides =
    limits === undefined || limits === null ? undefined : validateOverrides(limits, `\`limits\` in ${where}`)
  const id = apiKeyIdentity(options.budget ?? 'owner', String(owner), keyDigest)
  return Object.freeze({
    id,
    kind: 'api-key' as const,
    owner: String(owner),
    ...(resolvedPlan ? { plan: resolvedPlan } : {}),
    ...(overrides ? { overrides } : {}),
  })
}

/** One lookup and the validation of its record; a throwing lookup is redacted and not cached. */
async function lookUp(
  key: string,
  keyDigest: string,
  options: ApiKeyOptions,
  remember: (entry: Cached) => void,
): Promise<Caller | null> {
  let record: ApiKeyRecord | null | undefined
  try {
    record = await options.lookup(key)
  } catch (cause) {
    throw lookupFailed(keyDigest, redactKey(cause, key))
  }
  let entry: Cached
  try {
    entry = {
      caller: record === null || record === undefined ? null : toKeyCaller(record, keyDigest, options),
    }
  } catch (error) {
    const cause = redactKey(error, key)
    entry = { error: new IdentityError('API_KEY_MISCONFIGURED', MISCONFIGURED_MESSAGE, { cause }) }
  }
  remember(entry)
  return settle(entry)
}

function settle(entry: Cached): Caller | null {
  if ('error' in entry) throw entry.error
  return entry.caller
}

/**
 * Builds the key → caller step: one lookup per key per `cacheTtlMs` (answers, valid or not,
 * are cached under the key's SHA-256 digest, never the key), concurrent requests with one key
 * share one lookup, and each record is validated once. A lookup that throws rejects with
 * `IdentityError('API_KEY_LOOKUP_FAILED')` and is not cached, and so does a request that waited
 * `lookupTimeoutMs`, or whose key finds `maxPendingLookups` other keys being looked up; a record
 * that cannot work (a plan name no plan answers to, a bad owner or limits) rejects with
 * `IdentityError('API_KEY_MISCONFIGURED')`, its `cause` the config error naming the problem.
 * Every error is redacted: the key shows nowhere in it, causes included.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option that cannot work.
 */
export function createApiKeyResolver(options: ApiKeyOptions): ApiKeyResolver {
  validateResolverOptions(options)
  const ttl = options.cacheTtlMs ?? 30_000
  const timeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS
  const maxPending = options.maxPendingLookups ?? DEFAULT_MAX_PENDING_LOOKUPS
  const cache = new TtlCache<Cached>(ttl, options.cacheSize ?? 10_000, options.clock)
  const remember = (keyDigest: string) => (entry: Cached) => {
    if (ttl > 0) cache.set(keyDigest, entry)
  }
  // One entry per key being looked up, until its lookup settles (however long past the deadline).
  const inFlight = new Map<string, Promise<Caller | null>>()
  return (key) => {
    const keyDigest = digest(key, 43)
    const hit = ttl > 0 ? cache.get(keyDigest) : undefined
    if (hit) return settle(hit)
    let lookup = inFlight.get(keyDigest)
    if (!lookup) {
      if (inFlight.size >= maxPending) {
        const cause = new Error(
          `${maxPending} API keys are being looked up already (\`apiKeys.maxPendingLookups\`)`,
        )
        return Promise.reject(lookupFailed(keyDigest, cause))
      }
      lookup = lookUp(key, keyDigest, options, remember(keyDigest))
      inFlight.set(keyDigest, lookup)
      const done = () => inFlight.delete(keyDigest)
      lookup.then(done, done)
    }
    return withDeadline(lookup, keyDigest, timeoutMs)
  }
}
