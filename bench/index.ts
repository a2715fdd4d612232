/**
 * `npm run bench [-- --quick] [-- <name filter>]`: starts a private redis-server (unless REDIS_URL
 * is set), then runs every `bench/*.bench.ts` in alphabetical order. Each module exports
 * `default async function (ctx: BenchContext)` (see `bench/harness.ts`) and prints its own table.
 *
 *   npm run bench                  every benchmark, full length
 *   npm run bench -- --quick       short rounds (also BENCH_QUICK=1): a smoke run, not a measurement
 *   npm run bench -- engine        only the modules whose file name contains "engine"
 */
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type RedisProcess, startRedisServer } from '../test/setup/redis-server.js'
import type { BenchContext } from './harness.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1'
const filters = args.filter((a) => !a.startsWith('--'))
const here = dirname(fileURLToPath(import.meta.url))
const modules = readdirSync(here)
  .filter(
    (file) => file.endsWith('.bench.ts') && (filters.length === 0 || filters.some((f) => file.includes(f))),
  )
  .sort()

let server: RedisProcess | undefined
try {
  if (!process.env.REDIS_URL) server = await startRedisServer()
  const redisUrl = process.env.REDIS_URL ?? server!.url
  const ctx: BenchContext = {
    redisUrl,
    quick,
    ...(server?.process.pid ? { redisPid: server.process.pid } : {}),
  }
  console.log(
    `resolver-rate-limit benchmarks${quick ? ' (quick)' : ''} — Node ${process.version}, Redis at ${redisUrl}, modules: ${modules.join(', ')}`,
  )
  for (const file of modules) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as {
      default: (ctx: BenchContext) => Promise<void>
    }
    await mod.default(ctx)
  }
} finally {
  await server?.stop()
}
