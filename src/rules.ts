/**
 * Rules: validation and defaults (`resolveRule`), done once per rule object and cached, so the hot
 * path only looks the result up; and the validation of a cost.
 */
import { type Calendar, calendarOf, NOMINAL_PERIOD_MS } from './calendar.js'
import { formatDuration, parseDuration } from './duration.js'
import { describeValue, invalidConfig, RateLimitConfigError } from './errors.js'
import { ruleId } from './keys.js'
import type { Algorithm, RateLimitRule, ResolvedRule, StoreAlgorithm, StoreErrorPolicy } from './types.js'

/** Rules with a limit up to this use the exact sliding log by default; larger ones the counter. */
export const SLIDING_LOG_MAX_DEFAULT_LIMIT = 1000
/** Largest accepted limit. */
export const MAX_LIMIT = 1_000_000_000
/** Default rule name. */
export const DEFAULT_RULE_NAME = 'default'

const ALGORITHMS: readonly Algorithm[] = ['sliding-log', 'sliding-window', 'token-bucket']
export const POLICIES: readonly StoreErrorPolicy[] = ['local', 'open', 'closed']

const resolvedRules = new WeakMap<object, ResolvedRule>()
const resolvedLists = new WeakMap<object, readonly ResolvedRule[]>()
/** A rule object's one-rule list: one look-up on the hot path. */
const singleLists = new WeakMap<object, readonly ResolvedRule[]>()
/** The one-rule list of each resolved rule, shared by equal rule objects. */
const singletons = new WeakMap<ResolvedRule, readonly ResolvedRule[]>()

/**
 * Internal, for tests only (not exported from the package): a rule carrying this symbol with a
 * number of milliseconds counts a calendar quota in fixed periods of that length since the epoch
 * instead of calendar ones, so a test crosses a period boundary of Redis `TIME` in real time.
 */
export const TEST_PERIOD_MS: unique symbol = Symbol('resolver-rate-limit.test-period-ms')

/** What a rule counts in: its window or period, algorithm, capacity, and the parameters its id digests. */
interface RuleShape {
  readonly windowMs: number
  readonly algorithm: StoreAlgorithm
  readonly burst: number
  readonly calendar: Calendar | undefined
  /** Parameters beyond limit, window and algorithm that make a budget distinct ('' for none). */
  readonly params: string
}

function resolveShape(rule: RateLimitRule, label: string): RuleShape {
  const { limit, algorithm, burst, period, timeZone = 'UTC' } = rule
  if (period !== undefined || rule.timeZone !== undefined) {
    if (rule.window !== undefined)
      invalidConfig(`Expected ${label} to have either \`window\` or \`period\`, not both`, 'INVALID_RULE')
    if (algorithm !== undefined || burst !== undefined) {
      invalidConfig(
        `Expected ${label} with \`period\` to have no \`algorithm\` or \`burst\`: a calendar quota counts per period`,
        'INVALID_RULE',
      )
    }
    const lengthMs = (rule as { [TEST_PERIOD_MS]?: number })[TEST_PERIOD_MS]
    const calendar = calendarOf(period, timeZone, label, lengthMs)
    const windowMs = lengthMs ?? NOMINAL_PERIOD_MS[calendar.period]
    const params = `${calendar.period}|${timeZone}${lengthMs === undefined ? '' : `|${lengthMs}`}`
    return { windowMs, algorithm: 'calendar', burst: limit, calendar, params }
  }
  if (rule.window === undefined) {
    invalidConfig(
      `Expected ${label} to have a \`window\` (e.g. '1m') or a calendar \`period\` ('day', 'week' or 'month')`,
      'INVALID_RULE',
    )
  }
  const windowMs = parseDuration(rule.window, `\`window\` of ${label}`)
  const chosen = algorithm ?? (limit <= SLIDING_LOG_MAX_DEFAULT_LIMIT ? 'sliding-log' : 'sliding-window')
  if (!ALGORITHMS.includes(chosen)) {
    invalidConfig(
      `Expected \`algorithm\` of ${label} to be 'sliding-log', 'sliding-window' or 'token-bucket', got ${describeValue(chosen)}`,
      'INVALID_RULE',
    )
  }
  if (chosen !== 'token-bucket') {
    if (burst !== undefined)
      invalidConfig(`Expected \`burst\` of ${label} only with algorithm 'token-bucket'`, 'INVALID_RULE')
    return { windowMs, algorithm: chosen, burst: limit, calendar: undefined, params: '' }
  }
  const capacity = burst ?? limit
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_LIMIT) {
    invalidConfig(
      `Expected \`burst\` of ${label} to be an integer from 1 to ${MAX_LIMIT}, got ${describeValue(burst)}`,
      'INVALID_RULE',
    )
  }
  return { windowMs, algorithm: chosen, burst: capacity, calendar: undefined, params: `burst=${capacity}` }
}

function ruleLabel(rule: { name?: unknown }): string {
  return typeof rule.name === 'string' ? `rule "${rule.name}"` : 'rule'
}

/**
 * Validates a rule and resolves its defaults. Cached per rule object, so a rule defined once is
 * validated once, never on the hot path.
 * @throws RateLimitConfigError (`INVALID_RULE`) naming the field and what is allowed.
 */
