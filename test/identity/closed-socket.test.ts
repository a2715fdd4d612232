/**
 * Regression tests for the closed-socket proxy bypass (issue 12): a client that resets its TCP
 * connection right after sending a request leaves `socket.remoteAddress` undefined, which was
 * taken for a Unix domain socket and so for a trusted proxy — a forged X-Forwarded-For then bought
 * a fresh bucket per request. Real `node:http` servers (graphql-yoga, tRPC, Apollo Server 5 in
 * Express), real sockets reset by the client.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApolloServer } from '@apollo/server'
import { expressMiddleware } from '@as-integrations/express5'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import express from 'express'
import { createYoga } from 'graphql-yoga'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { rateLimitApolloPlugin } from '../../src/apollo/index.js'
import { useRateLimitHeaders } from '../../src/graphql/index.js'
import {
  createIdentify,
  createRateLimiter,
  type Identify,
  type IdentifyOptions,
  IdentityError,
  MemoryStore,
  type RateLimiter,
} from '../../src/index.js'
import { rateLimit, rateLimitContext } from '../../src/trpc/index.js'
import { limitedSchema } from '../graphql/fixtures.js'

const REQUESTS = 30
const TRUSTED = ['10.0.0.0/8']

/** What happened to the requests: each one ends executed, refused by the limit, or unidentified. */
interface Tally {
  executed: number
  limited: number
  unidentified: number
  identities: string[]
  /** Identify calls waiting for their client to close the connection. */
  waiting: number
}

/** A request with this header is identified only once its connection is closed. */
const WAIT_FOR_CLOSE = 'x-test-wait-for-close'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(server: Server, where: number | string = 0): Promise<void> {
  await new Promise<void>((resolve) =>
    typeof where === 'string' ? server.listen(where, resolve) : server.listen(where, '127.0.0.1', resolve),
  )
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
}

/**
 * A limiter whose identify waits until the client's socket is closed before the default chain
 * runs (for requests with {@link WAIT_FOR_CLOSE}), so they are identified the way the attack
 * arranges it; counts the outcomes.
 */
function countingLimiter(options: IdentifyOptions, tally: Tally): RateLimiter {
  const inner = createIdentify(options)
  const identify: Identify = async (ctx: { req?: IncomingMessage }) => {
    const socket = ctx.req?.socket
    if (socket && ctx.req?.headers[WAIT_FOR_CLOSE] && !socket.destroyed) {
      tally.waiting++
      await new Promise((resolve) => socket.once('close', resolve))
      tally.waiting--
    }
    try {
      const caller = await inner(ctx)
      tally.identities.push(typeof caller === 'string' ? caller : caller.id)
      return caller
    } catch (error) {
      if (error instanceof IdentityError) tally.unidentified++
      throw error
    }
  }
  const limiter = createRateLimiter({ store: new MemoryStore(), identify, logger: false })
  limiter.on('decision', ({ decision }) => {
    if (!decision.allowed) tally.limited++
  })
  closers.push(() => limiter.close())
  return limiter
}

/** Sends `count` POSTs, each from a "different client" per X-Forwarded-For, resetting each connection at once. */
function sendAndReset(port: number, path: string, body: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${WAIT_FOR_CLOSE}: 1\r\n` +
          `x-forwarded-for: 203.0.113.${i + 1}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
      socket.resetAndDestroy()
    })
    socket.on('error', () => {})
  }
}

async function allSettled(tally: Tally): Promise<void> {
  await vi.waitFor(() => expect(tally.executed + tally.limited + tally.unidentified).toBe(REQUESTS), {
    timeout: 10_000,
    interval: 20,
  })
}

/** Called when the integration's earliest hook (yoga's onRequest, tRPC's createContext) has run. */
type Arrived = () => void

function yogaServer(options: IdentifyOptions, tally: Tally, arrived: Arrived = () => {}): Server {
  const limiter = countingLimiter(options, tally)
  const schema = limitedSchema(
    limiter,
    'type Query { ok: Int } type Mutation { vote: Int @rateLimit(limit: 1, window: "1h") }',
    { Mutation: { vote: () => ++tally.executed } },
  )
  const plugins = [useRateLimitHeaders(), { onRequest: arrived }]
  return createServer(createYoga({ schema, plugins, logging: false }))
}

function trpcServer(options: IdentifyOptions, tally: Tally, arrived: Arrived = () => {}): Server {
  const limiter = countingLimiter(options, tally)
  const t = initTRPC.context<ReturnType<typeof rateLimitContext<IncomingMessage>>>().create()
  const router = t.router({
    vote: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1h' })).mutation(() => ++tally.executed),
  })
  const createContext = (opts: { req: IncomingMessage; res: unknown }) => {
    const ctx = rateLimitContext(opts)
    arrived()
    return ctx
  }
  return createServer(createHTTPHandler({ router, createContext }))
}

/** Apollo Server 5 in Express 5, with the one context line the README documents. */
function apolloServer(options: IdentifyOptions, tally: Tally, arrived: Arrived = () => {}): Server {
  const limiter = countingLimiter(options, tally)
  const schema = limitedSchema(
    limiter,
    'type Query { ok: Int } type Mutation { vote: Int @rateLimit(limit: 1, window: "1h") }',
    { Mutation: { vote: () => ++tally.executed } },
  )
  // The plugin reads the peer when the operation starts; `arrived` runs right after it.
  const apollo = new ApolloServer({
    schema,
    plugins: [rateLimitApolloPlugin(), { requestDidStart: async () => void arrived() }],
  })
  const started = apollo.start()
  const app = express()
  app.use('/graphql', express.json(), (req, res, next) => {
    started.then(
      () => expressMiddleware(apollo, { context: async ({ req }) => ({ req }) })(req, res, next),
      next,
    )
  })
  closers.push(() => apollo.stop())
  return createServer(app)
}

