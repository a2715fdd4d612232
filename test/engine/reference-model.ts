/**
 * Brute-force reference models of the two algorithms, written from their definitions and nothing
 * else (no pruning, no running totals, no ring buffers), for the property tests to hold the real
 * stores to.
 *
 * - {@link ReferenceLog}: keeps every admitted request with its time and cost. A request of cost c
 *   is admitted iff, for every rule, the costs admitted in (now − window, now] plus c ≤ limit.
 * - {@link ReferenceCounter}: keeps the admitted cost per fixed window index. A request is admitted
 *   iff, for every rule, `previous × (1 − elapsed/window) + current + c ≤ limit`.
 *
 * - {@link ReferenceBucket}: a continuous token bucket, in exact integers: the level of a key is
 *   its tokens × window, refilled by `limit` per millisecond up to `burst × window`. A request of
 *   cost c is admitted iff, for every rule, level ≥ c × window.
 *
 * All admit all rules or none, and record only what they admit. A refund of c gives back up to
 * c units per rule: the log from its newest entries in the window, the counter from the current
 * fixed window's count.
 */

export interface ModelRule {
  readonly key: string
  readonly limit: number
  readonly windowMs: number
}

export interface ModelRuleAnswer {
  /** Whether this rule alone admits. */
  readonly allowed: boolean
  /** Usage before the request. */
  readonly used: number
  /** 0 when this rule admits; else the exact (log) wait until it would. */
  readonly retryAfterMs: number
}

export interface ModelAnswer {
  readonly allowed: boolean
  readonly rules: readonly ModelRuleAnswer[]
}

interface Entry {
  readonly at: number
  readonly cost: number
}

/** Every admitted request, per key. */
export class ReferenceLog {
  readonly history = new Map<string, Entry[]>()

  /** Units admitted under `key` in the window (t − windowMs, t]. */
  usedAt(key: string, windowMs: number, t: number): number {
    let sum = 0
    for (const entry of this.history.get(key) ?? [])
      if (entry.at > t - windowMs && entry.at <= t) sum += entry.cost
    return sum
  }

  /** Decides (and, when `record` and admitted, records) a request at `now`. */
  decide(now: number, rules: readonly ModelRule[], cost: number, record: boolean): ModelAnswer {
    const answers = rules.map((rule): ModelRuleAnswer => {
      const used = this.usedAt(rule.key, rule.windowMs, now)
      const allowed = used + cost <= rule.limit
      return { allowed, used, retryAfterMs: allowed ? 0 : this.#wait(rule, now, cost) }
    })
    const allowed = answers.every((a) => a.allowed)
    if (allowed && record) {
      for (const rule of rules) {
        const list = this.history.get(rule.key) ?? []
        list.push({ at: now, cost })
        this.history.set(rule.key, list)
      }
    }
    return { allowed, rules: answers }
  }

  /** Gives back up to `cost` units per rule from the newest entries in (now − windowMs, now]. */
  refund(now: number, rules: readonly ModelRule[], cost: number): void {
    for (const rule of rules) {
      const list = this.history.get(rule.key) ?? []
      let left = cost
      for (let i = list.length - 1; i >= 0 && left > 0 && list[i]!.at > now - rule.windowMs; i--) {
        const part = Math.min(list[i]!.cost, left)
        left -= part
        list[i] = { at: list[i]!.at, cost: list[i]!.cost - part }
      }
      this.history.set(
        rule.key,
        list.filter((entry) => entry.cost > 0),
      )
    }
  }

  /** The smallest wait after which this rule admits `cost`, with no other traffic: tried at every moment an entry leaves. */
  #wait(rule: ModelRule, now: number, cost: number): number {
    if (cost > rule.limit) return Number.POSITIVE_INFINITY
    const leaving = (this.history.get(rule.key) ?? [])
      .map((entry) => entry.at + rule.windowMs)
      .filter((t) => t > now)
      .sort((a, b) => a - b)
    for (const t of leaving) if (this.usedAt(rule.key, rule.windowMs, t) + cost <= rule.limit) return t - now
    throw new Error('unreachable: once every entry has left, any cost ≤ limit fits')
  }
}

/** The admitted cost per fixed window, per key. */
export class ReferenceCounter {
  readonly counts = new Map<string, Map<number, number>>()
  /** Every admission, for the bound checks: key → (time, cost). */
  readonly admitted = new Map<string, Entry[]>()

