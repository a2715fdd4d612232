/**
 * A concurrency limit validated and resolved once per limit object (cached), like rules: the hot
 * path only looks the result up. A call that adds a `signal` spreads the limit into a new object;
 * resolving one again costs a few checks (the key suffix is memoized by name).
 */
import { parseDuration } from './duration.js'
import { describeValue, invalidConfig } from './errors.js'
import { type ConcurrencyLimit, leaseKeySuffix } from './leases.js'
import { DEFAULT_RULE_NAME, POLICIES } from './rules.js'
import type { StoreErrorPolicy } from './types.js'

/** Most leases one identity may hold under one name (each is a sorted-set member in Redis). */
export const MAX_CONCURRENCY = 10_000
/** How long a lease lives unrenewed when the limit does not say. */
export const DEFAULT_LEASE_MS = 60_000
const MIN_LEASE_MS = 50
const MAX_LEASE_MS = 86_400_000

export interface ResolvedConcurrencyLimit {
  readonly name: string
  readonly max: number
  readonly leaseMs: number
  readonly onStoreError: StoreErrorPolicy | undefined
  readonly shadow: boolean
  /** The key's part after the identity's hash tag (see `leaseKeySuffix`). */
  readonly keySuffix: string
}

const resolved = new WeakMap<object, ResolvedConcurrencyLimit>()

/**
 * Validates a concurrency limit and applies its defaults.
 * @throws RateLimitConfigError (`INVALID_RULE`) naming the field and what is allowed.
 */
export function resolveConcurrencyLimit(limit: ConcurrencyLimit): ResolvedConcurrencyLimit {
  if (typeof limit !== 'object' || limit === null) {
    invalidConfig(
      `Expected a concurrency limit { name, max, leaseMs? }, got ${describeValue(limit)}`,
      'INVALID_RULE',
    )
  }
  const cached = resolved.get(limit)
  if (cached) return cached
  const { name = DEFAULT_RULE_NAME, max, leaseMs = DEFAULT_LEASE_MS, onStoreError, shadow = false } = limit
  const label = typeof name === 'string' ? `concurrency limit "${name}"` : 'concurrency limit'
  if (typeof name !== 'string' || name.length === 0 || name.length > 1000) {
    invalidConfig(
      `Expected \`name\` of ${label} to be a non-empty string of at most 1000 characters`,
      'INVALID_RULE',
    )
  }
  if (!Number.isInteger(max) || max < 1 || max > MAX_CONCURRENCY) {
    invalidConfig(
      `Expected \`max\` of ${label} to be an integer from 1 to ${MAX_CONCURRENCY}, got ${describeValue(max)}`,
      'INVALID_RULE',
    )
  }
  const ms = parseDuration(leaseMs, `\`leaseMs\` of ${label}`)
  if (ms < MIN_LEASE_MS || ms > MAX_LEASE_MS) {
    invalidConfig(
      `Expected \`leaseMs\` of ${label} to be from 50 ms to 1 day, got ${describeValue(leaseMs)}`,
      'INVALID_RULE',
    )
  }
  if (onStoreError !== undefined && !POLICIES.includes(onStoreError)) {
    invalidConfig(
      `Expected \`onStoreError\` of ${label} to be 'local', 'open' or 'closed', got ${describeValue(onStoreError)}`,
      'INVALID_RULE',
    )
  }
  if (limit.signal !== undefined && !(limit.signal instanceof AbortSignal)) {
    invalidConfig(`Expected \`signal\` of ${label} to be an AbortSignal`, 'INVALID_RULE')
  }
  const result = {
    name,
    max,
    leaseMs: ms,
    onStoreError,
    shadow: shadow === true,
    keySuffix: leaseKeySuffix(name),
  }
  resolved.set(limit, result)
  return result
}
