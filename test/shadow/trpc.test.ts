import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  logShadowDecisions,
  MemoryStore,
  type RateLimitDecision,
  type RateLimiter,
} from '../../src/index.js'
import { rateLimit, rateLimitContext } from '../../src/trpc/index.js'
import { manualClock } from '../helpers.js'

function app(limiter: RateLimiter, shadow: boolean) {
  const t = initTRPC.context<{ user: { id: string } }>().create()
  const router = t.router({
    search: t.procedure
      .use(rateLimit({ limiter, limit: 1, window: '1m', shadow }))
      .query(({ ctx }) => ctx.rateLimit?.reason ?? 'plain'),
  })
  return async () => {
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request('http://app.test/trpc/search'),
      router,
      createContext: (opts) => ({ ...rateLimitContext(opts), user: { id: '9' } }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: the body is checked field by field.
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  }
}

const memory = (shadow = false) =>
  createRateLimiter({ store: new MemoryStore({ clock: manualClock() }), shadow, logger: false })

describe('shadow mode through tRPC', () => {
  it('a shadow middleware never refuses; the handler, the headers, the events and the log see the would-be refusal', async () => {
    const limiter = memory()
    const decisions: RateLimitDecision[] = []
    limiter.on('decision', ({ decision }) => decisions.push(decision))
    const lines: string[] = []
    logShadowDecisions(limiter, { warn: (line: string) => lines.push(line) })
    const call = app(limiter, true)
    const responses = [await call(), await call(), await call()]
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect(responses.map((r) => r.body.result.data)).toEqual(['plain', 'shadow', 'shadow'])
    expect(decisions.map((d) => d.reason)).toEqual([undefined, 'shadow', 'shadow'])
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('would have refused user:9 on "search" (1 per 1m)')
    // The limit state reaches the client in headers, as for any call (no Retry-After: nothing was refused).
    expect(responses[2]!.headers.get('ratelimit')).toMatch(/^"search";r=0;t=6\d$/)
    expect(responses[2]!.headers.get('ratelimit-policy')).toBe('"search";q=1;w=60')
    expect(responses[2]!.headers.get('retry-after')).toBeNull()
  })

  it('the same middleware without shadow refuses the second call', async () => {
    const call = app(memory(), false)
    expect((await call()).status).toBe(200)
    expect((await call()).status).toBe(429)
  })

  it('a limiter in shadow refuses no procedure', async () => {
    const call = app(memory(true), false)
    const responses = [await call(), await call()]
    expect(responses.map((r) => [r.status, r.body.result.data])).toEqual([
      [200, 'plain'],
      [200, 'shadow'],
    ])
  })
})