  /** The weighted estimate at time t, the same formula the stores compute. */
  estimate(key: string, windowMs: number, t: number): number {
    const index = Math.floor(t / windowMs)
    const elapsed = t - index * windowMs
    const counts = this.counts.get(key)
    const current = counts?.get(index) ?? 0
    const previous = counts?.get(index - 1) ?? 0
    return previous * (1 - elapsed / windowMs) + current
  }

  decide(now: number, rules: readonly ModelRule[], cost: number, record: boolean): ModelAnswer {
    const answers = rules.map((rule): ModelRuleAnswer => {
      const used = this.estimate(rule.key, rule.windowMs, now)
      const allowed = used + cost <= rule.limit
      // The counter's wait is only bounded, not exact: the property test checks it separately.
      return { allowed, used, retryAfterMs: allowed ? 0 : Number.NaN }
    })
    const allowed = answers.every((a) => a.allowed)
    if (allowed && record) {
      for (const rule of rules) {
        const index = Math.floor(now / rule.windowMs)
        const counts = this.counts.get(rule.key) ?? new Map<number, number>()
        counts.set(index, (counts.get(index) ?? 0) + cost)
        this.counts.set(rule.key, counts)
        const list = this.admitted.get(rule.key) ?? []
        list.push({ at: now, cost })
        this.admitted.set(rule.key, list)
      }
    }
    return { allowed, rules: answers }
  }

  /**
   * Gives back up to `cost` units per rule from the current fixed window's count only; the
   * admissions behind them (for the bound checks) lose their newest units in that window.
   */
  refund(now: number, rules: readonly ModelRule[], cost: number): void {
    for (const rule of rules) {
      const index = Math.floor(now / rule.windowMs)
      const counts = this.counts.get(rule.key)
      const current = counts?.get(index) ?? 0
      const given = Math.min(cost, current)
      if (given === 0) continue
      counts!.set(index, current - given)
      const list = this.admitted.get(rule.key)!
      let left = given
      for (let i = list.length - 1; i >= 0 && left > 0; i--) {
        const part = Math.min(list[i]!.cost, left)
        left -= part
        list[i] = { at: list[i]!.at, cost: list[i]!.cost - part }
      }
    }
  }

  /** Cost admitted under `key` in the interval (t − windowMs, t]. */
  admittedIn(key: string, windowMs: number, t: number): number {
    let sum = 0
    for (const entry of this.admitted.get(key) ?? [])
      if (entry.at > t - windowMs && entry.at <= t) sum += entry.cost
    return sum
  }

  /** Cost admitted under `key` in the fixed window with this index. */
  admittedInWindow(key: string, index: number): number {
    return this.counts.get(key)?.get(index) ?? 0
  }
}

export interface ModelBucketRule extends ModelRule {
  readonly burst: number
}

/** A continuous token bucket per key, in exact integers (tokens × window), from its definition. */
export class ReferenceBucket {
  /** key → level (tokens × window) at time `at`. */
  readonly state = new Map<string, { level: number; at: number }>()

  /** The level of `rule` at time t ≥ the last update: refilled `limit` per ms, up to `burst × window`. */
  level(rule: ModelBucketRule, t: number): number {
    const full = rule.burst * rule.windowMs
    const s = this.state.get(rule.key)
    if (s === undefined) return full
    return Math.min(full, s.level + (t - s.at) * rule.limit)
  }

  decide(now: number, rules: readonly ModelBucketRule[], cost: number, record: boolean): ModelAnswer {
    const answers = rules.map((rule): ModelRuleAnswer => {
      const level = this.level(rule, now)
      const need = cost * rule.windowMs
      const allowed = level >= need
      // Tokens missing from a full bucket; the smallest whole-ms wait until the level reaches `need`.
      const used = rule.burst - level / rule.windowMs
      const retryAfterMs = allowed
        ? 0
        : cost > rule.burst
          ? Number.POSITIVE_INFINITY
          : Math.ceil((need - level) / rule.limit)
      return { allowed, used, retryAfterMs }
    })
    const allowed = answers.every((a) => a.allowed)
    if (allowed && record) {
      for (const rule of rules)
        this.state.set(rule.key, { level: this.level(rule, now) - cost * rule.windowMs, at: now })
    }
    return { allowed, rules: answers }
  }
}
