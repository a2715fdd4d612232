/**
 * The demo server (`npm start`) as a user runs it: a child process, driven over HTTP by
 * @trpc/client, by GraphQL POSTs and by plain fetch — once on the memory store, once on Redis.
 * Each anonymous scenario plays its own client through X-Forwarded-For (trusted from loopback).
 */
import { connect } from 'node:net'
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DemoRouter } from '../../examples/demo/router.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { type Child, runTs } from './child.js'

const FREE_KEY = 'demo-free-key-ada'
/** Credentials in both places a Redis URL holds them: none may reach the console or an HTTP client. */
const USER_SECRET = 's3cret-in-userinfo'
const QUERY_SECRET = 's3cret-in-query'

/** The tests' Redis URL with a password in the user info and another in `?password=`. */
function urlWithCredentials(): string {
  const url = new URL(inject('redisUrl'))
  url.username = 'default' // Redis accepts any password for a default user without one
  url.password = USER_SECRET
  url.searchParams.set('password', QUERY_SECRET)
  return url.toString()
}
const PRO_KEY = 'demo-pro-key-grace'

interface GraphQLBody {
  data?: Record<string, unknown> | null
  errors?: Array<{ message: string; path?: string[]; extensions: Record<string, unknown> }>
  extensions?: Record<string, unknown>
}

