/**
 * The procedures behind the demo page at `/` (examples/demo/page/): one per algorithm, each with
 * the same small limit so the page can show how each fills and drains, and `lab.usage` to watch
 * a caller's window without spending from it.
 *
 * Adding a view is one entry in LAB_VIEWS: the router (router.ts) gets a procedure `lab.<id>` and
 * the page a panel, both from this list (the page reads it from `lab.views`).
 */
import { type RateLimiter, type RateLimitRule, resolveCaller, rulesForCaller } from '../../src/index.js'
import { DEMO_KEYS, identify } from './identity.js'

export interface LabView {
  /** The procedure's name under `lab.` and the panel's id. */
  readonly id: string
  readonly title: string
  /** One sentence on what to watch for. */
  readonly explain: string
  /** The free-tier rule (the pro plan scales it, as everywhere in the demo). */
  readonly rule: RateLimitRule
}

export const LAB_VIEWS: readonly LabView[] = [
  {
    id: 'slidingLog',
    title: 'Sliding log',
    explain:
      'Exact: each admitted request leaves the window exactly 10 s after it was made, so the budget comes back one request at a time.',
    rule: { limit: 5, window: '10s', algorithm: 'sliding-log' },
  },
  {
    id: 'slidingWindow',
    title: 'Sliding-window counter',
    explain:
      'Two counters, the previous window weighted by how much of it still overlaps: constant memory, and the budget comes back gradually after the window boundary.',
    rule: { limit: 5, window: '10s', algorithm: 'sliding-window' },
  },
  {
    id: 'tokenBucket',
    title: 'Token bucket',
    explain:
      'A bucket of 5 tokens refilled at 5 per 10 s, one token every 2 s: a full bucket allows a burst, then requests pass at the refill rate, evenly.',
    rule: { limit: 5, window: '10s', algorithm: 'token-bucket' },
  },
]

/** The rule of a view, named after its procedure. */
export function labRule(view: LabView): RateLimitRule {
  return { ...view.rule, name: `lab.${view.id}` }
}

/** What the page needs: the callers it can play and the views. */
export function labPage(views: readonly LabView[] = LAB_VIEWS) {
  return {
    callers: [
      { id: 'anonymous', label: 'Anonymous (your IP)', key: null },
      { id: 'free', label: 'Free plan key (ada)', key: DEMO_KEYS.free },
      { id: 'pro', label: 'Pro plan key (grace), 10 × the limits', key: DEMO_KEYS.pro },
    ],
    views: views.map(({ id, title, explain, rule }) => ({ id, title, explain, rule })),
  }
}

/**
 * The caller's usage of one view's rule, as `limiter.usage` reports it (records nothing), with
 * the caller's plan applied as the middleware applies it.
 */
export async function labUsage(limiter: RateLimiter, ctx: object, id: string, views = LAB_VIEWS) {
  const view = views.find((v) => v.id === id)
  if (!view) return null
  const caller = await resolveCaller(identify, ctx)
  const rules = rulesForCaller([labRule(view)], caller)
  if (!rules) return { unlimited: true as const }
  const usage = await limiter.usage(caller.id, rules)
  return { limit: usage.limit, used: usage.used, resetMs: usage.resetMs }
}
