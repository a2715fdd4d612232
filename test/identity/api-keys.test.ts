import { describe, expect, it, vi } from 'vitest'
import { createApiKeyReader } from '../../src/identity/api-key-reader.js'
import { createApiKeyResolver } from '../../src/identity/api-keys.js'
import { type ApiKeyRecord, createIdentify, IdentityError, RateLimitConfigError } from '../../src/index.js'
import { manualClock } from '../helpers.js'

const ctx = (headers: Record<string, string | undefined>, remoteAddress = '203.0.113.7') => ({
  req: { headers, socket: { remoteAddress } },
})
const KEY = 'sk_live_0123456789abcdef'

describe('reading API keys', () => {
  const read = createApiKeyReader({})

  it('reads x-api-key first, then Authorization: Bearer', () => {
    expect(read(ctx({ 'x-api-key': KEY }))).toBe(KEY)
    expect(read(ctx({ authorization: `Bearer ${KEY}` }))).toBe(KEY)
    expect(read(ctx({ authorization: `bearer   ${KEY} ` }))).toBe(KEY)
    expect(read(ctx({ 'x-api-key': KEY, authorization: 'Bearer other-key-1234' }))).toBe(KEY)
    expect(read(ctx({ authorization: `Basic ${KEY}` }))).toBeUndefined()
    expect(read(new Request('http://x/', { headers: { 'x-api-key': KEY } }))).toBe(KEY)
    expect(read({ request: new Request('http://x/', { headers: { authorization: `Bearer ${KEY}` } }) })).toBe(
      KEY,
    )
  })

  it('ignores oversized, non-printable and pattern-failing keys instead of looking them up', () => {
    expect(read(ctx({ 'x-api-key': 'k'.repeat(257) }))).toBeUndefined()
    expect(read(ctx({ 'x-api-key': 'k'.repeat(256) }))).toBe('k'.repeat(256))
    expect(read(ctx({ authorization: `Bearer ${'k'.repeat(5000)}` }))).toBeUndefined()
    expect(read(ctx({ 'x-api-key': 'two, keys' }))).toBeUndefined()
    expect(read(ctx({ 'x-api-key': 'ключ' }))).toBeUndefined()
    const strict = createApiKeyReader({ pattern: /^sk_live_[0-9a-f]{16}$/ })
    expect(strict(ctx({ 'x-api-key': KEY }))).toBe(KEY)
    expect(strict(ctx({ 'x-api-key': 'sk_live_zzzz' }))).toBeUndefined()
  })

  it('reads the configured header, or only it, or uses getKey', () => {
    expect(
      createApiKeyReader({ header: 'x-token', bearer: false })(
        ctx({ 'x-token': KEY, authorization: 'Bearer b-key-123456' }),
      ),
    ).toBe(KEY)
    expect(createApiKeyReader({ header: false })(ctx({ 'x-api-key': KEY }))).toBeUndefined()
    expect(createApiKeyReader({ getKey: (c: { key: string }) => c.key })({ key: KEY })).toBe(KEY)
  })

  it('validates its options when built', () => {
    expect(() => createApiKeyReader({ header: 'X-Api-Key' })).toThrow(/`apiKeys.header`/)
    expect(() => createApiKeyReader({ maxLength: 3 })).toThrow(/`apiKeys.maxLength`/)
    expect(() => createApiKeyReader({ pattern: /x/g })).toThrow(/`apiKeys.pattern`/)
  })
})