export function resolveRule(rule: RateLimitRule): ResolvedRule {
  if (typeof rule !== 'object' || rule === null)
    invalidConfig(`Expected a rule object, got ${describeValue(rule)}`, 'INVALID_RULE')
  const cached = resolvedRules.get(rule)
  if (cached) return cached
  const label = ruleLabel(rule)
  const { name = DEFAULT_RULE_NAME, limit, onStoreError, shadow = false } = rule
  if (typeof name !== 'string' || name.length === 0 || name.length > 1000) {
    invalidConfig(
      `Expected \`name\` of ${label} to be a non-empty string of at most 1000 characters`,
      'INVALID_RULE',
    )
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    invalidConfig(
      `Expected \`limit\` of ${label} to be an integer from 1 to ${MAX_LIMIT}, got ${describeValue(limit)}`,
      'INVALID_RULE',
    )
  }
  const { windowMs, algorithm: chosen, burst, calendar, params } = resolveShape(rule, label)
  if (onStoreError !== undefined && !POLICIES.includes(onStoreError)) {
    invalidConfig(
      `Expected \`onStoreError\` of ${label} to be 'local', 'open' or 'closed', got ${describeValue(onStoreError)}`,
      'INVALID_RULE',
    )
  }
  if (typeof shadow !== 'boolean')
    invalidConfig(`Expected \`shadow\` of ${label} to be a boolean`, 'INVALID_RULE')
  const resolved: ResolvedRule = Object.freeze({
    name,
    limit,
    windowMs,
    algorithm: chosen,
    burst,
    ...(calendar === undefined ? {} : { calendar }),
    id: ruleId(name, chosen, limit, windowMs, params),
    onStoreError,
    shadow,
    source: rule,
  })
  resolvedRules.set(rule, resolved)
  return resolved
}

/**
 * Resolves one rule or a non-empty list of rules. The answer is the same list object for the same
 * rules — for a rule object, for an array object, and for a fresh array holding the same rule
 * objects (as `consume(id, [burst, sustained])` builds on every call) — so caches keyed by it hit.
 */
export function resolveRules(rules: RateLimitRule | readonly RateLimitRule[]): readonly ResolvedRule[] {
  if (!Array.isArray(rules)) {
    const single = singleLists.get(rules as RateLimitRule)
    if (single) return single
    const resolved = resolveRule(rules as RateLimitRule)
    const list = singleList(resolved)
    singleLists.set(rules as RateLimitRule, list)
    return list
  }
  const cached = resolvedLists.get(rules)
  if (cached) return cached
  if (rules.length === 0) invalidConfig('Expected at least one rule, got an empty list', 'INVALID_RULE')
  const resolved = rules.map(resolveRule)
  const list = resolved.length === 1 ? singleList(resolved[0]!) : internList(resolved)
  resolvedLists.set(rules, list)
  return list
}

function singleList(rule: ResolvedRule): readonly ResolvedRule[] {
  let list = singletons.get(rule)
  if (!list) {
    list = Object.freeze([rule])
    singletons.set(rule, list)
  }
  return list
}

/** Lists of several rules, by their first rule: a few candidates each, compared element by element. */
const listsByFirst = new WeakMap<ResolvedRule, Array<readonly ResolvedRule[]>>()
const MAX_LISTS_PER_FIRST = 16

function internList(resolved: ResolvedRule[]): readonly ResolvedRule[] {
  const candidates = listsByFirst.get(resolved[0]!) ?? []
  for (const candidate of candidates) {
    if (candidate.length === resolved.length && candidate.every((rule, i) => rule === resolved[i]))
      return candidate
  }
  if (new Set(resolved.map((r) => r.id)).size !== resolved.length) {
    invalidConfig(
      'Expected the rules of one check to differ: two rules have the same name, limit, window and algorithm',
      'INVALID_RULE',
    )
  }
  const list = Object.freeze(resolved)
  if (candidates.length >= MAX_LISTS_PER_FIRST) candidates.shift()
  candidates.push(list)
  listsByFirst.set(resolved[0]!, candidates)
  return list
}

/** A rule's budget in words, for logs: `10 per 1m`, `1000 per day (Europe/Berlin)`, `20 per 1s (burst 40)`. */
export function describeBudget(rule: ResolvedRule): string {
  const { calendar } = rule
  if (calendar !== undefined) return `${rule.limit} per ${calendar.period} (${calendar.timeZone})`
  const per = `${rule.limit} per ${formatDuration(rule.windowMs)}`
  return rule.algorithm === 'token-bucket' ? `${per} (burst ${rule.burst})` : per
}

/**
 * Validates a cost: a positive integer.
 * @throws RateLimitConfigError (`INVALID_COST`)
 */
export function validateCost(cost: unknown): number {
  if (!Number.isInteger(cost) || (cost as number) < 1 || (cost as number) > MAX_LIMIT) {
    throw new RateLimitConfigError(
      'INVALID_COST',
      `Expected \`cost\` to be an integer from 1 to ${MAX_LIMIT}, got ${describeValue(cost)}`,
    )
  }
  return cost as number
}
