/**
 * The calendar quota on in-process state, the same arithmetic as the Lua script's: one count per
 * key, labelled with the period it counts in. A count from an earlier period is 0; the key
 * expires at the period's end. The period comes from the rule's calendar at the store's clock.
 */
import type { StoreRule } from '../types.js'
import type { RuleCheck } from './memory-log.js'

/** A count for the period `[start, end)`. */
export interface CalendarState {
  readonly kind: 'calendar'
  start: number
  end: number
  count: number
  expiresAt: number
  /** The memory store's bookkeeping: when it last moved this key to the recent end. */
  seen: number
}

/**
 * The period to count in at `now` and what is counted in it: the clock's, or the stored one if it
 * is later (the clock went back across a boundary: keep counting in the later period).
 */
function current(state: CalendarState | undefined, now: number, rule: StoreRule): [number, number, number] {
  const { start, end } = rule.calendar!.bounds(now)
  if (state === undefined || state.start < start) return [start, end, 0]
  return state.start === start ? [start, end, state.count] : [state.start, state.end, state.count]
}

/** Evaluates `cost` against the quota of the period containing `now`, recording nothing. */
export function checkCalendar(
  state: CalendarState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
  out: RuleCheck,
): void {
  const [, end, used] = current(state, now, rule)
  const left = Math.ceil(end - now)
  out.used = used
  out.resetMs = used > 0 ? left : 0
  if (used + cost <= rule.limit) {
    out.retryAfterMs = 0
    out.usedAfter = used + cost
    out.resetAfterMs = left
  } else {
    // The whole quota is back at the boundary, not before.
    out.retryAfterMs = cost > rule.limit ? Number.POSITIVE_INFINITY : Math.max(1, left)
  }
}

/** Records `cost` in the quota that {@link checkCalendar} just admitted it to. */
export function recordCalendar(
  state: CalendarState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
): CalendarState {
  const [start, end, used] = current(state, now, rule)
  const next: CalendarState = state ?? { kind: 'calendar', start, end, count: 0, expiresAt: end, seen: -1 }
  next.start = start
  next.end = end
  next.count = used + cost
  next.expiresAt = end
  return next
}

/** Gives back up to `cost` units of the current period's count (never below 0). */
export function refundCalendar(
  state: CalendarState | undefined,
  now: number,
  rule: StoreRule,
  cost: number,
  out: RuleCheck,
): void {
  const [start, end, used] = current(state, now, rule)
  if (state !== undefined && used > 0) {
    state.start = start
    state.end = end
    state.count = Math.max(0, used - cost)
  }
  checkCalendar(state, now, { ...rule, limit: Number.POSITIVE_INFINITY }, 0, out)
  out.retryAfterMs = 0
}

/** A quota holding `used` units of the current period, as another store reported. */
export function seedCalendar(now: number, rule: StoreRule, used: number): CalendarState {
  const { start, end } = rule.calendar!.bounds(now)
  return { kind: 'calendar', start, end, count: Math.ceil(used), expiresAt: end, seen: -1 }
}