describe.each(['memory', 'redis'] as const)('the demo server on the %s store', (store) => {
  let demo: Child
  let base: string
  let port: string
  const prefix = uniquePrefix(`demo-${store}`)

  beforeAll(async () => {
    demo = runTs('examples/demo-server.ts', {
      PORT: '0',
      RATE_LIMIT_PREFIX: prefix,
      REDIS_URL: store === 'redis' ? urlWithCredentials() : undefined,
    })
    const [, found] = await demo.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000)
    port = found!
    base = `http://127.0.0.1:${port}`
  }, 40_000)

  afterAll(async () => {
    await demo?.stop('SIGKILL')
  })

  const graphql = async (query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query }),
    })
    return { response, body: (await response.json()) as GraphQLBody }
  }
  const from = (ip: string) => ({ 'x-forwarded-for': ip })

  /** A tRPC client whose every HTTP response is kept, so statuses and headers can be checked. */
  const trpcClient = (headers: Record<string, string>, batch = true) => {
    const responses: Response[] = []
    const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await fetch(input, init)
      responses.push(response)
      return response
    }
    const options = { url: `${base}/trpc`, headers, fetch: recording }
    const client = createTRPCClient<DemoRouter>({
      links: [batch ? httpBatchLink(options) : httpLink(options)],
    })
    return { client, responses }
  }

  it('says at start-up which store it uses and prints the demo keys and a curl line for each side', () => {
    const out = demo.output()
    expect(out).toMatch(store === 'redis' ? /store +Redis at redis:\/\// : /store +memory/)
    expect(out).toContain(FREE_KEY)
    expect(out).toContain(PRO_KEY)
    expect(out).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/graphql /)
    expect(out).toMatch(/curl -i -G http:\/\/127\.0\.0\.1:\d+\/trpc\/book\.search /)
    expect(out).not.toContain(USER_SECRET)
    expect(out).not.toContain(QUERY_SECRET)
  })

  it('listens on 127.0.0.1 only by default: another loopback address is refused', async () => {
    await expect(fetch(`http://127.0.0.2:${port}/`)).rejects.toThrow()
    expect((await fetch(`${base}/`)).status).toBe(200)
  })

  it('never shows where the store is, or its credentials, to HTTP clients on / or on a 404', async () => {
    for (const [path, status] of [
      ['/', 200],
      ['/nowhere', 404],
      ['/?password=x', 200],
    ] as const) {
      const response = await fetch(`${base}${path}`)
      expect(response.status).toBe(status)
      const text = await response.text()
      expect(text).toMatch(store === 'redis' ? /store +Redis\n/ : /store +memory\n/)
      expect(text).not.toMatch(/redis:\/\//)
      expect(text).not.toMatch(new RegExp(`:${new URL(inject('redisUrl')).port}\\b`))
      expect(text).not.toContain(USER_SECRET)
      expect(text).not.toContain(QUERY_SECRET)
    }
    // The browser page and its files name no store at all.
    for (const [path, accept] of [
      ['/', 'text/html'],
      ['/demo/page.js', '*/*'],
      ['/demo/page.css', '*/*'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { headers: { accept } })
      expect(response.status).toBe(200)
      const text = await response.text()
      expect(text).not.toMatch(/redis:\/\/|store +(memory|Redis)/i)
      expect(text).not.toContain(USER_SECRET)
    }
    const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } })
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
  })

  it('answers a request target that is not a URL with 400 and keeps running', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      let text = ''
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('GET http://[ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
      )
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect((await fetch(`${base}/`)).status).toBe(200)
  })

  it('serves GraphiQL to a browser at /graphql and the start-up help at /', async () => {
    const graphiql = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } })
    expect(graphiql.status).toBe(200)
    expect(await graphiql.text()).toMatch(/graphiql/i)
    const help = await fetch(`${base}/`)
    expect(help.status).toBe(200)
    expect(await help.text()).toContain(PRO_KEY)
    expect((await fetch(`${base}/nowhere`)).status).toBe(404)
  })

  it('admits 5 searches in 10 s with RateLimit headers, then answers 429 with Retry-After and logs the refusal', async () => {
    const query = '{ search(q: "dune") { title } }'
    for (let left = 4; left >= 0; left--) {
      const { response, body } = await graphql(query, from('203.0.113.1'))
      expect(response.status).toBe(200)
      expect(body.data).toEqual({ search: [{ title: 'Dune' }] })
      expect(response.headers.get('ratelimit-policy')).toBe('"Query.search";q=5;w=10')
      expect(response.headers.get('ratelimit')).toMatch(new RegExp(`^"Query.search";r=${left};t=(9|10)$`))
      expect(response.headers.get('retry-after')).toBeNull()
    }
    const { response, body } = await graphql(query, from('203.0.113.1'))
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toMatch(/^(9|10)$/)
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 5, remaining: 0 })
    expect(body.errors?.[0]?.extensions.retryAfter).toBe(Number(response.headers.get('retry-after')))
    await demo.waitFor(/\[limited\] ip:203\.0\.113\.1 Query\.search \(5 per 10s\): retry after (9|10) s/)
  })

  it('counts each alias against the per-type limit of 20 and answers 200 with partial data', async () => {
    const aliases = Array.from({ length: 21 }, (_, i) => `b${i}: book(id: "1") { title }`).join(' ')
    const { response, body } = await graphql(`{ ${aliases} }`, from('203.0.113.2'))
    expect(response.status).toBe(200)
    const data = body.data as Record<string, unknown>
    expect(Object.values(data).filter((v) => v !== null)).toHaveLength(20)
    expect(body.errors).toHaveLength(1)
    expect(body.errors![0]!.extensions.code).toBe('RATE_LIMITED')
    expect(response.headers.get('retry-after')).toBeNull()
    expect(response.headers.get('ratelimit')).toMatch(/^"Query.book";r=0;t=\d+$/)
  })

  it('shares one bucket of 6 per minute between recommendations and bestsellers', async () => {
    const ip = from('203.0.113.3')
    for (let i = 0; i < 3; i++) {
      expect((await graphql('{ recommendations { id } }', ip)).response.status).toBe(200)
      expect((await graphql('{ bestsellers { id } }', ip)).response.status).toBe(200)
    }
    const { response } = await graphql('{ recommendations { id } }', ip)
    expect(response.status).toBe(429)
    expect(response.headers.get('ratelimit-policy')).toBe('"insights";q=6;w=60')
  })

  it('charges the costly export 5 of 10 units: two exports per hour on the free plan, twenty on pro', async () => {
    const exportOnce = (key: string) => graphql('mutation { exportCatalog { rows } }', { 'x-api-key': key })
    expect((await exportOnce(FREE_KEY)).body.data).toEqual({ exportCatalog: { rows: 6 } })
    expect((await exportOnce(FREE_KEY)).response.status).toBe(200)
    const refused = await exportOnce(FREE_KEY)
    expect(refused.response.status).toBe(429)
    expect(refused.body.errors?.[0]?.message).toBe(
      'Catalogue exports are limited: 2 per hour on the free plan.',
    )
    const pro = await exportOnce(PRO_KEY)
    expect(pro.response.status).toBe(200)
    expect(pro.response.headers.get('ratelimit-policy')).toBe('"Mutation.exportCatalog";q=100;w=3600')
    expect(pro.response.headers.get('ratelimit')).toMatch(/^"Mutation.exportCatalog";r=95;t=/)
  })

  it('gives the pro key ten times the free limits and shows the plan in whoami', async () => {
    const search = (key: string) =>
      graphql('{ search(q: "le guin") { id } }', { authorization: `Bearer ${key}` })
    for (let i = 0; i < 5; i++) expect((await search(FREE_KEY)).response.status).toBe(200)
    expect((await search(FREE_KEY)).response.status).toBe(429)
    for (let i = 0; i < 6; i++) {
      const { response } = await search(PRO_KEY)
      expect(response.status).toBe(200)
      expect(response.headers.get('ratelimit-policy')).toBe('"Query.search";q=50;w=10')
    }
    const { body } = await graphql('{ whoami { kind owner plan } }', { 'x-api-key': PRO_KEY })
    expect(body.data).toEqual({ whoami: { kind: 'api-key', owner: 'grace', plan: 'pro' } })
    await demo.waitFor(/\[limited\] key:\S+… \(ada, free\) Query\.search \(5 per 10s\)/)
  })

  it('limits anonymous callers by client IP: another IP has its own budget, a made-up API key does not', async () => {
    const query = '{ search(q: "kindred") { id } }'
    for (let i = 0; i < 5; i++) expect((await graphql(query, from('198.51.100.7'))).response.status).toBe(200)
    expect((await graphql(query, from('198.51.100.7'))).response.status).toBe(429)
    expect((await graphql(query, from('198.51.100.8'))).response.status).toBe(200)
    const withKey = await graphql(query, { ...from('198.51.100.7'), 'x-api-key': 'demo-made-up-key' })
    expect(withKey.response.status).toBe(429)
    const { body } = await graphql('{ whoami { id kind } }', from('198.51.100.9'))
    expect(body.data).toEqual({ whoami: { id: 'ip:198.51.100.9', kind: 'ip' } })
  })

  it('refuses an operation above maxCost with 400 QUERY_TOO_EXPENSIVE before it runs', async () => {
    const five = ['a', 'b', 'c', 'd', 'e'].map((alias) => `${alias}: books { reviews { id } }`).join(' ')
    const { response, body } = await graphql(`{ ${five} }`, from('203.0.113.4'))
    expect(response.status).toBe(400)
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_EXPENSIVE',
      cost: 550,
      maxCost: 500,
    })
  })

  it('admits the full introspection query GraphiQL sends (it is priced, and within maxCost)', async () => {
    const { getIntrospectionQuery } = await import('graphql')
    const { response, body } = await graphql(getIntrospectionQuery(), from('203.0.113.9'))
    expect(response.status).toBe(200)
    expect(body.errors).toBeUndefined()
  })

  it('limits a subscription when it starts: the third start in a minute is answered 429', async () => {
    const subscribe = () =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...from('203.0.113.5') },
        body: JSON.stringify({ query: 'subscription { priceWatch(bookId: "1") { price } }' }),
      })
    for (let i = 0; i < 2; i++) {
      const response = await subscribe()
      expect(response.status).toBe(200)
      expect((await response.text()).match(/event: next/g)).toHaveLength(3)
    }
    const refused = await subscribe()
    expect(refused.status).toBe(429)
    expect(await refused.text()).toContain('"code":"RATE_LIMITED"')
  })

  it('limits each tRPC procedure on its own: a batch of 11 book.list calls gets 10 results and one TOO_MANY_REQUESTS', async () => {
    const { client, responses } = trpcClient(from('203.0.113.6'))
    const results = await Promise.allSettled(Array.from({ length: 11 }, () => client.book.list.query()))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10)
    const [refused] = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    expect(refused!.reason).toBeInstanceOf(TRPCClientError)
    expect(refused!.reason.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 })
    expect(refused!.reason.data.rateLimit).toMatchObject({ limit: 10, remaining: 0, rule: 'book.list' })
    expect(responses).toHaveLength(1)
    expect(responses[0]!.status).toBe(207)
    expect(responses[0]!.headers.get('ratelimit')).toMatch(/^"book.list";r=0;t=(59|60)$/)
    expect(responses[0]!.headers.get('retry-after')).toMatch(/^(59|60)$/)
    // book.byId has its own budget.
    expect(await client.book.byId.query({ id: '3' })).toMatchObject({ title: 'Neuromancer' })
  })

  it('answers a refused tRPC call with 429, Retry-After and RateLimit headers (plain fetch, no tRPC client)', async () => {
    const url = `${base}/trpc/order.checkout`
    const checkout = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...from('203.0.113.7') },
        body: JSON.stringify({ bookIds: ['1', '2'] }),
      })
    for (let i = 0; i < 2; i++) expect((await checkout()).status).toBe(200)
    const refused = await checkout()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^(9|10)$/)
    expect(refused.headers.get('ratelimit-policy')).toBe('"order.checkout";q=2;w=10')
    const body = (await refused.json()) as { error: { data: { code: string } } }
    expect(body.error.data.code).toBe('TOO_MANY_REQUESTS')

    const search = await fetch(`${base}/trpc/book.search?input=${encodeURIComponent('{"q":"dune"}')}`, {
      headers: from('203.0.113.7'),
    })
    expect(search.status).toBe(200)
    expect(search.headers.get('ratelimit')).toMatch(/^"book.search";r=9;t=(59|60)$/)
  })

  it('shares the "reviews" budget of 3 per minute between the GraphQL mutation and the tRPC procedure', async () => {
    const ip = from('203.0.113.8')
    const { client } = trpcClient(ip, false)
    const viaGraphql = () =>
      graphql('mutation { addReview(bookId: "1", stars: 5, text: "great") { id } }', ip)
    expect((await viaGraphql()).response.status).toBe(200)
    expect(await client.review.add.mutate({ bookId: '2', stars: 4 })).toMatchObject({ bookId: '2', stars: 4 })
    expect((await viaGraphql()).response.status).toBe(200)
    const error = await client.review.add.mutate({ bookId: '2', stars: 3 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TRPCClientError)
    expect((error as TRPCClientError<DemoRouter>).data?.code).toBe('TOO_MANY_REQUESTS')
    expect((await viaGraphql()).response.status).toBe(429)
  })

  it('keeps the newest 20 reviews of a book, and prices Book.reviews by the first it asks for', async () => {
    // 21 reviews from 7 callers (3 per minute each), all on one book.
    for (let i = 1; i <= 21; i++) {
      const { response } = await graphql(
        `mutation { addReview(bookId: "3", stars: 4, text: "review ${i}") { id } }`,
        from(`192.0.2.${10 + Math.floor((i - 1) / 3)}`),
      )
      expect(response.status).toBe(200)
    }
    type Reviewed = { book: { reviews: Array<{ id: number; text: string }> } }
    const reviews = async (first: number) => {
      const query = `{ book(id: "3") { reviews(first: ${first}) { id text } } }`
      const { response, body } = await graphql(query, from('192.0.2.99'))
      return { response, body, kept: (body.data as Reviewed | undefined)?.book.reviews }
    }
    const all = await reviews(100)
    const kept = all.kept ?? []
    expect(kept).toHaveLength(20)
    expect(kept[0]!.text).toBe('review 21')
    expect(kept.map((r) => r.text)).not.toContain('review 1')
    expect(all.body.extensions?.rateLimit).toMatchObject({ cost: 1 + 100 })
    const two = await reviews(2)
    expect(two.kept).toHaveLength(2)
    expect(two.body.extensions?.rateLimit).toMatchObject({ cost: 1 + 2 })
    const tooMany = await reviews(600)
    expect(tooMany.response.status).toBe(400)
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', cost: 601 })
  })

  it('charges exportRows by its input: 600 rows, then 500 refused (400 left), then 400 admitted', async () => {
    const { client } = trpcClient(from('203.0.113.9'), false)
    expect(await client.exportRows.mutate({ rows: 600 })).toMatchObject({ rows: 600 })
    const error = await client.exportRows.mutate({ rows: 500 }).catch((e: unknown) => e)
    expect((error as TRPCClientError<DemoRouter>).data?.rateLimit).toMatchObject({
      limit: 1000,
      remaining: 400,
    })
    expect(await client.exportRows.mutate({ rows: 400 })).toMatchObject({ rows: 400 })
  })

  it('runs at most 2 exportRows at once per caller: a third is refused (429) and gets its rows back', async () => {
    const { client, responses } = trpcClient(from('203.0.113.10'), false)
    const exports = await Promise.allSettled([1, 2, 3].map(() => client.exportRows.mutate({ rows: 300 })))
    const refused = exports.filter((e) => e.status === 'rejected')
    expect(exports.filter((e) => e.status === 'fulfilled')).toHaveLength(2)
    expect(refused).toHaveLength(1)
    const error = (refused[0] as PromiseRejectedResult).reason as TRPCClientError<DemoRouter>
    expect(error.data?.code).toBe('TOO_MANY_REQUESTS')
    expect(error.message).toBe('Too many concurrent calls of exportRows: at most 2 at once')
    const status = responses.map((r) => r.status).sort()
    expect(status).toEqual([200, 200, 429])
    expect(responses.find((r) => r.status === 429)?.headers.get('retry-after')).toBeNull()
    // 600 of 1 000 rows spent: the refused call's 300 came back, so 400 more fit.
    expect(await client.exportRows.mutate({ rows: 400 })).toMatchObject({ rows: 400 })
    await expect(client.exportRows.mutate({ rows: 1 })).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS', rateLimit: { remaining: 0 } },
    })
  })

  it('runs at most 2 exportCatalog mutations at once per caller: a third gets CONCURRENCY_LIMITED and 429', async () => {
    const exportOnce = () => graphql('mutation { exportCatalog { rows } }', { 'x-api-key': PRO_KEY })
    const results = await Promise.all([exportOnce(), exportOnce(), exportOnce()])
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 200, 429])
    const refused = results.find((r) => r.response.status === 429)!
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'CONCURRENCY_LIMITED',
      limit: 2,
      active: 2,
    })
    expect(refused.body.data).toBeNull() // exportCatalog is non-null: the null reaches data
    expect(await exportOnce()).toMatchObject({ body: { data: { exportCatalog: { rows: 6 } } } })
  })

  it('keeps at most 3 price watches open per caller: a 4th is refused with CONCURRENCY_LIMITED', async () => {
    const subscribe = () =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': PRO_KEY },
        body: JSON.stringify({ query: 'subscription { priceWatch(bookId: "2") { price } }' }),
      })
    const opened = await Promise.all([1, 2, 3, 4].map(subscribe))
    expect(opened.map((r) => r.status).sort()).toEqual([200, 200, 200, 429])
    const texts = await Promise.all(opened.map((r) => r.text()))
    expect(texts.filter((text) => text.match(/event: next/g)?.length === 3)).toHaveLength(3)
    expect(texts.find((_, i) => opened[i]!.status === 429)).toContain('"code":"CONCURRENCY_LIMITED"')
    const again = await subscribe() // the three ended: their slots are free
    expect(again.status).toBe(200)
    expect((await again.text()).match(/event: next/g)).toHaveLength(3)
  })

  it('serves Prometheus metrics that count the refusals', async () => {
    const response = await fetch(`${base}/metrics`)
    expect(response.status).toBe(200)
    const text = await response.text()
    const limited = text.match(
      /resolver_rate_limit_decisions_total\{rule="Query.search",outcome="limited"\} (\d+)/,
    )
    expect(Number(limited?.[1])).toBeGreaterThanOrEqual(3)
    expect(text).toMatch(/resolver_rate_limit_decisions_total\{rule="book.list",outcome="allowed"\} 10\b/)
  })

  // Registered only for the Redis run (not skipped on the memory run: it has no meaning there).
  if (store === 'redis') {
    it('keeps its counts in Redis under its own key prefix', async () => {
      const client = await ready(redisClient())
      try {
        const [, keys] = await client.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000)
        expect(keys.length).toBeGreaterThan(10)
      } finally {
        client.disconnect()
      }
    })
  }

  it('shuts down cleanly on SIGTERM: closes the server, the limiter and the store, exits 0', async () => {
    const { code, signal } = await demo.stop('SIGTERM')
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    // The refusal log's last summary may come between the two lines.
    expect(demo.output()).toMatch(
      /SIGTERM: closing the server, the limiter and the store\n(\[limited\] \d+ more refusals? .*\n)?closed\n/,
    )
  })
})

describe('the demo server with HOST', () => {
  it('listens where HOST says, and only there', async () => {
    const demo = runTs('examples/demo-server.ts', { PORT: '0', HOST: '127.0.0.2' })
    try {
      const [, port] = await demo.waitFor(/listening on http:\/\/127\.0\.0\.2:(\d+)/, 30_000)
      expect((await fetch(`http://127.0.0.2:${port}/`)).status).toBe(200)
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow()
    } finally {
      await demo.stop('SIGKILL')
    }
  }, 40_000)

  it('refuses a HOST that is neither an address nor a host name, with exit code 2', async () => {
    const demo = runTs('examples/demo-server.ts', { PORT: '0', HOST: 'not a host' })
    try {
      await demo.waitFor(/HOST must be an address or host name/, 30_000)
      expect(await demo.exited).toEqual({ code: 2, signal: null })
    } finally {
      await demo.stop('SIGKILL')
    }
  }, 40_000)
})
