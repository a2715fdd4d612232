/**
 * What the Redis key registry stores and how it is laid out, shared by the registry and the
 * command line (`inspect --key-id`):
 * - `prefix + 'k:' + id` → JSON `{ owner, plan?, limits? }`, where `id` is the key's SHA-256 digest;
 * - `prefix + 'o:' + digest(owner)` → the set of the owner's key ids, for `revokeOwner`, kept as
 *   long as the longest-lived key it ever held (see {@link OWNER_SET_SCRIPT}).
 */
import { describeValue, invalidConfig } from '../errors.js'
import { digest } from '../keys.js'
import type { ApiKeyRecord } from './api-keys.js'
import { likelyName, validateOverrides } from './plans.js'
import type { LimitOverride, Plan } from './types.js'

/** A record as stored: the plan by name. */
export interface StoredRecord {
  owner: string
  plan?: string
  limits?: Record<string, LimitOverride>
}

/** What `issue` accepts besides the owner (see `IssueKeyOptions`). */
interface IssueInput {
  plan?: unknown
  limits?: unknown
  ttlMs?: unknown
}

const ID = /^[A-Za-z0-9_-]{43}$/

/** Whether `text` has the shape of a key id (43 base64url characters). */
export function isApiKeyId(text: unknown): text is string {
  return typeof text === 'string' && ID.test(text)
}

/** The digest of a key that names it in the registry: its id. */
export const apiKeyId = (key: string): string => digest(key, 43)

/** The Redis key of a key's record. */
export const recordKey = (prefix: string, id: string): string => `${prefix}k:${id}`

/** The Redis key of an owner's set of key ids. */
export const ownerKey = (prefix: string, owner: string): string => `${prefix}o:${digest(owner)}`

/**
 * Adds a key id to its owner's set and stretches the set's life to cover the key: `ARGV[2]` is
 * the key's time to live in milliseconds, `0` for a key that never expires (the set then never
 * expires either). The set never shrinks its life: an older key may outlive a newer one. A set
 * without expiry that this call did not create holds a key that never expires: it stays so.
 * One key per call, so it runs on Redis Cluster.
 */
export const OWNER_SET_SCRIPT = `
local ttl = tonumber(ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
if ttl == 0 then
  redis.call('PERSIST', KEYS[1])
  return 0
end
local current = redis.call('PTTL', KEYS[1])
if redis.call('SCARD', KEYS[1]) == 1 then current = 0 end
if current >= 0 and current < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`

/**
 * Replaces one field of a stored record, keeping the key's time to live: `ARGV[1]` is the field
 * (`plan` or `limits`), `ARGV[2]` its JSON, or `''` to remove it. Returns 0 when the key does not
 * exist (revoked or expired: never recreated), -1 when the record is not a JSON object. One key,
 * so it runs on Redis Cluster; one script, so a concurrent `setPlan` and `setLimits` both land.
 */
export const UPDATE_RECORD_SCRIPT = `
local text = redis.call('GET', KEYS[1])
if not text then return 0 end
local ok, record = pcall(cjson.decode, text)
if not ok or type(record) ~= 'table' then return -1 end
if ARGV[2] == '' then record[ARGV[1]] = nil else record[ARGV[1]] = cjson.decode(ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], cjson.encode(record), 'PX', ttl)
else
  redis.call('SET', KEYS[1], cjson.encode(record))
end
return 1
`

/** Checks a plan name against the registry's plans. */
export function checkPlanName(plan: unknown, plans: Readonly<Record<string, Plan>> | undefined): void {
  if (plan === undefined) return
  if (typeof plan !== 'string' || plan.length === 0 || plan.length > 100) {
    invalidConfig(`Expected \`plan\` to be a plan name, got ${describeValue(plan)}`)
  }
  if (!plans) {
    invalidConfig(
      `Cannot issue a key with \`plan\` ${describeValue(plan)}: pass the plans to createRedisApiKeys({ client, plans }) so the name is checked now, not on every request`,
    )
  }
  if (!Object.hasOwn(plans, plan)) {
    const known = Object.keys(plans)
    const guess = likelyName(plan, known)
    invalidConfig(
      `Expected \`plan\` to be one of: ${known.join(', ')}; got ${describeValue(plan)}${guess ? ` (did you mean "${guess}"?)` : ''}`,
    )
  }
}

/**
 * Checks what `issue` was given and returns the record to store.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the argument.
 */
export function validateIssue(
  owner: unknown,
  options: IssueInput,
  plans: Readonly<Record<string, Plan>> | undefined,
): StoredRecord {
  if (
    (typeof owner !== 'string' && typeof owner !== 'number') ||
    owner === '' ||
    String(owner).length > 1000
  ) {
    invalidConfig(`Expected \`owner\` to be a non-empty string or number, got ${describeValue(owner)}`)
  }
  const { plan, limits, ttlMs } = options
  checkPlanName(plan, plans)
  if (limits !== undefined) validateOverrides(limits, '`limits`')
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || (ttlMs as number) < 1)) {
    invalidConfig(`Expected \`ttlMs\` to be a positive integer of milliseconds, got ${describeValue(ttlMs)}`)
  }
  return {
    owner: String(owner),
    ...(plan ? { plan: plan as string } : {}),
    ...(limits ? { limits: { ...(limits as Record<string, LimitOverride>) } } : {}),
  }
}

/** A stored record, as the lookup answers it: the plan object when the registry knows the name. */
export function parseRecord(
  text: string,
  id: string,
  plans: Readonly<Record<string, Plan>> | undefined,
): ApiKeyRecord {
  let record: StoredRecord | undefined
  try {
    record = JSON.parse(text) as StoredRecord
  } catch {
    // Reported below without the text, which is not secret but not ours to log either.
  }
  if (typeof record?.owner !== 'string') {
    throw new Error(
      `The API key record ${id.slice(0, 8)}… in Redis is not valid JSON { owner, plan?, limits? }`,
    )
  }
  const { plan } = record
  // An unknown name stays a name: identify resolves it with its own plans, or refuses the key.
  return typeof plan === 'string' && plans && Object.hasOwn(plans, plan)
    ? { ...record, plan: plans[plan]! }
    : record
}

/** The owner of a stored record, or `undefined` when it does not parse. */
export function ownerOf(text: string): string | undefined {
  try {
    const owner = (JSON.parse(text) as Partial<StoredRecord> | null)?.owner
    return typeof owner === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}
