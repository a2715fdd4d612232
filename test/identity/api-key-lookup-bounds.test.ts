/**
 * The API-key lookup is your code on your database: it may hang, and its errors may quote the key
 * anywhere. A request never waits past `lookupTimeoutMs`, a hung registry holds at most
 * `maxPendingLookups` lookups, and no key survives in what a failed lookup rejects with.
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createApiKeyResolver } from '../../src/identity/api-keys.js'
import { redactKey } from '../../src/identity/redact-key.js'
import { createIdentify, IdentityError, RateLimitConfigError } from '../../src/index.js'

const KEY = 'sk_live_0123456789abcdef'
const ctx = (key: string) => ({
  req: { headers: { 'x-api-key': key }, socket: { remoteAddress: '203.0.113.7' } },
})

/** A lookup that answers only when told to; `waiting` holds one answer per lookup not yet answered. */
function hungLookup() {
  const waiting: Array<() => void> = []
  const lookup = (key: string) =>
    new Promise<{ owner: string }>((resolve) => {
      waiting.push(() => resolve({ owner: `owner-of-${key}` }))
    })
  const answerAll = () => {
    for (const answer of waiting.splice(0)) answer()
  }
  return { lookup, waiting, answerAll }
}

/** What a call settles to: its value, or the error it rejects with. */
// biome-ignore lint/suspicious/noExplicitAny: either a caller or an IdentityError, checked by each test.
const failure = (pending: unknown): Promise<any> => Promise.resolve(pending).catch((e: unknown) => e)

describe('an API-key lookup that does not answer', () => {
  it('fails each request after lookupTimeoutMs, while one lookup per key keeps running and its answer is cached', async () => {
    const hung = hungLookup()
    const resolve = createApiKeyResolver({ lookup: hung.lookup, lookupTimeoutMs: 20 })
    const [first, second] = await Promise.all([failure(resolve(KEY)), failure(resolve(KEY))])
    for (const error of [first, second]) {
      expect(error).toBeInstanceOf(IdentityError)
      expect(error).toMatchObject({ code: 'API_KEY_LOOKUP_FAILED', status: 503 })
      expect((error.cause as Error).message).toMatch(/within 20 ms.*apiKeys\.lookupTimeoutMs/)
    }
    // Still one lookup: a later request with the key waits for it rather than starting another.
    const third = failure(resolve(KEY))
    expect(hung.waiting).toHaveLength(1)
    hung.answerAll()
    expect(await third).toMatchObject({ kind: 'api-key', owner: `owner-of-${KEY}` })
    expect(await resolve(KEY)).toMatchObject({ owner: `owner-of-${KEY}` })
    expect(hung.waiting).toHaveLength(0)
  })

  it('counts the caller by IP when the lookup times out, or refuses it with requireApiKey', async () => {
    const hung = hungLookup()
    const apiKeys = { lookup: hung.lookup, lookupTimeoutMs: 20 }
    const byIp = createIdentify({ apiKeys, logger: false })
    expect(await byIp(ctx(KEY))).toEqual({ id: 'ip:203.0.113.7', kind: 'ip' })
    const strict = createIdentify({ apiKeys, requireApiKey: true, logger: false })
    expect(await failure(strict(ctx(KEY)))).toMatchObject({ code: 'API_KEY_LOOKUP_FAILED' })
    hung.answerAll()
  })

  it('looks up at most maxPendingLookups keys at once: a fresh key beyond fails at once, without a lookup', async () => {
    const hung = hungLookup()
    const resolve = createApiKeyResolver({
      lookup: hung.lookup,
      lookupTimeoutMs: 60_000,
      maxPendingLookups: 3,
    })
    const pending = Array.from({ length: 3 }, (_, i) => failure(resolve(`fresh-key-${i}`)))
    const started = performance.now()
    const beyond = await failure(resolve('fresh-key-3'))
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(beyond).toMatchObject({ code: 'API_KEY_LOOKUP_FAILED' })
    expect((beyond.cause as Error).message).toMatch(/3 API keys are being looked up.*maxPendingLookups/)
    expect(hung.waiting).toHaveLength(3)
    hung.answerAll()
    await Promise.all(pending)
    // Settled lookups free their places.
    const next = resolve('fresh-key-4')
    expect(hung.waiting).toHaveLength(1)
    hung.answerAll()
    expect(await next).toMatchObject({ owner: 'owner-of-fresh-key-4' })
  })

  it('validates lookupTimeoutMs and maxPendingLookups when built, naming the option', () => {
    const lookup = () => null
    for (const lookupTimeoutMs of [0, 1.5, 60_001, '200' as never]) {
      expect(() => createApiKeyResolver({ lookup, lookupTimeoutMs })).toThrow(/`apiKeys.lookupTimeoutMs`/)
    }
    for (const maxPendingLookups of [0, -1, 2.5]) {
      expect(() => createApiKeyResolver({ lookup, maxPendingLookups })).toThrow(RateLimitConfigError)
      expect(() => createApiKeyResolver({ lookup, maxPendingLookups })).toThrow(/`apiKeys.maxPendingLookups`/)
    }
  })
})

