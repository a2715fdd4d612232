/**
 * Every example a user would copy runs and prints what its comments promise: spawned like
 * `npx tsx examples/<file>.ts`, on the memory store and, where the example reads REDIS_URL, on the
 * tests' Redis. A new file in examples/ must be added here (run, or skipped with a reason).
 */
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { ROOT, runTs } from './child.js'

interface Example {
  file: string
  /** Also run with REDIS_URL. */
  redis: boolean
  /** What the output must contain. */
  prints: RegExp[]
}

const RUN: Example[] = [
  {
    file: 'api-key-plans.ts',
    redis: true,
    prints: [
      /free key, 4 calls \(limit 3\/min\):\n( +key:\S+ +allowed \(\d\/3 left\)\n){3} +key:\S+ +refused, retry in (59|60) s/,
      /pro key, 2 calls \(limit 30\/min\):\n +key:\S+ +allowed \(29\/30 left\)\n +key:\S+ +allowed \(28\/30 left\)/,
      /internal key:\n +key:\S+ \(unlimited\)/,
      // Random keys never earn a bucket: every line is the client IP's.
      /counted by the client IP, 3\/min:\n( +ip:203\.0\.113\.7 .*\n){4}/,
    ],
  },
  {
    file: 'plans-and-quotas.ts',
    redis: true,
    prints: [
      // Two limited fields per operation, the quota used once per operation: five admitted.
      /( +operation [1-5]: HTTP 200 +ok +RateLimit: "daily";r=[0-4];t=864\d\d\n){5}/,
      / +operation 6: HTTP 429 +refused by quota "daily" +RateLimit: "daily";r=0;t=864\d\d/,
      / +usage daily: 5 used, 0 of 5 left\n +usage monthly: 5 used, 95 of 100 left/,
      /upgraded to pro \(setPlan, no restart\):\n +operation 7: HTTP 200 +ok\n +usage pro-monthly: 1 used, 9999 of 10000 left/,
    ],
  },
  {
    file: 'cost-budget.ts',
    redis: true,
    prints: [
      /^200 .*"cost":32,/m,
      /^200 .*"cost":302,/m,
      /^400 null .*"cost":3002,/m,
      /shadow: would have refused user:octocat/,
    ],
  },
  {
    file: 'trpc-standalone.ts',
    redis: false,
    prints: [
      /HTTP 429 +RateLimit: "search";r=0;t=(9|10) +Retry-After: (9|10)/,
      /call 4: TOO_MANY_REQUESTS "Rate limit exceeded: retry in (9|10) s" retryAfter=(9|10)/,
      /HTTP 207 .*\n +ok, ok, TOO_MANY_REQUESTS/,
      /exported 300 rows/,
    ],
  },
  {
    file: 'graphql-yoga.ts',
    redis: true,
    prints: [
      /HTTP 429 +RateLimit: "Query.search";r=0;t=(9|10) +Retry-After: (9|10)\n +data: \{"search":null\}\n +RATE_LIMITED: /,
      /HTTP 200 .*Retry-After: -\n +data: \{"search":null,"ping":"pong"\}/,
      /RateLimit: "feeds";r=0;t=(59|60) .*\n +data: .*"e":\["graphql"\],"f":null\}/,
      /"Mutation.publish";r=0;t=3600 +Retry-After: -\n.*\n +HTTP 429 +RateLimit: "Mutation.publish";r=0;t=3600 +Retry-After: 3[56]\d\d\n/,
    ],
  },
  {
    file: 'nextjs-app-router.ts',
    redis: true,
    prints: [
      // The route handler answers with the headers; forged X-Forwarded-For entries change nothing.
      /X-Forwarded-For: 198\.51\.100\.1, 203\.0\.113\.7 +RateLimit: "search";r=2;t=60 +Retry-After: -\n +call 1: ok, 2 left/,
      /HTTP 429 +X-Forwarded-For: 198\.51\.100\.4, 203\.0\.113\.7 +RateLimit: "search";r=0;t=(59|60) +Retry-After: (59|60)\n +call 4: TOO_MANY_REQUESTS retryAfter=(59|60)/,
      /client 203\.0\.113\.8 \(its own budget\):\n +HTTP 200 .*"search";r=2;t=60/,
    ],
  },
  {
    file: 'express.ts',
    redis: true,
    prints: [
      /HTTP 200 +RateLimit: "search";r=0;t=30 +Retry-After: -\n +call 2: ok, 0 left/,
      /HTTP 429 +RateLimit: "search";r=0;t=(29|30) +Retry-After: (29|30)\n +call 3: TOO_MANY_REQUESTS retryAfter=(29|30)/,
      /client 203\.0\.113\.8:\n +HTTP 200 +RateLimit: "search";r=1;t=30/,
    ],
  },
  {
    file: 'mercurius.ts',
    redis: true,
    prints: [
      // Forged leftmost entries change nothing: the third call from 203.0.113.7 is refused.
      /HTTP 200 +RateLimit: "Query.search";r=0;t=10 +Retry-After: -\n.*\n.*\n +HTTP 429 +RateLimit: "Query.search";r=0;t=(9|10) +Retry-After: (9|10)\n +data: \{"search":null\}\n +RATE_LIMITED: retryAfter=(9|10)\n +extensions: \{"rateLimit":\{"policies":\[\{"policy":"Query.search","limit":2,"remaining":0,/,
      /one that resolves:\n +HTTP 200 .*Retry-After: -\n +data: \{"search":null,"ping":"pong"\}/,
      /client 203\.0\.113\.8:\n +HTTP 200 +RateLimit: "Query.search";r=1;t=10/,
    ],
  },
]

/** Examples not run by this file, and why. */
const NOT_RUN: Record<string, string> = {
  'redis-cluster.ts': 'needs a Redis Cluster: run by test/cluster',
  'demo-server.ts': 'the demo server: test/e2e/demo.test.ts',
  'metrics.ts': 'a server: its own test below',
}

const examplesDir = join(ROOT, 'examples')
const present = (file: string) => existsSync(join(examplesDir, file))

/** Runs an example to its end; fails on a non-zero exit or after `timeoutMs`. */
async function runToEnd(file: string, env: Record<string, string | undefined>, timeoutMs = 30_000) {
  const child = runTs(`examples/${file}`, env)
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs)
  const exit = await child.exited
  clearTimeout(timer)
  return { ...exit, output: child.output() }
}

describe('examples/', () => {
  it('runs every example here or says why not', () => {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.ts'))
    const covered = new Set([...RUN.map((e) => e.file), ...Object.keys(NOT_RUN)])
    expect(files.filter((f) => !covered.has(f))).toEqual([])
  })

  const cases = RUN.flatMap((e) => [
    { ...e, store: 'memory' as const },
    ...(e.redis ? [{ ...e, store: 'redis' as const }] : []),
  ])
  describe.concurrent.each(cases)('$file on the $store store', ({ file, store, prints }) => {
    it.skipIf(!present(file))('exits 0 and prints what its comments promise', async ({ expect }) => {
      const { code, signal, output } = await runToEnd(file, {
        REDIS_URL: store === 'redis' ? inject('redisUrl') : undefined,
      })
      expect({ code, signal }, output).toEqual({ code: 0, signal: null })
      for (const pattern of prints) expect(output).toMatch(pattern)
    })
  })
})

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('examples/metrics.ts', () => {
  it.skipIf(!present('metrics.ts'))(
    'limits GET /search to 5 per 10 s, counts the refusal in /metrics and stops on SIGINT',
    async () => {
      const port = await freePort()
      const child = runTs('examples/metrics.ts', { PORT: String(port) })
      try {
        await child.waitFor(/GET \/search is limited to 5 per 10s/, 20_000)
        const statuses: number[] = []
        for (let i = 0; i < 6; i++) statuses.push((await fetch(`http://127.0.0.1:${port}/search`)).status)
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
        expect(metrics).toMatch(
          /resolver_rate_limit_decisions_total\{rule="Query.search",outcome="limited"\} 1\b/,
        )
        expect(metrics).toMatch(
          /resolver_rate_limit_decisions_total\{rule="Query.search",outcome="allowed"\} 5\b/,
        )
      } finally {
        const { code, signal } = await child.stop('SIGINT')
        expect({ code, signal }, child.output()).toEqual({ code: 0, signal: null })
      }
    },
  )
})