describe('resolving API keys', () => {
  const records = new Map<string, ApiKeyRecord>([[KEY, { owner: 'acct_1', plan: 'pro' }]])
  const plans = { pro: { name: 'pro', scale: 10 } }

  it('caches answers for cacheTtlMs, so a revoked key stops working within the TTL', async () => {
    const clock = manualClock()
    const keys = new Map(records)
    const lookup = vi.fn((key: string) => keys.get(key) ?? null)
    const resolve = createApiKeyResolver({ lookup, plans, cacheTtlMs: 10_000, clock })
    expect(await resolve(KEY)).toMatchObject({ kind: 'api-key', owner: 'acct_1', plan: plans.pro })
    keys.delete(KEY)
    clock.advance(9_999)
    expect(await resolve(KEY)).not.toBeNull()
    expect(lookup).toHaveBeenCalledTimes(1)
    clock.advance(1)
    expect(await resolve(KEY)).toBeNull()
    expect(lookup).toHaveBeenCalledTimes(2)
  })

  it('caches unknown keys too, and shares one lookup between concurrent requests with one key', async () => {
    let calls = 0
    const resolve = createApiKeyResolver({
      lookup: async () => {
        calls++
        await new Promise((r) => setTimeout(r, 5))
        return null
      },
    })
    const answers = await Promise.all(Array.from({ length: 20 }, () => resolve('unknown-key-1234')))
    expect(answers.every((a) => a === null)).toBe(true)
    expect(await resolve('unknown-key-1234')).toBeNull()
    expect(calls).toBe(1)
  })

  it('counts every key of one owner under one identity by default, and each key alone with budget "key"', async () => {
    const lookup = (key: string) => (key.startsWith('acct1-') ? { owner: 'acct_1' } : null)
    const byOwner = createApiKeyResolver({ lookup })
    const [a, b] = [await byOwner('acct1-key-a'), await byOwner('acct1-key-b')]
    expect(a!.id).toBe(b!.id)
    expect(a!.id).toMatch(/^key:[\w-]{22}$/)
    const byKey = createApiKeyResolver({ lookup, budget: 'key' })
    expect((await byKey('acct1-key-a'))!.id).not.toBe((await byKey('acct1-key-b'))!.id)
  })

  it('rejects a record that cannot work as API_KEY_MISCONFIGURED, its cause naming the field but never the key', async () => {
    const resolve = createApiKeyResolver({ lookup: () => ({ owner: 'acct_1', plan: 'gold' }), plans })
    const error = await Promise.resolve(resolve(KEY)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IdentityError)
    expect(error).toMatchObject({ code: 'API_KEY_MISCONFIGURED', status: 403 })
    const cause = (error as IdentityError).cause as Error
    expect(cause).toBeInstanceOf(RateLimitConfigError)
    expect(cause.message).toMatch(/`plan`.*"gold"/)
    expect(`${(error as Error).message} ${cause.message} ${cause.stack}`).not.toContain(KEY)
    const bad = createApiKeyResolver({ lookup: () => ({ owner: 'a', limits: { 'Query.x': { limit: 0 } } }) })
    const badError = await Promise.resolve(bad(KEY)).catch((e: IdentityError) => e)
    expect((badError as IdentityError).cause).toMatchObject({
      message: expect.stringMatching(/limits.*Query\.x.*limit/),
    })
  })

  it('never resolves a plan name that is an Object.prototype property', async () => {
    for (const plan of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const resolve = createApiKeyResolver({ lookup: () => ({ owner: 'acct_1', plan }), plans })
      await expect(Promise.resolve(resolve(KEY))).rejects.toMatchObject({ code: 'API_KEY_MISCONFIGURED' })
    }
  })

  it('validates plans and options when built', () => {
    expect(() =>
      createApiKeyResolver({ lookup: () => null, plans: { pro: { name: 'pro', scale: 0 } } }),
    ).toThrow(/scale/)
    expect(() => createApiKeyResolver({ lookup: () => null, plans: { pro: { name: 'gold' } } })).toThrow(
      /plans\.pro\.name/,
    )
    expect(() => createApiKeyResolver({ lookup: () => null, budget: 'ip' as never })).toThrow(
      /`apiKeys.budget`/,
    )
    expect(() => createApiKeyResolver({ lookup: 'db' as never })).toThrow(/`apiKeys.lookup`/)
    expect(() => createApiKeyResolver({ lookup: () => null, cacheTtlMs: -1 })).toThrow(/`apiKeys.cacheTtlMs`/)
  })
})

