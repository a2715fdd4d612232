import { randomBytes } from 'node:crypto'
import { describeValue, invalidConfig } from '../errors.js'
import {
  apiKeyId,
  checkPlanName,
  isApiKeyId,
  OWNER_SET_SCRIPT,
  ownerKey,
  ownerOf,
  parseRecord,
  recordKey,
  UPDATE_RECORD_SCRIPT,
  validateIssue,
} from './api-key-records.js'
import type { ApiKeyLookup } from './api-keys.js'
import { checkPlansSource, currentPlans, type PlansSource } from './live-plans.js'
import { validateOverrides } from './plans.js'
import {
  type RedisApiKeysClientLike,
  type RegistryCommands,
  registryCommands,
} from './redis-api-keys-client.js'
import type { LimitOverride } from './types.js'

export type { RedisApiKeysClientLike } from './redis-api-keys-client.js'

/** Options of {@link createRedisApiKeys}. */
export interface RedisApiKeysOptions {
  /**
   * An ioredis 5/6 `Redis` or `Cluster`, or a node-redis 5/6 `createClient()` or `createCluster()`
   * client. Never closed by the registry.
   */
  client: RedisApiKeysClientLike
  /** Prepended to the registry's Redis keys. @default 'rrl:apikey:' */
  prefix?: string
  /** Starts every issued key, so keys are recognisable (and scannable by secret scanners). @default 'rk_' */
  keyPrefix?: string
  /**
   * The plans keys may be issued with, by name (see `definePlans`). `issue` refuses any other
   * name, and `lookup` answers the plan itself, so `createIdentify` needs no `plans` of its own.
   * Without it, keys can only be issued without a plan.
   * Live plans (`livePlans(load)`) are read on every call, so a reloaded plan reaches callers
   * within the API-key cache TTL.
   * @example createRedisApiKeys({ client: redis, plans: definePlans({ free: {}, pro: { scale: 10 } }) })
   */
  plans?: PlansSource
}

/** What {@link RedisApiKeys.issue} records with a key. */
export interface IssueKeyOptions {
  /** One of the registry's `plans`, by name; checked now, so a typo fails here and not on every request. */
  plan?: string
  /** Limits for this key alone, by rule name. */
  limits?: Readonly<Record<string, LimitOverride>>
  /**
   * The key expires after this many milliseconds (its owner's set of keys lives as long as the
   * owner's longest-lived key). @default never
   */
  ttlMs?: number
}

/** A newly issued key. Show `key` to its owner once; store and log only `id`. */
export interface IssuedKey {
  /** The secret. It is not stored anywhere: lose it and issue a new one. */
  readonly key: string
  /** The key's SHA-256 digest: safe to store, show and pass to `revokeId`. */
  readonly id: string
}

/** An API-key registry in Redis that stores only SHA-256 digests of the keys. */
export interface RedisApiKeys {
  /** For `createIdentify({ apiKeys: { lookup } })`: one GET per key (cached by identify). */
  readonly lookup: ApiKeyLookup
  /** Matches the keys this registry issues; pass it as `apiKeys.pattern` so junk never costs a GET. */
  readonly pattern: RegExp
  /** Creates a key for `owner`. */
  issue(owner: string | number, options?: IssueKeyOptions): Promise<IssuedKey>
  /** Revokes a key; `false` when it was unknown. Callers see it within `apiKeys.cacheTtlMs`. */
  revoke(key: string): Promise<boolean>
  /** Revokes a key by its id (digest). */
  revokeId(id: string): Promise<boolean>
  /** Revokes every key of `owner`; returns how many existed. */
  revokeOwner(owner: string | number): Promise<number>
  /**
   * Moves a key (by id) to another of the registry's `plans`, or to no plan (`null`), keeping its
   * expiry. Callers see it within `apiKeys.cacheTtlMs` (the lookup cache), with no restart.
   * Resolves `false` when no such key exists (it is never created).
   * @throws RateLimitConfigError (`INVALID_OPTION`) for a name the registry's plans do not hold.
   */
  setPlan(id: string, plan: string | null): Promise<boolean>
  /**
   * Replaces a key's own limits (by rule name; they win over its plan, quotas included), or
   * removes them (`null`). Like {@link setPlan}: within the cache TTL, `false` for no such key.
   */
  setLimits(id: string, limits: Readonly<Record<string, LimitOverride>> | null): Promise<boolean>
}

/** The owner's set outlives a key by this much: its record is written a round trip later. */
const OWNER_SET_SLACK_MS = 1_000

interface Resolved {
  client: RegistryCommands
  prefix: string
  keyPrefix: string
  plans: PlansSource | undefined
}

