import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  createIdentify,
  createRateLimiter,
  definePlans,
  type Identify,
  MemoryStore,
  type RateLimiter,
  type RateLimitRule,
  resolveCaller,
  rulesForCaller,
} from '../../src/index.js'
import { manualClock } from '../helpers.js'

const search: RateLimitRule = { name: 'Query.search', limit: 5, window: '1m' }
const upload: RateLimitRule = { name: 'Mutation.upload', limit: 3, window: '1h' }

/** What an adapter does per call: identify → rules for this caller → one consume. */
async function call(
  identify: Identify,
  limiter: RateLimiter,
  ctx: unknown,
  rules: readonly RateLimitRule[] = [search],
) {
  const caller = await resolveCaller(identify, ctx)
  const applied = rulesForCaller(rules, caller)
  if (applied === null) return { allowed: true, caller, unlimited: true }
  const decision = await limiter.consume(caller.id, applied)
  return { allowed: decision.allowed, caller, decision, unlimited: false }
}

/** A context as graphql-yoga on node:http and tRPC standalone give it. */
const ctx = (remoteAddress: string, headers: Record<string, string> = {}) => ({
  req: { headers, socket: { remoteAddress } },
})

async function admitted(n: number, make: (i: number) => Promise<{ allowed: boolean }>): Promise<number> {
  let count = 0
  for (let i = 0; i < n; i++) if ((await make(i)).allowed) count++
  return count
}

const plans = definePlans({
  free: { name: 'free' },
  pro: { name: 'pro', scale: 10, limits: { 'Mutation.upload': { limit: 100, window: '1h' } } },
  internal: { name: 'internal', unlimited: true },
})

let limiters: RateLimiter[] = []
function limiter(): RateLimiter {
  const l = createRateLimiter({
    store: new MemoryStore({ clock: manualClock(), sweepIntervalMs: 0 }),
    logger: false,
  })
  limiters.push(l)
  return l
}
afterEach(async () => {
  await Promise.all(limiters.map((l) => l.close()))
  limiters = []
})

