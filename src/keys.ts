import { createHash } from 'node:crypto'
import { RateLimitConfigError } from './errors.js'

/**
 * Identity and rule → store key.
 *
 * A key is `prefix + '{' + identity + '}:' + ruleId`. The braces are a Redis Cluster hash tag:
 * every key of one identity lands in one slot, so one Lua script can check all its rules without
 * CROSSSLOT. Identities that could break the tag or bloat keys are replaced by a digest.
 */

/** Identities made only of these characters (and at most this long) are kept readable. */
const SAFE_IDENTITY = /^[\x21-\x7a\x7c\x7e]{1,128}$/
const SAFE_NAME = /^[\w.:/@-]{1,100}$/

/** A short, stable digest (base64url of SHA-256, 128 bits). */
export function digest(value: string, length = 22): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, length)
}

/**
 * Returns the identity as it appears inside the hash tag: itself when it is short printable ASCII
 * without braces, else `h:` plus a digest. `{`/`}` would move the hash tag; control characters and
 * unbounded length would let a caller bloat Redis keys.
 */
export function identityTag(identity: string): string {
  return SAFE_IDENTITY.test(identity) ? identity : `h:${digest(identity)}`
}

/** The rule id: its readable name (or a digest of it) and a digest of its parameters. */
export function ruleId(name: string, algorithm: string, limit: number, windowMs: number): string {
  const readable = SAFE_NAME.test(name) ? name : `h:${digest(name, 16)}`
  return `${readable}:${digest(`${algorithm}|${limit}|${windowMs}`, 8)}`
}

/** The part of every key of one identity: prefix and hash tag. Append a rule id to get a key. */
export function keyBase(prefix: string, identity: string): string {
  return `${prefix}{${identityTag(identity)}}:`
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
