/**
 * Decisions → `RateLimit`, `RateLimit-Policy` (IETF draft-ietf-httpapi-ratelimit-headers, the
 * structured-field syntax of drafts 08–11) and `Retry-After`.
 *
 *   RateLimit-Policy: "Query.search";q=10;w=60
 *   RateLimit: "Query.search";r=3;t=42
 *   Retry-After: 42            (only when refused)
 */
import { formatDuration } from './duration.js'
import { moreRestrictive } from './engine/decision.js'
import type { RateLimitDecision, ResolvedRule, RuleDecision } from './types.js'

/** Which policies to list. */
export type HeaderPolicies =
  /** Only the most restrictive rule (fewest units left; on refusal the longest wait). */
  | 'binding'
  /** One list item per rule touched. */
  | 'all'

/** Options of {@link rateLimitHeaders} and {@link HeaderAccumulator}. */
export interface HeaderOptions {
  /** @default 'binding' */
  policies?: HeaderPolicies
}

/**
 * Milliseconds as whole seconds, rounded up (never negative): the one rounding every header and
 * `extensions.rateLimit` use, so both name the same number for the same state.
 */
export const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000))

/** A window in whole seconds, at least 1 (a 500 ms window is not a 0-second one). */
export const windowSeconds = (windowMs: number): number => Math.max(1, seconds(windowMs))

/** A structured-field string: printable ASCII with `"` and `\` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/**
 * Collects decisions from one HTTP response (several fields of one operation, several calls of a
 * tRPC batch) and merges them: per rule the most restrictive state wins, never the last one.
 */
export class HeaderAccumulator {
  readonly #byRule = new Map<string, RuleDecision>()
  readonly #policies: HeaderPolicies
  #retryAfterMs = 0
  #refused = false

  constructor(options: HeaderOptions = {}) {
    this.#policies = options.policies ?? 'binding'
  }

  /** True once any decision was added. */
  get touched(): boolean {
    return this.#byRule.size > 0
  }

  /** True when some added decision refused. */
  get refused(): boolean {
    return this.#refused
  }

  add(decision: RateLimitDecision): void {
    for (const rule of decision.rules) {
      const seen = this.#byRule.get(rule.rule.id)
      if (!seen || moreRestrictive(rule, seen)) this.#byRule.set(rule.rule.id, rule)
    }
    if (!decision.allowed) {
      this.#refused = true
      if (Number.isFinite(decision.retryAfterMs))
        this.#retryAfterMs = Math.max(this.#retryAfterMs, decision.retryAfterMs)
    }
  }

  /** The header values; empty when nothing was added. `Retry-After` only when something was refused. */
  headers(): Record<string, string> {
    if (this.#byRule.size === 0) return {}
    let listed: RuleDecision[]
    if (this.#policies === 'binding') {
      let best: RuleDecision | undefined
      for (const r of this.#byRule.values()) if (!best || moreRestrictive(r, best)) best = r
      listed = [best!]
    } else listed = [...this.#byRule.values()]
    // One loop building both headers: this runs once per response.
    let policy = ''
    let state = ''
    for (let i = 0; i < listed.length; i++) {
      const r = listed[i]!
      const unique = listed.every((other, j) => j === i || other.rule.name !== r.rule.name)
      const separator = i === 0 ? '' : ', '
      policy += separator + policyItem(r, unique)
      const wait = r.allowed
        ? r.resetMs
        : Math.max(r.resetMs, r.retryAfterMs === Number.POSITIVE_INFINITY ? 0 : r.retryAfterMs)
      state += `${separator}${labelOf(r.rule, unique)};r=${r.remaining};t=${seconds(wait)}`
    }
    const out: Record<string, string> = { 'RateLimit-Policy': policy, RateLimit: state }
    if (this.#refused && this.#retryAfterMs > 0)
      out['Retry-After'] = String(Math.max(1, seconds(this.#retryAfterMs)))
    return out
  }
}

/** A rule's header texts, built once per (frozen, long-lived) resolved rule: every response lists them. */
interface RuleTexts {
  /** `"name"` */
  readonly plain: string
  /** `"name/1m"`, when two listed rules share a name. */
  windowed?: string
  /** The plain `RateLimit-Policy` item and the limit it was built for. */
  policy?: { readonly limit: number; readonly text: string }
}
const ruleTexts = new WeakMap<ResolvedRule, RuleTexts>()

function textsOf(rule: ResolvedRule): RuleTexts {
  let texts = ruleTexts.get(rule)
  if (texts === undefined) {
    texts = { plain: sfString(rule.name) }
    ruleTexts.set(rule, texts)
  }
  return texts
}

/** The list item label: the rule name, or name/window (name/period) when another listed rule has the same name. */
function labelOf(rule: ResolvedRule, unique: boolean): string {
  const texts = textsOf(rule)
  if (unique) return texts.plain
  // A calendar quota by its period ("api/month"): its nominal length (31d) would mislead.
  texts.windowed ??= sfString(`${rule.name}/${rule.calendar?.period ?? formatDuration(rule.windowMs)}`)
  return texts.windowed
}

/** A `RateLimit-Policy` item; the usual one (a uniquely named rule) is built once per rule and limit. */
function policyItem(r: RuleDecision, unique: boolean): string {
  if (!unique) return policyText(r, false)
  const texts = textsOf(r.rule)
  if (texts.policy?.limit !== r.limit) texts.policy = { limit: r.limit, text: policyText(r, true) }
  return texts.policy.text
}

function policyText(r: RuleDecision, unique: boolean): string {
  return `${labelOf(r.rule, unique)};q=${r.limit};w=${windowSeconds(r.rule.windowMs)}`
}

/**
 * Header values for one or more decisions.
 * @example
 * for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value)
 */
export function rateLimitHeaders(
  decisions: RateLimitDecision | readonly RateLimitDecision[],
  options?: HeaderOptions,
): Record<string, string> {
  const acc = new HeaderAccumulator(options)
  for (const d of Array.isArray(decisions) ? decisions : [decisions as RateLimitDecision]) acc.add(d)
  return acc.headers()
}

/** Whole seconds to wait, rounded up (at least 1), as `Retry-After` and `extensions.retryAfter` use. */
export function retryAfterSeconds(decision: Pick<RateLimitDecision, 'retryAfterMs'>): number {
  return Number.isFinite(decision.retryAfterMs) ? Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) : -1
}