describe('identify driving the limiter', () => {
  const records = new Map<string, ApiKeyRecord>()
  const lookup = (key: string) => records.get(key) ?? null
  const issue = (record: ApiKeyRecord) => {
    const key = `sk_${randomBytes(16).toString('hex')}`
    records.set(key, record)
    return key
  }

  it('keeps a client rotating random API keys and spoofed forwarding headers within its IP limit', async () => {
    const l = limiter()
    const identify = createIdentify({ apiKeys: { lookup } })
    const count = await admitted(40, (i) =>
      call(
        identify,
        l,
        ctx('198.51.100.23', { 'x-api-key': `sk_${randomUUID()}`, 'x-forwarded-for': `10.0.0.${i}` }),
      ),
    )
    expect(count).toBe(5)
  })

  it('keeps a client rotating IPv6 addresses inside its /56 and random bearer keys within one limit', async () => {
    const l = limiter()
    const identify = createIdentify({ apiKeys: { lookup } })
    const count = await admitted(30, (i) =>
      call(
        identify,
        l,
        ctx(`2001:db8:0:1${(i % 16).toString(16)}::${i + 1}`, { authorization: `Bearer k${randomUUID()}` }),
      ),
    )
    expect(count).toBe(5)
  })

  it('gives one account one budget however many of its keys it rotates, and each key its own with budget "key"', async () => {
    const keys = Array.from({ length: 10 }, () => issue({ owner: 'acct_rotating' }))
    const shared = limiter()
    const byOwner = createIdentify({ apiKeys: { lookup } })
    expect(
      await admitted(10, (i) => call(byOwner, shared, ctx(`203.0.113.${i}`, { 'x-api-key': keys[i]! }))),
    ).toBe(5)
    const perKey = limiter()
    const byKey = createIdentify({ apiKeys: { lookup, budget: 'key' } })
    expect(
      await admitted(10, (i) => call(byKey, perKey, ctx('203.0.113.1', { 'x-api-key': keys[i]! }))),
    ).toBe(10)
  })

  it('scales limits by plan and applies per-rule plan limits', async () => {
    const l = limiter()
    const identify = createIdentify({ apiKeys: { lookup, plans } })
    const free = issue({ owner: 'acct_free', plan: 'free' })
    const pro = issue({ owner: 'acct_pro', plan: 'pro' })
    expect(await admitted(60, () => call(identify, l, ctx('203.0.113.5', { 'x-api-key': free })))).toBe(5)
    expect(await admitted(60, () => call(identify, l, ctx('203.0.113.5', { 'x-api-key': pro })))).toBe(50)
    expect(
      await admitted(120, () => call(identify, l, ctx('203.0.113.5', { 'x-api-key': pro }), [upload])),
    ).toBe(100)
    const refused = await call(identify, l, ctx('203.0.113.5', { 'x-api-key': pro }))
    expect(refused.decision).toMatchObject({ allowed: false, limit: 50, reason: 'limited' })
  })

  it('lets a single key carry its own override, which wins over its plan', async () => {
    const l = limiter()
    const identify = createIdentify({ apiKeys: { lookup, plans, budget: 'key' } })
    const key = issue({
      owner: 'acct_special',
      plan: 'pro',
      limits: { 'Query.search': { limit: 2, window: '1m' } },
    })
    expect(await admitted(10, () => call(identify, l, ctx('203.0.113.6', { 'x-api-key': key })))).toBe(2)
    expect(
      await admitted(10, () => call(identify, l, ctx('203.0.113.6', { 'x-api-key': key }), [upload])),
    ).toBe(10)
  })

  it('skips the check only for an explicitly unlimited plan', async () => {
    const l = limiter()
    const identify = createIdentify({ apiKeys: { lookup, plans } })
    const key = issue({ owner: 'acct_internal', plan: 'internal' })
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call(identify, l, ctx('203.0.113.7', { 'x-api-key': key }))),
    )
    expect(results.every((r) => r.allowed && r.unlimited)).toBe(true)
  })

  it('stops admitting a revoked key within the cache TTL, falling back to the IP budget', async () => {
    const l = limiter()
    const clock = manualClock()
    const identify = createIdentify({ apiKeys: { lookup, plans, cacheTtlMs: 5_000, clock } })
    const key = issue({ owner: 'acct_revoked', plan: 'pro' })
    const first = await call(identify, l, ctx('203.0.113.8', { 'x-api-key': key }))
    expect(first.caller.kind).toBe('api-key')
    records.delete(key)
    clock.advance(4_999)
    expect((await call(identify, l, ctx('203.0.113.8', { 'x-api-key': key }))).caller.kind).toBe('api-key')
    clock.advance(1)
    const after = await call(identify, l, ctx('203.0.113.8', { 'x-api-key': key }))
    expect(after.caller).toEqual({ id: 'ip:203.0.113.8', kind: 'ip' })
  })
})

describe('identify on a real node:http request', () => {
  it('uses the socket address, ignores spoofed headers and random keys, and honours trustProxy for loopback', async () => {
    const l = limiter()
    const plain = createIdentify({ apiKeys: { lookup: () => null } })
    const behindProxy = createIdentify({ trustProxy: ['loopback'] })
    const seen: string[] = []
    const server = createServer(async (req: IncomingMessage, res) => {
      const identify = req.headers['x-mode'] === 'proxy' ? behindProxy : plain
      const result = await call(identify, l, { req })
      seen.push(result.caller.id)
      res.writeHead(result.allowed ? 200 : 429).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const statuses: number[] = []
      for (let i = 0; i < 8; i++) {
        const headers = {
          'x-forwarded-for': `6.6.6.${i}`,
          forwarded: `for=6.6.6.${i}`,
          'x-real-ip': `6.6.6.${i}`,
          'x-api-key': randomUUID(),
        }
        statuses.push((await fetch(`http://127.0.0.1:${port}/`, { headers })).status)
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(5)
      expect(new Set(seen)).toEqual(new Set(['ip:127.0.0.1']))
      const proxied = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { 'x-mode': 'proxy', 'x-forwarded-for': '6.6.6.6, 203.0.113.77' },
      })
      expect(proxied.status).toBe(200)
      expect(seen.at(-1)).toBe('ip:203.0.113.77')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
