/**
 * The sliding-window counter on in-process state, the same arithmetic as the Lua script's: the
 * estimate `previous × (1 − elapsed/W) + current`, compared without rounding.
 */
import type { CheckRule, RuleCheck } from './memory-log.js'

/** The two-window counter: counts for window index `w` and the one before it. */
export interface CounterState {
  readonly kind: 'counter'
  w: number
  current: number
  previous: number
  expiresAt: number
  /** The memory store's bookkeeping: when it last moved this key to the recent end. */
  seen: number
}

/** The window index the counter counts in: the clock's, or the stored one if the clock went back. */
function counterIndex(state: CounterState | undefined, now: number, windowMs: number): number {
  const index = Math.floor(now / windowMs)
  return state !== undefined && state.w > index ? state.w : index
}

/** Evaluates `cost` against the two-window weighted counter, recording nothing. */
export const checkCounter: CheckRule<CounterState> = (state, now, limit, windowMs, cost, out) => {
  const w = counterIndex(state, now, windowMs)
  let current = 0
  let previous = 0
  if (state !== undefined && state.w === w) {
    current = state.current
    previous = state.previous
  } else if (state !== undefined && state.w === w - 1) {
    previous = state.current
  }
  const elapsed = Math.max(0, now - w * windowMs)
  const left = windowMs - elapsed
  const used = previous * (1 - elapsed / windowMs) + current
  out.used = used
  out.resetMs = Math.ceil(current > 0 ? left + windowMs : previous > 0 ? left : 0)
  if (used + cost <= limit) {
    out.retryAfterMs = 0
    out.usedAfter = used + cost
    out.resetAfterMs = Math.ceil(left + windowMs)
    return
  }
  if (cost > limit) {
    out.retryAfterMs = Number.POSITIVE_INFINITY
    return
  }
  let wait = Math.max(1, Math.ceil(counterWait(previous, current, elapsed, left, limit, windowMs, cost)))
  // Floating point must never make the wait short: re-check the estimate at the promised time.
  for (let i = 0; i < 3 && counterEstimate(w, current, previous, now + wait, windowMs) + cost > limit; i++)
    wait++
  out.retryAfterMs = wait
}

/** Records `cost` in a counter that {@link checkCounter} just admitted it to. */
export function recordCounter(
  state: CounterState | undefined,
  now: number,
  windowMs: number,
  cost: number,
): CounterState {
  const w = counterIndex(state, now, windowMs)
  const next: CounterState = state ?? { kind: 'counter', w, current: 0, previous: 0, expiresAt: 0, seen: -1 }
  if (next.w === w - 1) {
    next.previous = next.current
    next.current = 0
  } else if (next.w !== w) {
    next.previous = 0
    next.current = 0
  }
  next.w = w
  next.current += cost
  next.expiresAt = (w + 2) * windowMs
  return next
}

/**
 * Gives back up to `cost` units from the current window's count (never below 0). Units counted in
 * the previous window are not given back: they already weigh less with every millisecond, and
 * taking them off would return more budget than they still hold. Writes the state after the
 * refund into `out`; `retryAfterMs` is 0.
 */
export function refundCounter(
  state: CounterState | undefined,
  now: number,
  windowMs: number,
  cost: number,
  out: RuleCheck,
): void {
  const w = counterIndex(state, now, windowMs)
  if (state !== undefined && state.w === w) state.current = Math.max(0, state.current - cost)
  checkCounter(state, now, Number.POSITIVE_INFINITY, windowMs, 0, out)
  out.retryAfterMs = 0
}

/**
 * The counter's estimate at time `t` if nothing else is recorded: `previous·(1 − elapsed/W) +
 * current` in window `w`, `current·(1 − elapsed/W)` in the next, 0 after.
 */
export function counterEstimate(
  w: number,
  current: number,
  previous: number,
  t: number,
  windowMs: number,
): number {
  const index = Math.floor(t / windowMs)
  const share = 1 - (t - index * windowMs) / windowMs
  if (index <= w) return previous * (index === w ? share : 1) + current
  return index === w + 1 ? current * share : 0
}

/**
 * The earliest wait after which `previous·(1 − elapsed/W) + current + cost ≤ limit`, assuming no
 * other traffic: later in this window if the previous window's share can decay enough, else in
 * the next window, where this window's count becomes the decaying share.
 */
export function counterWait(
  previous: number,
  current: number,
  elapsed: number,
  left: number,
  limit: number,
  windowMs: number,
  cost: number,
): number {
  const room = limit - cost - current
  if (previous > 0 && room >= 0) {
    const wait = windowMs * (1 - room / previous) - elapsed
    if (wait <= left) return wait
  }
  const roomNext = limit - cost
  return left + (current > roomNext ? windowMs * (1 - roomNext / current) : 0)
}

/**
 * A counter whose estimate is `used` now, known from another store whose estimate reaches 0
 * `expiresInMs` from now, and never below that store's estimate until then: when that is within
 * this window, as the previous window's share (decaying to 0 at its end); else as this window's
 * count (decaying through the next).
 */
export function seedCounter(now: number, windowMs: number, used: number, expiresInMs: number): CounterState {
  const w = Math.floor(now / windowMs)
  const left = (w + 1) * windowMs - now
  const state: CounterState = { kind: 'counter', w, current: 0, previous: 0, expiresAt: 0, seen: -1 }
  if (expiresInMs > left) {
    state.current = used
    state.expiresAt = (w + 2) * windowMs
  } else {
    state.previous = used / (left / windowMs) // × the share left, (left / W), is `used` now
    state.expiresAt = (w + 1) * windowMs
  }
  return state
}