function validateOptions(options: RedisApiKeysOptions): Resolved {
  const { client, prefix = 'rrl:apikey:', keyPrefix = 'rk_', plans } = options ?? {}
  const commands = registryCommands(client)
  if (typeof prefix !== 'string' || prefix.length > 64 || /[{}\s]/.test(prefix)) {
    invalidConfig(
      'Expected `prefix` to be a string of at most 64 characters without braces or spaces, e.g. "rrl:apikey:"',
    )
  }
  if (typeof keyPrefix !== 'string' || !/^[A-Za-z0-9_]{0,16}$/.test(keyPrefix)) {
    invalidConfig(
      `Expected \`keyPrefix\` to be up to 16 letters, digits or underscores, got ${describeValue(keyPrefix)}`,
    )
  }
  checkPlansSource(plans)
  return { client: commands, prefix, keyPrefix, plans }
}

/**
 * A ready-made API-key registry backed by Redis. Redis holds `prefix + 'k:' + sha256(key)` →
 * `{ owner, plan, limits }` and one set of key ids per owner (for `revokeOwner`, expiring with the
 * owner's longest-lived key); the keys themselves are never stored, so a Redis dump reveals none.
 * Keys are 256 random bits.
 *
 * @example
 * const plans = definePlans({ free: { name: 'free' }, pro: { name: 'pro', scale: 10 } })
 * const keys = createRedisApiKeys({ client: redis, plans })
 * const { key, id } = await keys.issue('acct_42', { plan: 'pro' }) // { plan: 'Pro' } throws
 * const identify = createIdentify({ apiKeys: { lookup: keys.lookup, pattern: keys.pattern } })
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option that cannot work.
 */
export function createRedisApiKeys(options: RedisApiKeysOptions): RedisApiKeys {
  const { client, prefix, keyPrefix, plans } = validateOptions(options)
  const pattern = new RegExp(`^${keyPrefix}[A-Za-z0-9_-]{43}$`)

  const revokeId = async (id: string): Promise<boolean> => {
    if (!isApiKeyId(id)) return false
    const text = await client.get(recordKey(prefix, id))
    if (text === null) return false
    await client.del(recordKey(prefix, id))
    const owner = ownerOf(text)
    if (owner !== undefined) await client.srem(ownerKey(prefix, owner), id)
    return true
  }

  return {
    pattern,
    lookup: async (key) => {
      if (typeof key !== 'string' || !pattern.test(key)) return null
      const id = apiKeyId(key)
      const text = await client.get(recordKey(prefix, id))
      return text === null ? null : parseRecord(text, id, currentPlans(plans))
    },
    async issue(owner, issueOptions = {}) {
      const record = validateIssue(owner, issueOptions ?? {}, currentPlans(plans))
      const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`
      const id = apiKeyId(key)
      const { ttlMs } = issueOptions
      // The owner's set first: if the record write fails, the set holds an id of nothing, which
      // revokeOwner skips; the other order could leave a live key that revokeOwner cannot find.
      const setTtl = ttlMs === undefined ? 0 : ttlMs + OWNER_SET_SLACK_MS
      await client.eval(OWNER_SET_SCRIPT, [ownerKey(prefix, record.owner)], [id, String(setTtl)])
      await client.set(recordKey(prefix, id), JSON.stringify(record), ttlMs)
      return { key, id }
    },
    revoke: (key) =>
      typeof key === 'string' && pattern.test(key) ? revokeId(apiKeyId(key)) : Promise.resolve(false),
    revokeId,
    async revokeOwner(owner) {
      const set = ownerKey(prefix, String(owner))
      const ids = await client.smembers(set)
      const removed = await Promise.all(ids.map((id) => client.del(recordKey(prefix, id))))
      await client.del(set)
      return removed.reduce((sum, n) => sum + n, 0)
    },
    ...recordUpdates(client, prefix, plans),
  }
}

/** `setPlan` and `setLimits`: one script call each on the key's record (see `UPDATE_RECORD_SCRIPT`). */
function recordUpdates(
  client: RegistryCommands,
  prefix: string,
  plans: PlansSource | undefined,
): Pick<RedisApiKeys, 'setPlan' | 'setLimits'> {
  const update = async (id: string, field: 'plan' | 'limits', json: string): Promise<boolean> => {
    if (!isApiKeyId(id)) return false
    const done = Number(await client.eval(UPDATE_RECORD_SCRIPT, [recordKey(prefix, id)], [field, json]))
    if (done < 0) throw new Error(`The API key record ${id.slice(0, 8)}… in Redis is not a JSON object`)
    return done === 1
  }
  return {
    async setPlan(id, plan) {
      if (plan !== null) checkPlanName(plan, currentPlans(plans))
      return update(id, 'plan', plan === null ? '' : JSON.stringify(plan))
    },
    async setLimits(id, limits) {
      if (limits !== null) validateOverrides(limits, '`limits`')
      return update(id, 'limits', limits === null ? '' : JSON.stringify(limits))
    },
  }
}
