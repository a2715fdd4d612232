/**
 * The two algorithms on in-process state. The Lua script in `redis-scripts.ts` implements the same
 * arithmetic on Redis; the shared store-contract suite holds both to the same answers.
 *
 * Times are milliseconds from the store's clock (fractions allowed).
 */
import type { StoreRuleResult } from '../types.js'

/** An exact log of admitted requests: parallel arrays of time and cost, oldest first from `head`. */
export interface LogState {
  readonly kind: 'log'
  times: number[]
  costs: number[]
  head: number
  /** Sum of costs from `head` on (entries not yet pruned may include expired ones). */
  total: number
  expiresAt: number
}

/** The two-window counter: counts for window index `w` and the one before it. */
export interface CounterState {
  readonly kind: 'counter'
  w: number
  current: number
  previous: number
  expiresAt: number
}

export type EntryState = LogState | CounterState

/** Milliseconds of slack added before rounding a computed wait up, so float error never makes it short. */
const SLACK_MS = 0.001

function waitMs(ms: number): number {
  return Math.max(1, Math.ceil(ms + SLACK_MS))
}

/** Drops log entries that have left the window `(now - windowMs, now]`. */
function prune(log: LogState, now: number, windowMs: number): void {
  const cutoff = now - windowMs
  while (log.head < log.times.length && log.times[log.head]! <= cutoff) {
    log.total -= log.costs[log.head]!
    log.head++
  }
  if (log.head > 64 && log.head * 2 > log.times.length) {
    log.times = log.times.slice(log.head)
    log.costs = log.costs.slice(log.head)
    log.head = 0
  }
}

/** Evaluates (and when `record`, records) `cost` against a sliding log. */
export function slidingLog(
  state: LogState | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
): { result: StoreRuleResult; admit: boolean; apply: () => LogState } {
  const log = state ?? { kind: 'log', times: [], costs: [], head: 0, total: 0, expiresAt: 0 }
  prune(log, now, windowMs)
  const used = log.total
  const newest = log.head < log.times.length ? log.times[log.times.length - 1]! : undefined
  if (used + cost <= limit) {
    // Scores never go backwards, even if an injected clock does.
    const at = newest === undefined ? now : Math.max(now, newest)
    return {
      admit: true,
      result: { used: used + cost, retryAfterMs: 0, resetMs: Math.ceil(at + windowMs - now) },
      apply: () => {
        log.times.push(at)
        log.costs.push(cost)
        log.total += cost
        log.expiresAt = at + windowMs
        return log
      },
    }
  }
  // Refused: wait until enough of the oldest entries leave to make room for `cost`.
  let toFree = used + cost - limit
  let index = log.head
  while (toFree > 0 && index < log.times.length) toFree -= log.costs[index++]!
  const freedAt = log.times[index - 1]!
  return {
    admit: false,
    result: {
      used,
      retryAfterMs: waitMs(freedAt + windowMs - now),
      resetMs: Math.ceil(newest! + windowMs - now),
    },
    apply: () => log,
  }
}

/** Evaluates (and when `record`, records) `cost` against the two-window weighted counter. */
export function slidingWindow(
  state: CounterState | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
): { result: StoreRuleResult; admit: boolean; apply: () => CounterState } {
  const w = Math.floor(now / windowMs)
  let current = 0
  let previous = 0
  if (state && state.w === w) {
    current = state.current
    previous = state.previous
  } else if (state && state.w === w - 1) {
    previous = state.current
  }
  const elapsed = now - w * windowMs
  const left = windowMs - elapsed
  const estimate = previous * (1 - elapsed / windowMs) + current
  if (estimate + cost <= limit) {
    const after = current + cost
    return {
      admit: true,
      result: { used: estimate + cost, retryAfterMs: 0, resetMs: Math.ceil(left + windowMs) },
      apply: () => {
        const next = state ?? { kind: 'counter', w, current: 0, previous: 0, expiresAt: 0 }
        next.w = w
        next.current = after
        next.previous = previous
        next.expiresAt = (w + 2) * windowMs
        return next
      },
    }
  }
  return {
    admit: false,
    result: {
      used: estimate,
      retryAfterMs: waitMs(counterWait(previous, current, elapsed, left, limit, windowMs, cost)),
      resetMs: Math.ceil(current > 0 ? left + windowMs : previous > 0 ? left : 0),
    },
    apply: () => state ?? { kind: 'counter', w, current: 0, previous: 0, expiresAt: 0 },
  }
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
