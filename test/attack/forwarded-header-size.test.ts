/**
 * A client behind a trusted proxy pads its own X-Forwarded-For past 16 KiB. The proxy appends the
 * real client address at the end, as proxies do; the app reads only the tail of a long header
 * (forwarded.ts) — but `headerOf` drops any header longer than 16 384 characters first, so the
 * request counts under the PROXY's address: one more bucket for the attacker, and one that every
 * client behind that proxy shares (exhaust it and their padded or header-less requests are refused).
 *
 * Servers that raise Node's 16 KiB `maxHeaderSize` (large cookies or JWTs; `--max-http-header-size`)
 * or run on another runtime let such a header through.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { afterEach, describe, expect, it } from 'vitest'
import { createIdentify, createRateLimiter, MemoryStore } from '../../src/index.js'
import { rateLimit, rateLimitContext } from '../../src/trpc/index.js'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve))
})

/** A tRPC server behind "a proxy on loopback": 127.0.0.1 is trusted, limit 1 per hour. */
async function serve(): Promise<{ port: number; identities: string[] }> {
  const identities: string[] = []
  const identify = createIdentify({ trustProxy: ['127.0.0.1'] })
  const limiter = createRateLimiter({
    store: new MemoryStore(),
    logger: false,
    identify: async (ctx) => {
      const caller = await identify(ctx)
      identities.push(typeof caller === 'string' ? caller : caller.id)
      return caller
    },
  })
  const t = initTRPC.context<ReturnType<typeof rateLimitContext<IncomingMessage>>>().create()
  const router = t.router({
    vote: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1h' })).mutation(() => 'ok'),
  })
  const handler = createHTTPHandler({ router, createContext: (opts) => rateLimitContext(opts) })
  const server = createServer({ maxHeaderSize: 64 * 1024 }, handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, identities }
}

/** What the proxy forwards: the client's own header, then the client's real address appended. */
function post(port: number, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/vote',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end('{}')
  })
}

describe('a padded X-Forwarded-For behind a trusted proxy', () => {
  it('still counts the client under the address the proxy appended, not under the proxy', async () => {
    const { port, identities } = await serve()
    const client = '203.0.113.9'
    const padding = `${'198.51.100.1, '.repeat(1_300)}`.slice(0, 17_000)
    const statuses = [await post(port, client), await post(port, `${padding}, ${client}`)]
    // One real client, a limit of 1 per hour: the second request must be refused, under its own address.
    expect(identities).toEqual([`ip:${client}`, `ip:${client}`])
    expect(statuses).toEqual([200, 429])
  })
})
