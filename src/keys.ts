/**
 * Identity and rule → store key.
 *
 * A key is `prefix + '{' + identity + '}:' + ruleId`. The braces are a Redis Cluster hash tag:
 * every key of one identity lands in one slot, so one Lua script can check all its rules without
 * CROSSSLOT. Identities that could break the tag or bloat keys are replaced by a digest.
 */
import { createHash } from 'node:crypto'
import { RateLimitConfigError } from './errors.js'
import type { ResolvedRule, StoreRule } from './types.js'

/** Longest identity kept readable in keys; longer ones are hashed. */
const MAX_READABLE_IDENTITY = 128
const SAFE_NAME = /^[\w.:/@-]{1,100}$/
/** Hashed identities and names start with this, and readable ones never do, so the two never collide. */
const HASHED = 'h:'

/** A short, stable digest (base64url of SHA-256, 128 bits). */
export function digest(value: string, length = 22): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, length)
}

/**
 * Printable ASCII without space and braces, at most 128 characters, not starting with `h:`. A
 * loop, not a regex: this runs on every request.
 */
function isReadableIdentity(identity: string): boolean {
  const length = identity.length
  if (length === 0 || length > MAX_READABLE_IDENTITY || identity.startsWith(HASHED)) return false
  for (let i = 0; i < length; i++) {
    const code = identity.charCodeAt(i)
    if (code < 0x21 || code > 0x7e || code === 0x7b || code === 0x7d) return false
  }
  return true
}

/**
 * Returns the identity as it appears inside the hash tag: itself when it is short printable ASCII
 * without braces, else `h:` plus a digest. `{`/`}` would move the hash tag; control characters and
 * unbounded length would let a caller bloat Redis keys.
 */
export function identityTag(identity: string): string {
  return isReadableIdentity(identity) ? identity : HASHED + digest(identity)
}

const ruleIds = new Map<string, string>()
/** Distinct rule parameters remembered by {@link ruleId}; past it the memo starts over. */
const MAX_RULE_IDS = 10_000

/**
 * The rule id: its readable name (or a digest of it) and a digest of its parameters, so a changed
 * limit, window or algorithm never inherits a stale counter. Memoized: rules written inline in a
 * call are resolved again on every call, and a digest is the costly part.
 */
export function ruleId(
  name: string,
  algorithm: string,
  limit: number,
  windowMs: number,
  params = '',
): string {
  // Only the name and params can contain '|'; the name comes last and params are counted: unambiguous.
  const memo = `${algorithm}|${limit}|${windowMs}|${params.length}|${params}|${name}`
  let id = ruleIds.get(memo)
  if (id === undefined) {
    const readable = SAFE_NAME.test(name) && !name.startsWith(HASHED) ? name : HASHED + digest(name, 16)
    // `params` (a token bucket's burst, a quota's period and zone) only when present: the ids of
    // rules without them are those of earlier versions, so upgrading keeps their counts.
    const digested = `${algorithm}|${limit}|${windowMs}${params === '' ? '' : `|${params}`}`
    id = `${readable}:${digest(digested, 8)}`
    if (ruleIds.size >= MAX_RULE_IDS) ruleIds.clear()
    ruleIds.set(memo, id)
  }
  return id
}

/** The part of every key of one identity: prefix and hash tag. Append a rule id to get a key. */
export function keyBase(prefix: string, identity: string): string {
  return `${prefix}{${identityTag(identity)}}:`
}

/** Most identities whose store rules are kept per rule list; past it that list's cache starts over. */
const MAX_CACHED_IDENTITIES = 4096

/**
 * The store rules (keys included) of identity × rule list, built once and reused: a hot identity
 * costs no string building, and the memory store's Map hashes the same key string once. Keyed by
 * the resolved list (the same object for the same rules, see `resolveRules`) and bounded per list;
 * a list that is garbage collected takes its cache along.
 */
export class StoreRuleCache {
  readonly #prefix: string
  readonly #byRules = new WeakMap<readonly ResolvedRule[], Map<string, readonly StoreRule[]>>()
  /**
   * The last answer: a caller's checks come in runs (a GraphQL operation's fields, a client's
   * burst, a flood), and comparing a short string costs a fraction of hashing it into a Map.
   */
  #lastIdentity = ''
  #lastResolved: readonly ResolvedRule[] | undefined
  #lastRules: readonly StoreRule[] = []

  constructor(prefix: string) {
    this.#prefix = prefix
  }

  /** The store rules of `identity` under `resolved`, in the same order. */
  get(identity: string, resolved: readonly ResolvedRule[]): readonly StoreRule[] {
    if (identity === this.#lastIdentity && resolved === this.#lastResolved) return this.#lastRules
    let byIdentity = this.#byRules.get(resolved)
    if (byIdentity === undefined) {
      byIdentity = new Map()
      this.#byRules.set(resolved, byIdentity)
    }
    let rules = byIdentity.get(identity)
    if (rules === undefined) {
      const base = keyBase(this.#prefix, identity)
      rules = resolved.map((r) => ({
        key: base + r.id,
        algorithm: r.algorithm,
        limit: r.limit,
        windowMs: r.windowMs,
        // Always both fields, so every store rule has one shape (one hidden class on the hot path).
        burst: r.algorithm === 'token-bucket' ? r.burst : undefined,
        calendar: r.calendar,
      }))
      if (byIdentity.size >= MAX_CACHED_IDENTITIES) byIdentity.clear()
      byIdentity.set(identity, rules)
    }
    this.#lastIdentity = identity
    this.#lastResolved = resolved
    this.#lastRules = rules
    return rules
  }
}

/** Builds the store key for one identity and one rule id. */
export function storeKey(prefix: string, identity: string, id: string): string {
  return keyBase(prefix, identity) + id
}

/** Checks a key prefix: braces would break the hash tag. */
export function validatePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length > 64 || /[{}\s]/.test(prefix)) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      'Expected `prefix` to be a string of at most 64 characters without braces or spaces, e.g. "rl:"',
    )
  }
  return prefix
}
