/**
 * Who is calling, in the demo: an API key with a plan (free or pro), else the client IP.
 *
 * The key registry is a Map standing in for your database (see examples/api-key-plans.ts for the
 * Redis registry). The demo keys are fixed so that the docs' curl lines (docs/demo.md) work as written.
 */
import {
  type ApiKeyRecord,
  type Caller,
  createIdentify,
  definePlans,
  type Identify,
} from '../../src/index.js'

/**
 * Rule limits in the schema and the router are the free tier; plans scale or replace them by
 * rule name. `pro` gets ten times every limit and its own export quota.
 */
export const plans = definePlans({
  free: { name: 'free' },
  pro: { name: 'pro', scale: 10, limits: { 'Mutation.exportCatalog': { limit: 100, window: '1h' } } },
})

/** The demo's API keys, printed at start-up. */
export const DEMO_KEYS = {
  free: 'demo-free-key-ada',
  pro: 'demo-pro-key-grace',
} as const

const registry = new Map<string, ApiKeyRecord>([
  [DEMO_KEYS.free, { owner: 'ada', plan: 'free' }],
  [DEMO_KEYS.pro, { owner: 'grace', plan: 'pro' }],
])

/** Readable names for the identities seen so far (`key:<digest>` → `ada (free)`), for the log. */
const labels = new Map<string, string>()

/** `ip:203.0.113.7`, or `key:3f…a1 (ada, free)` for an API key caller. */
export function describeIdentity(identity: string): string {
  const label = labels.get(identity)
  return label ? `${identity.slice(0, 12)}… (${label})` : identity
}

function remember(caller: Caller): Caller {
  if (caller.kind === 'api-key' && !labels.has(caller.id)) {
    labels.set(caller.id, `${caller.owner}, ${caller.plan?.name ?? 'no plan'}`)
  }
  return caller
}

const identifyCaller = createIdentify({
  // The demo trusts X-Forwarded-For from loopback, as an app behind a local reverse proxy would:
  // `curl -H 'X-Forwarded-For: 203.0.113.7'` plays another client. Never trust it from anywhere else.
  trustProxy: 'loopback',
  apiKeys: { lookup: (key) => registry.get(key) ?? null, plans },
})

/**
 * The demo's identify: the default chain (user, API key, client IP), remembering API key owners
 * for the refusal log.
 */
export const identify: Identify = async (ctx) => {
  const caller = await identifyCaller(ctx)
  return typeof caller === 'string' ? caller : remember(caller)
}
