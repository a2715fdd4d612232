import type { AddressInfo } from 'node:net'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import { afterEach, describe, expect, it } from 'vitest'
import { createIdentify, type IdentifyOptions } from '../../src/identity/index.js'
import { rateLimit, rateLimitContext } from '../../src/trpc/index.js'
import { redisLimiter } from './fixtures.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

const keys: Record<string, { owner: string; plan: string }> = { sk_pro_1: { owner: 'acme', plan: 'pro' } }
const plans = { pro: { name: 'pro', scale: 5 }, internal: { name: 'internal', unlimited: true } }

async function appWith(identifyOptions: IdentifyOptions, onError?: 'open' | 'closed') {
  const redis = await redisLimiter({ identify: createIdentify({ logger: false, ...identifyOptions }) })
  cleanup.push(redis.close)
  const t = initTRPC.context<object>().create()
  const limited = t.procedure.use(rateLimit({ limiter: redis.limiter, limit: 2, window: '1m', onError }))
  return t.router({
    who: limited.query(
      ({ ctx }) => ctx.rateLimit && { id: ctx.rateLimit.identity, limit: ctx.rateLimit.limit },
    ),
  })
}

async function serve(router: Awaited<ReturnType<typeof appWith>>) {
  const server = createHTTPServer({ router, createContext: (opts) => rateLimitContext(opts) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return (headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}/who`, { headers })
}

describe('tRPC with the default identify chain', () => {
  it('counts an anonymous caller by the socket address of ctx.req (standalone adapter)', async () => {
    const get = await serve(await appWith({}))
    const response = await get()
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ result: { data: { id: 'ip:127.0.0.1', limit: 2 } } })
  })

  it("applies an API key's plan read from x-api-key", async () => {
    const get = await serve(await appWith({ apiKeys: { lookup: (key) => keys[key], plans } }))
    const response = await get({ 'x-api-key': 'sk_pro_1' })
    const body = (await response.json()) as { result: { data: { id: string; limit: number } } }
    expect(body.result.data.limit).toBe(10)
    expect(body.result.data.id).toMatch(/^key:/)
    expect(response.headers.get('ratelimit-policy')).toBe('"who";q=10;w=60')
  })

  it('answers 401 UNAUTHORIZED, not a server error, when requireApiKey is set and no valid key is sent', async () => {
    const get = await serve(
      await appWith({ apiKeys: { lookup: (key) => keys[key], plans }, requireApiKey: true }),
    )
    for (const headers of [{}, { 'x-api-key': 'sk_unknown' }] as Array<Record<string, string>>) {
      const response = await get(headers)
      expect(response.status).toBe(401)
      expect(JSON.stringify(await response.json())).toContain('UNAUTHORIZED')
    }
  })

  it("refuses with 429 when the key lookup fails under requireApiKey, even with onError: 'open'", async () => {
    const lookup = () => Promise.reject(new Error('database is down'))
    const get = await serve(await appWith({ apiKeys: { lookup, plans }, requireApiKey: true }, 'open'))
    const response = await get({ 'x-api-key': 'sk_pro_1' })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('1')
  })

  it('answers 400 BAD_REQUEST on the fetch adapter when no client address is known, and counts by getIp when given', async () => {
    const call = (router: Awaited<ReturnType<typeof appWith>>, ip: string) =>
      fetchRequestHandler({
        endpoint: '/trpc',
        req: new Request('http://app.test/trpc/who'),
        router,
        createContext: (opts) => ({ ...rateLimitContext(opts), ip }),
      })
    const unknown = await call(await appWith({}), '198.51.100.7')
    expect(unknown.status).toBe(400)
    const body = (await unknown.json()) as { error: { message: string } }
    expect(body.error.message).toBe('Cannot identify the caller')
    const withIp = await call(await appWith({ getIp: (ctx: { ip: string }) => ctx.ip }), '198.51.100.7')
    expect(withIp.status).toBe(200)
    expect(await withIp.json()).toEqual({ result: { data: { id: 'ip:198.51.100.7', limit: 2 } } })
  })
})
