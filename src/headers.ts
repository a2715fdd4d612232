import { formatDuration } from './duration.js'
import type { RateLimitDecision, RuleDecision } from './types.js'

/**
 * Decisions → `RateLimit`, `RateLimit-Policy` (IETF draft-ietf-httpapi-ratelimit-headers, the
 * structured-field syntax of drafts 08–11) and `Retry-After`.
 *
 *   RateLimit-Policy: "Query.search";q=10;w=60
 *   RateLimit: "Query.search";r=3;t=42
 *   Retry-After: 42            (only when refused)
 */

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

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000))

/** A structured-field string: printable ASCII with `"` and `\` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/** More restrictive = refused with a longer wait, else fewer units left, else a longer reset. */
function moreRestrictive(a: RuleDecision, b: RuleDecision): boolean {
  if (a.allowed !== b.allowed) return !a.allowed
  if (!a.allowed && a.retryAfterMs !== b.retryAfterMs) return a.retryAfterMs > b.retryAfterMs
  if (a.remaining !== b.remaining) return a.remaining < b.remaining
  return a.resetMs > b.resetMs
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
    let listed = [...this.#byRule.values()]
    if (this.#policies === 'binding') {
      listed = [listed.reduce((best, r) => (moreRestrictive(r, best) ? r : best))]
    }
    const names = listed.map((r) => r.rule.name)
    const label = (r: RuleDecision, i: number): string =>
      sfString(
        names.indexOf(names[i]!) === i && names.lastIndexOf(names[i]!) === i
          ? r.rule.name
          : `${r.rule.name}/${formatDuration(r.rule.windowMs)}`,
      )
    const out: Record<string, string> = {
      'RateLimit-Policy': listed
        .map((r, i) => `${label(r, i)};q=${r.limit};w=${Math.max(1, seconds(r.rule.windowMs))}`)
        .join(', '),
      RateLimit: listed
        .map(
          (r, i) =>
            `${label(r, i)};r=${r.remaining};t=${seconds(r.allowed ? r.resetMs : Math.max(r.resetMs, r.retryAfterMs === Number.POSITIVE_INFINITY ? 0 : r.retryAfterMs))}`,
        )
        .join(', '),
    }
    if (this.#refused && this.#retryAfterMs > 0)
      out['Retry-After'] = String(Math.max(1, seconds(this.#retryAfterMs)))
    return out
  }
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
