/**
 * The Next.js App Router example's route handler (examples/nextjs-app-router/app/api/trpc/[trpc]/
 * route.ts) called as Next.js calls it: its `GET`/`POST` exports with Web `Request`s that carry
 * the X-Forwarded-For a proxy wrote (Next.js itself adds one only when the request has none).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { GET, POST } from '../../examples/nextjs-app-router/app/api/trpc/[trpc]/route.js'
import { limiter } from '../../examples/nextjs-app-router/server/limiter.js'

afterAll(() => limiter.close())

const BASE = 'http://localhost:3000/api/trpc'

function search(forwardedFor: string | undefined, q = 'x'): Promise<Response> {
  const input = encodeURIComponent(JSON.stringify({ q }))
  const headers = forwardedFor === undefined ? undefined : { 'x-forwarded-for': forwardedFor }
  return GET(new Request(`${BASE}/search?input=${input}`, { headers }))
}

describe('the Next.js route handler', () => {
  it('limits by the address the proxy appended, with RateLimit headers and a 429 + Retry-After', async () => {
    const responses: Response[] = []
    // The client forges a different leftmost entry each time; the proxy's entry stays last.
    for (let i = 1; i <= 4; i++) responses.push(await search(`10.0.0.${i}, 192.0.2.40`))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429])
    expect(responses[0]!.headers.get('ratelimit-policy')).toBe('"search";q=3;w=60')
    expect(responses.map((r) => r.headers.get('ratelimit')?.replace(/t=\d+/, 't'))).toEqual([
      '"search";r=2;t',
      '"search";r=1;t',
      '"search";r=0;t',
      '"search";r=0;t',
    ])
    expect(Number(responses[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
    const body = (await responses[3]!.json()) as { error: { data: { code: string; rateLimit: unknown } } }
    expect(body.error.data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      rateLimit: { retryAfter: 60, limit: 3 },
    })
    // Another client behind the same proxy has its own budget.
    expect((await search('192.0.2.41')).status).toBe(200)
  })

  it('answers a batch with per-call results and merged headers, 207 when some calls were refused', async () => {
    const input = encodeURIComponent(
      JSON.stringify({ 0: { q: 'a' }, 1: { q: 'b' }, 2: { q: 'c' }, 3: { q: 'd' } }),
    )
    const batch = await GET(
      new Request(`${BASE}/search,search,search,search?batch=1&input=${input}`, {
        headers: { 'x-forwarded-for': '192.0.2.50' },
      }),
    )
    expect(batch.status).toBe(207)
    const results = (await batch.json()) as Array<{ result?: unknown; error?: { data: { code: string } } }>
    expect(results.map((r) => r.error?.data.code ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'TOO_MANY_REQUESTS'])
    expect(batch.headers.get('ratelimit')).toMatch(/^"search";r=0;t=\d+$/)
    // Mutations arrive as POST: the same handler.
    expect(POST).toBe(GET)
  })

  it('refuses a request with no client address with 400, never one shared bucket for everybody', async () => {
    const response = await search(undefined)
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { data: { code: string } } }
    expect(body.error.data.code).toBe('BAD_REQUEST')
  })
})