describe('redacting the key from a failed lookup', () => {
  it('reaches every cause, AggregateError member and property, through a cycle', () => {
    const driver = new Error(`invalid input syntax for type uuid: "${KEY}"`)
    Object.assign(driver, { detail: `Key (id)=(${KEY})`, parameters: [KEY, 42], code: '22P02' })
    driver.name = 'DatabaseError'
    const pool = new AggregateError([driver, `raw ${KEY}`], 'all hosts failed')
    const outer = new Error('api_keys lookup failed', { cause: pool })
    Object.assign(pool, { self: outer })
    const redacted = redactKey(outer, KEY) as Error
    expect(inspect(redacted, { depth: 20 })).not.toContain(KEY)
    expect(redacted.message).toBe('api_keys lookup failed')
    const cause = redacted.cause as AggregateError
    expect(cause).toBeInstanceOf(AggregateError)
    expect(cause.errors[0]).toMatchObject({
      message: 'invalid input syntax for type uuid: "[key]"',
      detail: 'Key (id)=([key])',
      parameters: ['[key]', 42],
      code: '22P02',
    })
    expect(cause.errors[1]).toBe('raw [key]')
    expect((cause.errors[0] as Error).name).toBe('DatabaseError')
    expect(Object.keys(cause.errors[0] as object)).not.toContain('name')
    expect((cause as unknown as { self: unknown }).self).toBe(redacted)
  })

  it('replaces the key as a JSON string or a URL would spell it', () => {
    const key = 'sk_"odd\\key/+=0123'
    const error = new Error(`body ${JSON.stringify({ key })} url /keys/${encodeURIComponent(key)}`)
    const text = inspect(redactKey(error, key))
    expect(text).toContain('body {"key":"[key]"} url /keys/[key]')
    expect(text).not.toContain(JSON.stringify(key).slice(1, -1))
    expect(text).not.toContain(encodeURIComponent(key))
  })

  it('returns an error that never mentions the key as it is', () => {
    const error = new RangeError('connection refused', { cause: new Error('ECONNREFUSED') })
    expect(redactKey(error, KEY)).toBe(error)
    expect(redactKey(42, KEY)).toBe(42)
  })

  it('cuts a chain nested deeper than it follows, leaving no key below the cut', () => {
    let error = new Error(`at the bottom: ${KEY}`)
    for (let i = 0; i < 10_000; i++) error = new Error(`level ${i}`, { cause: error })
    const started = performance.now()
    const redacted = redactKey(error, KEY)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(inspect(redacted, { depth: Number.POSITIVE_INFINITY })).not.toContain(KEY)
  })

  it('drops what it cannot read: a property whose getter throws may hold the key', () => {
    const hostile = new Error('lookup failed')
    Object.defineProperty(hostile, 'query', {
      enumerable: true,
      get: () => {
        throw new Error(KEY)
      },
    })
    const redacted = redactKey(hostile, KEY) as Error
    expect(redacted === hostile).toBe(false)
    expect(redacted.message).toBe('lookup failed')
    expect(Object.keys(redacted)).toEqual([])
    const revoked = Proxy.revocable(new Error(KEY), {})
    revoked.revoke()
    expect(inspect(redactKey(revoked.proxy, KEY))).not.toContain(KEY)
  })
})