describe('identify with API keys', () => {
  const lookup = (key: string) => (key === KEY ? { owner: 'acct_1' } : null)

  it('counts an unknown, malformed or oversized key by the client IP', async () => {
    const identify = createIdentify({ apiKeys: { lookup } })
    for (const key of ['unknown-key-123', 'k'.repeat(300), 'bad key']) {
      expect(await identify(ctx({ 'x-api-key': key }))).toEqual({ id: 'ip:203.0.113.7', kind: 'ip' })
    }
    expect(await identify(ctx({ 'x-api-key': KEY }))).toMatchObject({ kind: 'api-key', owner: 'acct_1' })
  })

  it('prefers the authenticated user over any key', async () => {
    const identify = createIdentify({ apiKeys: { lookup } })
    expect(await identify({ ...ctx({ 'x-api-key': KEY }), user: { id: 42 } })).toEqual({
      id: 'user:42',
      kind: 'user',
    })
    expect(await identify({ ...ctx({}), userId: 'u-7' })).toEqual({ id: 'user:u-7', kind: 'user' })
    expect(await identify({ ...ctx({}), user: { id: { toString: () => 'x' } } })).toMatchObject({
      kind: 'ip',
    })
  })

  it('refuses requests without a valid key with requireApiKey, never showing the key', async () => {
    const identify = createIdentify({ apiKeys: { lookup }, requireApiKey: true })
    for (const headers of [
      {},
      { 'x-api-key': 'unknown-key-123' },
      { authorization: 'Bearer nope-nope-nope' },
    ]) {
      const error = await Promise.resolve()
        .then(() => identify(ctx(headers)))
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(IdentityError)
      expect(error).toMatchObject({ code: 'API_KEY_REQUIRED', status: 401 })
      expect((error as Error).message).not.toMatch(/unknown-key|nope/)
    }
    expect(await identify(ctx({ 'x-api-key': KEY }))).toMatchObject({ kind: 'api-key' })
  })

  it('falls back to the IP when the lookup fails, logging once without the key, and refuses with requireApiKey', async () => {
    const warn = vi.fn()
    const failing = (key: string) => Promise.reject(new Error(`db down while reading ${key}`))
    const identify = createIdentify({ apiKeys: { lookup: failing }, logger: { warn, error: warn } })
    expect(await identify(ctx({ 'x-api-key': KEY }))).toEqual({ id: 'ip:203.0.113.7', kind: 'ip' })
    expect(await identify(ctx({ 'x-api-key': `${KEY}2` }))).toEqual({ id: 'ip:203.0.113.7', kind: 'ip' })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0])).toContain('db down while reading [key]')
    expect(String(warn.mock.calls[0])).not.toContain(KEY)
    const strict = createIdentify({ apiKeys: { lookup: failing }, requireApiKey: true, logger: false })
    const error = await Promise.resolve(strict(ctx({ 'x-api-key': KEY }))).catch((e: IdentityError) => e)
    expect(error).toMatchObject({ code: 'API_KEY_LOOKUP_FAILED', status: 503 })
    expect((error as IdentityError).cause).toMatchObject({ message: 'db down while reading [key]' })
    expect(String((error as IdentityError & { cause: Error }).cause.stack)).not.toContain(KEY)
  })

  it('refuses a request with no address at all by default, or shares one bucket with onUnknownClient "shared"', async () => {
    expect(() => createIdentify()({ request: new Request('http://x/') })).toThrow(IdentityError)
    expect(createIdentify({ onUnknownClient: 'shared' })({})).toEqual({ id: 'ip:unknown', kind: 'ip' })
  })

  it('refuses a request whose socket lost its address (a client reset) instead of believing its X-Forwarded-For', () => {
    const reset = {
      req: {
        headers: { 'x-forwarded-for': '6.6.6.6' },
        socket: { remoteAddress: undefined, server: { address: () => ({ address: '::', port: 443 }) } },
      },
    }
    const strict = createIdentify({ trustProxy: ['10.0.0.0/8'] })
    expect(() => strict(reset)).toThrow(expect.objectContaining({ code: 'CLIENT_UNIDENTIFIED', status: 400 }))
    const shared = createIdentify({ trustProxy: ['10.0.0.0/8'], onUnknownClient: 'shared' })
    expect(shared(reset)).toEqual({ id: 'ip:unknown', kind: 'ip' })
  })

  it('validates its options when built', () => {
    expect(() => createIdentify({ requireApiKey: true })).toThrow(/`apiKeys`.*`requireApiKey`/)
    expect(() => createIdentify({ onUnknownClient: 'allow' as never })).toThrow(/`onUnknownClient`/)
    expect(() =>
      createIdentify({ apiKeys: { lookup, plans: { free: { name: 'free', unlimited: 'yes' as never } } } }),
    ).toThrow(/`unlimited` of plan "free"/)
  })
})

describe('identify on the contexts servers give', () => {
  const identify = createIdentify({
    apiKeys: { lookup: (key) => (key === KEY ? { owner: 'acct_1' } : null) },
  })

  it('reads a Fetch Request as ctx.req (tRPC fetch adapter) and ctx.request (graphql-yoga), with getIp for the address', async () => {
    const withIp = createIdentify<{ req: Request; peer: string }>({ getIp: (c) => c.peer })
    const req = new Request('http://x/trpc', { headers: { 'x-forwarded-for': '6.6.6.6' } })
    expect(await withIp({ req, peer: '198.51.100.4' })).toEqual({ id: 'ip:198.51.100.4', kind: 'ip' })
    const keyed = new Request('http://x/graphql', { headers: { authorization: `Bearer ${KEY}` } })
    expect(await identify({ req: keyed })).toMatchObject({ kind: 'api-key', owner: 'acct_1' })
    expect(await identify({ request: keyed })).toMatchObject({ kind: 'api-key', owner: 'acct_1' })
  })

  it('reads the upgrade request of a graphql-ws connection (ctx.extra.request)', async () => {
    const extra = {
      request: { headers: { 'x-api-key': 'nope-nope-nope' }, socket: { remoteAddress: '2001:db8:1:2::3' } },
    }
    expect(await identify({ extra })).toEqual({ id: 'ip:2001:db8:1::/56', kind: 'ip' })
  })

  it('takes the user id from getUserId, typed by the context', async () => {
    type Ctx = { session?: { sub: string } }
    const bySession = createIdentify<Ctx>({ getUserId: (c) => c.session?.sub, onUnknownClient: 'shared' })
    expect(await bySession({ session: { sub: 'u-9' } })).toEqual({ id: 'user:u-9', kind: 'user' })
    expect(await bySession({})).toEqual({ id: 'ip:unknown', kind: 'ip' })
  })
})
