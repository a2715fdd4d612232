/**
 * The exact sliding log on in-process state. The Lua script in `redis-scripts.ts` implements the
 * same arithmetic on Redis; the shared store-contract suite holds both to the same answers, and a
 * property test holds this one to a brute-force model.
 *
 * Times are milliseconds from the store's clock (fractions allowed). Check functions write into a
 * caller-owned {@link RuleCheck} instead of allocating: they run on every request.
 */

/**
 * An exact log of admitted requests: a ring buffer of (time, cost), oldest first. It never holds
 * more than `limit` entries (each costs ≥ 1), so the capacity stops growing at `limit`.
 *
 * Plain arrays, not typed ones: a typed array above 64 bytes lives outside the JS heap, and
 * allocating one (and collecting it) cost more than the rest of a check — a fresh key grows its
 * log several times. An array may be shorter than the capacity: a slot at its end is appended.
 * Costs are kept only once one differs from 1: until then the usual log holds half the numbers.
 */
export interface LogState {
  readonly kind: 'log'
  times: number[]
  /** Undefined while every entry costs 1. */
  costs: number[] | undefined
  /** Capacity − 1: the capacity is a power of two, at most the limit's next one. */
  mask: number
  /** Index of the oldest entry. */
  head: number
  size: number
  /** Sum of the costs held. */
  total: number
  expiresAt: number
  /** The memory store's bookkeeping: when it last moved this key to the recent end. */
  seen: number
}

/** One rule's answer: usage without the request (`used`, `resetMs`) and, when it admits, with it. */
export interface RuleCheck {
  used: number
  resetMs: number
  /** 0 when this rule admits, `Infinity` when the cost exceeds the limit. */
  retryAfterMs: number
  usedAfter: number
  resetAfterMs: number
}

/** Drops entries that have left the window `(now − windowMs, now]`. */
function prune(log: LogState, now: number, windowMs: number): void {
  const cutoff = now - windowMs
  const mask = log.mask
  while (log.size > 0 && log.times[log.head]! <= cutoff) {
    log.total -= costAt(log, log.head)
    log.head = (log.head + 1) & mask
    log.size--
  }
}

/**
 * How the memory store checks one rule of either algorithm: `cost` against the key's state
 * (undefined: nothing held), recording nothing; the answer is written into `out`.
 */
export type CheckRule<State> = (
  state: State | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
  out: RuleCheck,
) => void

/** Evaluates `cost` against a sliding log (pruning expired entries, recording nothing). */
export const checkLog: CheckRule<LogState> = (log, now, limit, windowMs, cost, out) => {
  let used = 0
  let newest = Number.NEGATIVE_INFINITY
  if (log !== undefined) {
    prune(log, now, windowMs)
    used = log.total
    if (log.size > 0) newest = log.times[(log.head + log.size - 1) & log.mask]!
  }
  out.used = used
  out.resetMs = used > 0 ? Math.ceil(newest + windowMs - now) : 0
  if (used + cost <= limit) {
    out.retryAfterMs = 0
    out.usedAfter = used + cost
    // Times never go backwards in the log, even if an injected clock does.
    out.resetAfterMs = Math.ceil(Math.max(now, newest) + windowMs - now)
  } else {
    out.retryAfterMs =
      cost > limit ? Number.POSITIVE_INFINITY : logWait(log!, now, windowMs, used + cost - limit)
  }
}

/**
 * Exact wait until the oldest entries holding `excess` units have left the window: an entry at t
 * leaves when `t ≤ now' − windowMs`, so the wait is the smallest whole ms with that property.
 */
function logWait(log: LogState, now: number, windowMs: number, excess: number): number {
  const mask = log.mask
  let index = log.head
  let freed = costAt(log, index)
  while (freed < excess) {
    index = (index + 1) & mask
    freed += costAt(log, index)
  }
  const leaves = log.times[index]!
  let wait = Math.ceil(leaves + windowMs - now)
  if (leaves > now + wait - windowMs) wait++ // floating point: the same comparison prune makes
  return Math.max(1, wait)
}

/** Records `cost` in a log that {@link checkLog} just admitted it to; returns the state to keep. */
export function recordLog(
  log: LogState | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
): LogState {
  const state = log ?? newLog(Math.min(8, nextPowerOfTwo(limit)))
  if (state.size > state.mask) grow(state)
  const mask = state.mask
  const at = state.size > 0 ? Math.max(now, state.times[(state.head + state.size - 1) & mask]!) : now
  const slot = (state.head + state.size) & mask
  if (cost !== 1 && state.costs === undefined) state.costs = state.times.map(() => 1)
  state.times[slot] = at
  if (state.costs !== undefined) state.costs[slot] = cost
  state.size++
  state.total += cost
  state.expiresAt = at + windowMs
  return state
}

/**
 * Gives back up to `cost` units from the newest live entries (a partly refunded entry keeps the
 * rest of its cost), so the budget returns as if those units had not been admitted. Expired
 * entries are pruned first and never count. Writes the state after the refund into `out`.
 */
export function refundLog(
  log: LogState | undefined,
  now: number,
  windowMs: number,
  cost: number,
  out: RuleCheck,
): void {
  out.used = 0
  out.resetMs = 0
  out.retryAfterMs = 0
  if (log === undefined) return
  prune(log, now, windowMs)
  const mask = log.mask
  let left = cost
  while (left > 0 && log.size > 0) {
    const tail = (log.head + log.size - 1) & mask
    const entry = costAt(log, tail)
    const part = Math.min(entry, left)
    if (log.costs !== undefined) log.costs[tail] = entry - part
    log.total -= part
    left -= part
    if (part === entry) log.size--
  }
  if (log.size === 0) return
  const newest = log.times[(log.head + log.size - 1) & mask]!
  log.expiresAt = newest + windowMs
  out.used = log.total
  out.resetMs = Math.ceil(newest + windowMs - now)
}

function newLog(capacity: number): LogState {
  return {
    kind: 'log',
    times: [],
    costs: undefined,
    mask: capacity - 1,
    head: 0,
    size: 0,
    total: 0,
    expiresAt: 0,
    seen: -1,
  }
}

/** Doubles a full log's capacity; unwrapped (oldest at index 0), its arrays just go on growing. */
function grow(log: LogState): void {
  if (log.head !== 0) {
    const times: number[] = []
    const costs: number[] | undefined = log.costs && []
    for (let i = 0; i < log.size; i++) {
      times.push(log.times[(log.head + i) & log.mask]!)
      costs?.push(costAt(log, (log.head + i) & log.mask))
    }
    log.times = times
    log.costs = costs
    log.head = 0
  }
  log.mask = log.mask * 2 + 1
}

/** The cost of the entry in `slot`. */
function costAt(log: LogState, slot: number): number {
  return log.costs === undefined ? 1 : log.costs[slot]!
}

function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n))
}

/**
 * A log holding `used` units known from another store, all leaving the window `expiresInMs` from
 * now (that store's reset time, when its newest entry leaves): never less than that store's usage
 * at any moment until then, and nothing after.
 */
export function seedLog(
  now: number,
  limit: number,
  windowMs: number,
  used: number,
  expiresInMs: number,
): LogState {
  const at = now - windowMs + Math.min(windowMs, expiresInMs)
  return recordLog(undefined, at, limit, windowMs, Math.min(limit, Math.ceil(used)))
}
