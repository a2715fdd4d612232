/**
 * The token bucket as GCRA (generic cell rate algorithm) on in-process state, the same arithmetic
 * as the Lua script's: one timestamp per key, the theoretical arrival time (TAT) — when the bucket
 * would be full again. A token comes back every `window / limit` ms (the emission interval); the
 * tokens missing from a full bucket at `now` are `(TAT − now) / interval`. A request of cost c is
 * admitted when `missing + c ≤ burst`, and then TAT becomes `now + (missing + c) · interval`.
 *
 * Floating point: `missing` within 1 µs of refill of a whole number is that number, so the units a client
 * sees (`burst − missing`, rounded down) never lose one to rounding, and TAT is rebuilt from the
 * snapped count on every write, so errors never accumulate.
 */
import type { StoreRule } from '../types.js'
import type { RuleCheck } from './memory-log.js'

/** A bucket: when it is full again (ms, the store's clock). */
export interface BucketState {
  readonly kind: 'bucket'
  tat: number
  expiresAt: number
  /** The memory store's bookkeeping: when it last moved this key to the recent end. */
  seen: number
}

/**
 * Times within this many ms (1 µs, the resolution of Redis `TIME`) are one time: an absolute time
 * near 1.7e12 ms is a double precise to about 0.25 µs, so closer answers are rounding noise.
 */
const SNAP_MS = 0.001

/** Milliseconds rounded up, ignoring float noise below {@link SNAP_MS} (717.0001 is 717). */
const wholeMs = (ms: number): number => Math.max(0, Math.ceil(ms - SNAP_MS))

/** Milliseconds per token. */
export const emissionInterval = (rule: StoreRule): number => rule.windowMs / rule.limit

/** Tokens missing from a full bucket at `now` (≥ 0), snapped to a whole number when within {@link SNAP_MS} of time. */
function missing(state: BucketState | undefined, now: number, interval: number): number {
  if (state === undefined || state.tat <= now) return 0
  const exact = (state.tat - now) / interval
  const whole = Math.round(exact)
  return Math.abs(exact - whole) * interval <= SNAP_MS ? whole : exact
}

/** Evaluates `cost` against a bucket, recording nothing. */
export function checkBucket(
  state: BucketState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
  out: RuleCheck,
): void {
  const interval = emissionInterval(rule)
  const burst = rule.burst ?? rule.limit
  const used = missing(state, now, interval)
  out.used = used
  out.resetMs = wholeMs(used * interval)
  if (used + cost <= burst) {
    out.retryAfterMs = 0
    out.usedAfter = used + cost
    out.resetAfterMs = wholeMs((used + cost) * interval)
    return
  }
  if (cost > burst) {
    out.retryAfterMs = Number.POSITIVE_INFINITY
    return
  }
  // Enough tokens are back once (used + cost − burst) of them have been refilled.
  let wait = Math.max(1, wholeMs((used + cost - burst) * interval))
  // Floating point must never make the wait short: re-check at the promised time.
  for (let i = 0; i < 3 && missing(state, now + wait, interval) + cost > burst; i++) wait++
  out.retryAfterMs = wait
}

/** Records `cost` in a bucket that {@link checkBucket} just admitted it to. */
export function recordBucket(
  state: BucketState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
): BucketState {
  const interval = emissionInterval(rule)
  const tat = now + (missing(state, now, interval) + cost) * interval
  const next: BucketState = state ?? { kind: 'bucket', tat, expiresAt: tat, seen: -1 }
  next.tat = tat
  next.expiresAt = tat
  return next
}

/**
 * Gives back up to `cost` tokens (never more than are missing). Writes the state after the refund
 * into `out`; true when the bucket is full again (the key can go).
 */
export function refundBucket(
  state: BucketState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
  out: RuleCheck,
): boolean {
  const interval = emissionInterval(rule)
  const used = Math.max(0, missing(state, now, interval) - cost)
  out.used = used
  out.resetMs = wholeMs(used * interval)
  out.retryAfterMs = 0
  if (state === undefined || used === 0) return true
  state.tat = now + used * interval
  state.expiresAt = state.tat
  return false
}

/** A bucket full again `expiresInMs` from now, as another store reported (never fuller than it). */
export function seedBucket(now: number, rule: StoreRule, expiresInMs: number): BucketState {
  const full = emissionInterval(rule) * (rule.burst ?? rule.limit)
  const tat = now + Math.min(full, expiresInMs)
  return { kind: 'bucket', tat, expiresAt: tat, seen: -1 }
}