const servers = {
  'graphql-yoga': {
    make: yogaServer,
    path: '/graphql',
    body: JSON.stringify({ query: 'mutation { vote }' }),
  },
  'tRPC standalone': { make: trpcServer, path: '/vote', body: '{}' },
  'Apollo Server (expressMiddleware)': {
    make: apolloServer,
    path: '/graphql',
    body: JSON.stringify({ query: 'mutation { vote }' }),
  },
} as const

describe.each(Object.entries(servers))('a client resetting its connection on %s', (_name, server) => {
  const fresh = (): Tally => ({ executed: 0, limited: 0, unidentified: 0, identities: [], waiting: 0 })

  it('cannot buy a bucket per request with a forged X-Forwarded-For (only 10.0.0.0/8 trusted)', async () => {
    const tally = fresh()
    const http = server.make({ trustProxy: TRUSTED }, tally)
    await listen(http)
    sendAndReset((http.address() as AddressInfo).port, server.path, server.body, REQUESTS)
    await allSettled(tally)
    expect(tally.executed).toBeLessThanOrEqual(1)
    expect(tally.identities.filter((id) => id.startsWith('ip:203.0.113.'))).toEqual([])
  })

  it("counts such requests under one shared identity with onUnknownClient: 'shared'", async () => {
    const tally = fresh()
    const http = server.make({ trustProxy: TRUSTED, onUnknownClient: 'shared' }, tally)
    await listen(http)
    sendAndReset((http.address() as AddressInfo).port, server.path, server.body, REQUESTS)
    await allSettled(tally)
    expect(tally.executed).toBeLessThanOrEqual(2) // ip:unknown, and ip:127.0.0.1 if one was read in time
    expect(new Set(tally.identities)).not.toContain('ip:203.0.113.1')
    expect([...new Set(tally.identities)].every((id) => id === 'ip:unknown' || id === 'ip:127.0.0.1')).toBe(
      true,
    )
  })

  it('counts a client that resets after its request arrived under its own address, read when the request came in', async () => {
    const tally = fresh()
    let arrived: Arrived = () => {}
    const http = server.make({ trustProxy: TRUSTED }, tally, () => arrived())
    await listen(http)
    const { port } = http.address() as AddressInfo
    for (let i = 0; i < 5; i++) {
      const seen = new Promise<void>((resolve) => {
        arrived = resolve
      })
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${server.path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${WAIT_FOR_CLOSE}: 1\r\n` +
            `x-forwarded-for: 203.0.113.${i + 1}\r\ncontent-length: ${Buffer.byteLength(server.body)}\r\n\r\n${server.body}`,
        )
      })
      socket.on('error', () => {})
      await seen
      socket.resetAndDestroy()
      await vi.waitFor(() => expect(tally.identities).toHaveLength(i + 1), { timeout: 5_000, interval: 10 })
    }
    expect(tally.identities).toEqual(Array(5).fill('ip:127.0.0.1'))
    await vi.waitFor(() => expect(tally.executed + tally.limited).toBe(5))
    expect(tally.executed).toBe(1)
  })

  it('remembers the address of a keep-alive connection, so a later request on it that resets counts there', async () => {
    const tally = fresh()
    const http = server.make({ trustProxy: TRUSTED }, tally)
    await listen(http)
    const socket = connect((http.address() as AddressInfo).port, '127.0.0.1')
    socket.on('error', () => {})
    const post = (ip: string, waitForClose: boolean) =>
      socket.write(
        `POST ${server.path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
          `${waitForClose ? `${WAIT_FOR_CLOSE}: 1\r\n` : ''}` +
          `x-forwarded-for: ${ip}\r\ncontent-length: ${Buffer.byteLength(server.body)}\r\n\r\n${server.body}`,
      )
    const answered = new Promise((resolve) => socket.once('data', resolve))
    post('203.0.113.1', false)
    await answered
    post('203.0.113.2', true)
    await vi.waitFor(() => expect(tally.waiting).toBe(1), { timeout: 5_000, interval: 10 })
    socket.resetAndDestroy()
    await vi.waitFor(() => expect(tally.identities).toHaveLength(2), { timeout: 5_000, interval: 10 })
    expect(tally.identities).toEqual(['ip:127.0.0.1', 'ip:127.0.0.1'])
  })
})

describe('a server listening on a Unix domain socket', () => {
  it('still believes the local proxy in front of it, which has no address to show', async () => {
    const tally: Tally = { executed: 0, limited: 0, unidentified: 0, identities: [], waiting: 0 }
    const limiter = createRateLimiter({
      store: new MemoryStore(),
      identify: createIdentify({ trustProxy: TRUSTED }),
      logger: false,
    })
    closers.push(() => limiter.close())
    limiter.on('decision', ({ decision }) => tally.identities.push(decision.identity))
    const schema = limitedSchema(limiter, 'type Query { ping: Int @rateLimit(limit: 5, window: "1m") }', {
      Query: { ping: () => 1 },
    })
    const http = createServer(createYoga({ schema, logging: false }))
    const path = join(tmpdir(), `rrl-${process.pid}-${Date.now()}.sock`)
    await listen(http, path)
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        {
          socketPath: path,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6, 203.0.113.77' },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ query: '{ ping }' }))
    })
    expect(status).toBe(200)
    expect(tally.identities).toEqual(['ip:203.0.113.77'])
  })
})
