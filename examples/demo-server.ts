/**
 * The demo server behind `npm start`: a small bookshop API with graphql-yoga at /graphql and tRPC
 * at /trpc on one `node:http` server, sharing one limiter, plus Prometheus metrics at /metrics.
 *
 *   npm start                                        # in-memory store, http://127.0.0.1:4000
 *   REDIS_URL=redis://127.0.0.1:6379 npm start       # Redis (keys under RATE_LIMIT_PREFIX, default demo:rl:)
 *   PORT=0 npm start                                 # a free port, printed at start-up
 *   HOST=0.0.0.0 npm start                           # every interface (default: 127.0.0.1 only)
 *
 * Open it in a browser for the demo page (examples/demo/page/): watch a window fill and drain.
 *
 * The demo imports the library from its sources; in your app import from 'resolver-rate-limit',
 * 'resolver-rate-limit/graphql', 'resolver-rate-limit/trpc' and 'resolver-rate-limit/metrics'.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { Registry } from 'prom-client'
import { prometheusMetrics } from '../src/metrics/index.js'
import { banner } from './demo/banner.js'
import { createDemoLimiter } from './demo/limiter.js'
import { servePage } from './demo/page.js'
import { createContext, createRouter } from './demo/router.js'
import { createDemoYoga } from './demo/schema.js'
import { stopWithNpm } from './demo/stop-with-npm.js'

function portFromEnv(value = '4000'): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(
      `PORT must be an integer from 0 to 65535 (0 picks a free port), got ${JSON.stringify(value)}`,
    )
    process.exit(2)
  }
  return port
}

/** Where to listen: loopback unless HOST says otherwise (an address or a host name). */
function hostFromEnv(value = '127.0.0.1'): string {
  if (!/^[A-Za-z0-9.:%-]{1,253}$/.test(value)) {
    console.error(
      `HOST must be an address or host name such as 127.0.0.1, ::1 or 0.0.0.0, got ${JSON.stringify(value.slice(0, 100))}`,
    )
    process.exit(2)
  }
  return value
}

/** `http://127.0.0.1:4000`; a wildcard address reads as localhost, an IPv6 one is bracketed. */
function baseUrl(address: string, port: number): string {
  if (address === '0.0.0.0' || address === '::') return `http://localhost:${port}`
  return address.includes(':') ? `http://[${address}]:${port}` : `http://${address}:${port}`
}

const port = portFromEnv(process.env.PORT)
const host = hostFromEnv(process.env.HOST)
const demo = await createDemoLimiter().catch((error: Error) => {
  console.error(error.message)
  process.exit(1)
})
const { limiter } = demo

const yoga = createDemoYoga(limiter)
const trpc = createHTTPHandler({ router: createRouter(limiter), createContext, basePath: '/trpc/' })
const registry = new Registry()
const metrics = prometheusMetrics({ limiter, registry })

async function serveMetrics(res: ServerResponse): Promise<void> {
  res.setHeader('content-type', registry.contentType)
  res.end(await registry.metrics())
}

/** The path of a request target; `undefined` for one that is not a URL (`GET http://[`). */
function pathOf(target = '/'): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname
  } catch {
    return undefined
  }
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = pathOf(req.url)
  if (path === undefined) {
    // A malformed request target must not throw out of the request listener: that ends the process.
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad request target\n')
    return
  }
  if (path === '/graphql') {
    void yoga(req, res)
  } else if (path.startsWith('/trpc/')) {
    trpc(req, res)
  } else if (path === '/metrics') {
    serveMetrics(res).catch(() => {
      res.statusCode = 500
      res.end()
    })
  } else if (!servePage(path, req, res)) {
    serveIndex(path, req, res)
  }
}

/** What a Host header may look like to be echoed in the curl lines: a name or address and a port. */
const HOST_HEADER = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/

/**
 * `/` for curl (a browser gets the demo page): the start-up text (links, keys, limits, curl lines); anything else: 404 with the same text.
 * Anyone who can connect reads it, so it names the kind of store only: the console's label says
 * where Redis is, and a Redis URL may carry a password.
 */
function serveIndex(path: string, req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = path === '/' ? 200 : 404
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  const hostHeader = req.headers.host
  const base = hostHeader && HOST_HEADER.test(hostHeader) ? `http://${hostHeader}` : 'http://localhost'
  res.end(`${banner(base, demo.storeKind, true)}\n`)
}

const server = createServer(route)
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`Cannot listen on ${host} port ${port}: ${error.code ?? error.message}`)
  process.exit(1)
})
server.listen(port, host, () => {
  const { address, port: actual } = server.address() as AddressInfo
  console.log(banner(baseUrl(address, actual), demo.storeLabel, true))
  if (address === '0.0.0.0' || address === '::') {
    console.log(
      `Listening on every interface (HOST=${host}): anyone who can reach this machine can call the demo.`,
    )
  }
})

let closing = false
async function shutdown(signal: string): Promise<void> {
  if (closing) return
  closing = true
  console.log(`${signal}: closing the server, the limiter and the store`)
  // A second chance is enough: if something hangs, leave anyway (and say so with the exit code).
  setTimeout(() => process.exit(1), 5_000).unref()
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections() // keep-alive connections would hold close() open
  })
  metrics.stop()
  await yoga.dispose()
  await demo.close()
  console.log('closed')
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
stopWithNpm((why) => void shutdown(why))
