/**
 * The demo server behind `npm start`: a small bookshop API with graphql-yoga at /graphql and tRPC
 * at /trpc on one `node:http` server, sharing one limiter, plus Prometheus metrics at /metrics.
 *
 *   npm start                                        # in-memory store, port 4000
 *   REDIS_URL=redis://127.0.0.1:6379 npm start       # Redis (keys under RATE_LIMIT_PREFIX, default demo:rl:)
 *   PORT=0 npm start                                 # a free port, printed at start-up
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
import { createContext, createRouter } from './demo/router.js'
import { createDemoYoga } from './demo/schema.js'

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

const port = portFromEnv(process.env.PORT)
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

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path === '/graphql') {
    void yoga(req, res)
  } else if (path.startsWith('/trpc/')) {
    trpc(req, res)
  } else if (path === '/metrics') {
    serveMetrics(res).catch(() => {
      res.statusCode = 500
      res.end()
    })
  } else {
    serveIndex(path, req, res)
  }
}

/** `/`: the start-up text (links, keys, limits, curl lines); anything else: 404 with the same text. */
function serveIndex(path: string, req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = path === '/' ? 200 : 404
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.end(`${banner(`http://${req.headers.host ?? 'localhost'}`, demo.storeLabel, true)}\n`)
}

const server = createServer(route)
server.listen(port, () => {
  const { port: actual } = server.address() as AddressInfo
  console.log(banner(`http://localhost:${actual}`, demo.storeLabel, true))
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
