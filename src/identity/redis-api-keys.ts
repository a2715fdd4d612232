import { randomBytes } from 'node:crypto'
import { describeValue, RateLimitConfigError } from '../errors.js'
import { digest } from '../keys.js'
import type { ApiKeyLookup, ApiKeyRecord } from './api-keys.js'
import { validateOverrides } from './plans.js'
import type { LimitOverride } from './types.js'

/**
 * The Redis commands the key registry uses. ioredis `Redis` and `Cluster` both satisfy it; the
 * package never imports ioredis (see `RedisClientLike`). Every command touches one key, so it
 * works on Redis Cluster.
 */
export interface RedisApiKeysClientLike {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  pexpire(key: string, milliseconds: number): Promise<unknown>
  del(key: string): Promise<number>
  sadd(key: string, member: string): Promise<unknown>
  srem(key: string, member: string): Promise<unknown>
  smembers(key: string): Promise<string[]>
}

/** Options of {@link createRedisApiKeys}. */
export interface RedisApiKeysOptions {
  /** An ioredis `Redis` or `Cluster`. Never closed by the registry. */
  client: RedisApiKeysClientLike
  /** Prepended to the registry's Redis keys. @default 'rrl:apikey:' */
  prefix?: string
  /** Starts every issued key, so keys are recognisable (and scannable by secret scanners). @default 'rk_' */
  keyPrefix?: string
}

/** What {@link RedisApiKeys.issue} records with a key. */
export interface IssueKeyOptions {
  /** A plan name; `createIdentify({ apiKeys: { plans } })` must define it. */
  plan?: string
  /** Limits for this key alone, by rule name. */
  limits?: Readonly<Record<string, LimitOverride>>
  /** The key expires after this many milliseconds. @default never */
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
}

interface StoredRecord {
  owner: string
  plan?: string
  limits?: Record<string, LimitOverride>
}

const ID = /^[A-Za-z0-9_-]{43}$/

function invalid(message: string): never {
  throw new RateLimitConfigError('INVALID_OPTION', message)
}

function validateOptions(options: RedisApiKeysOptions): Required<RedisApiKeysOptions> {
  const { client, prefix = 'rrl:apikey:', keyPrefix = 'rk_' } = options ?? {}
  if (!client || typeof client.get !== 'function' || typeof client.smembers !== 'function') {
    invalid(
      'Expected `client` to be an ioredis Redis or Cluster instance (with get, set, del, sadd, smembers)',
    )
  }
  if (typeof prefix !== 'string' || prefix.length > 64 || /[{}\s]/.test(prefix)) {
    invalid(
      'Expected `prefix` to be a string of at most 64 characters without braces or spaces, e.g. "rrl:apikey:"',
    )
  }
  if (typeof keyPrefix !== 'string' || !/^[A-Za-z0-9_]{0,16}$/.test(keyPrefix)) {
    invalid(
      `Expected \`keyPrefix\` to be up to 16 letters, digits or underscores, got ${describeValue(keyPrefix)}`,
    )
  }
  return { client, prefix, keyPrefix }
}

function validateIssue(owner: unknown, options: IssueKeyOptions): StoredRecord {
  if (
    (typeof owner !== 'string' && typeof owner !== 'number') ||
    owner === '' ||
    String(owner).length > 1000
  ) {
    invalid(`Expected \`owner\` to be a non-empty string or number, got ${describeValue(owner)}`)
  }
  const { plan, limits, ttlMs } = options
  if (plan !== undefined && (typeof plan !== 'string' || plan.length === 0 || plan.length > 100)) {
    invalid(`Expected \`plan\` to be a plan name, got ${describeValue(plan)}`)
  }
  if (limits !== undefined) validateOverrides(limits, '`limits`')
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) {
    invalid(`Expected \`ttlMs\` to be a positive integer of milliseconds, got ${describeValue(ttlMs)}`)
  }
  return { owner: String(owner), ...(plan ? { plan } : {}), ...(limits ? { limits: { ...limits } } : {}) }
}

function parseRecord(text: string, id: string): ApiKeyRecord {
  try {
    const record = JSON.parse(text) as StoredRecord
    if (typeof record?.owner === 'string') return record
  } catch {
    // Reported below without the text, which is not secret but not ours to log either.
  }
  throw new Error(
    `The API key record ${id.slice(0, 8)}… in Redis is not valid JSON { owner, plan?, limits? }`,
  )
}

function safeOwner(text: string): string | undefined {
  try {
    const owner = (JSON.parse(text) as Partial<StoredRecord> | null)?.owner
    return typeof owner === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}

/**
 * A ready-made API-key registry backed by Redis. Redis holds `prefix + 'k:' + sha256(key)` →
 * `{ owner, plan, limits }` and one set of key ids per owner (for `revokeOwner`); the keys
 * themselves are never stored, so a Redis dump reveals none. Keys are 256 random bits.
 *
 * @example
 * const keys = createRedisApiKeys({ client: redis })
 * const { key } = await keys.issue('acct_42', { plan: 'pro' })
 * const identify = createIdentify({ apiKeys: { lookup: keys.lookup, pattern: keys.pattern, plans } })
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option that cannot work.
 */
export function createRedisApiKeys(options: RedisApiKeysOptions): RedisApiKeys {
  const { client, prefix, keyPrefix } = validateOptions(options)
  const pattern = new RegExp(`^${keyPrefix}[A-Za-z0-9_-]{43}$`)
  const recordKey = (id: string) => `${prefix}k:${id}`
  const ownerKey = (owner: string) => `${prefix}o:${digest(owner)}`
  const idOf = (key: string) => digest(key, 43)

  const revokeId = async (id: string): Promise<boolean> => {
    if (typeof id !== 'string' || !ID.test(id)) return false
    const text = await client.get(recordKey(id))
    if (text === null) return false
    await client.del(recordKey(id))
    const owner = safeOwner(text)
    if (owner !== undefined) await client.srem(ownerKey(owner), id)
    return true
  }

  return {
    pattern,
    lookup: async (key) => {
      if (typeof key !== 'string' || !pattern.test(key)) return null
      const id = idOf(key)
      const text = await client.get(recordKey(id))
      return text === null ? null : parseRecord(text, id)
    },
    async issue(owner, issueOptions = {}) {
      const record = validateIssue(owner, issueOptions)
      const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`
      const id = idOf(key)
      await client.set(recordKey(id), JSON.stringify(record))
      if (issueOptions.ttlMs !== undefined) await client.pexpire(recordKey(id), issueOptions.ttlMs)
      await client.sadd(ownerKey(record.owner), id)
      return { key, id }
    },
    revoke: (key) =>
      typeof key === 'string' && pattern.test(key) ? revokeId(idOf(key)) : Promise.resolve(false),
    revokeId,
    async revokeOwner(owner) {
      const set = ownerKey(String(owner))
      const ids = await client.smembers(set)
      const removed = await Promise.all(ids.map((id) => client.del(recordKey(id))))
      await client.del(set)
      return removed.reduce((sum, n) => sum + n, 0)
    },
  }
}
