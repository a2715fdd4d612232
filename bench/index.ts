/**
 * `npm run bench [-- --quick] [-- <name filter>]`: starts a private redis-server (unless REDIS_URL
 * is set), then runs every `bench/*.bench.ts` in alphabetical order, each in a process of its own.
 * Each module exports `default async function (ctx: BenchContext)` (see `bench/harness.ts`) and
 * prints its own table.
 *
 *   npm run bench                  every benchmark, full length
 *   npm run bench -- --quick       short rounds (also BENCH_QUICK=1): a smoke run, not a measurement
 *   npm run bench -- engine        only the modules whose file name contains "engine"
 *
 * One process per module: in one process, what earlier modules left on the heap (and in the JIT)
 * moved the in-memory figures of later ones — the memory engine row measured 1.05× after the Redis
 * modules and 1.87× alone.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type RedisProcess, startRedisServer } from '../test/setup/redis-server.js'
import type { BenchContext } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))

/** In a child process: runs the one module named by BENCH_MODULE with the parent's context. */
async function runModule(file: string): Promise<void> {
  const ctx = JSON.parse(process.env.BENCH_CONTEXT!) as BenchContext
  const mod = (await import(pathToFileURL(join(here, file)).href)) as {
    default: (ctx: BenchContext) => Promise<void>
  }
  await mod.default(ctx)
}

async function runAll(): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1'
  const filters = args.filter((a) => !a.startsWith('--'))
  const modules = readdirSync(here)
    .filter(
      (file) => file.endsWith('.bench.ts') && (filters.length === 0 || filters.some((f) => file.includes(f))),
    )
    .sort()
  let server: RedisProcess | undefined
  let failed = false
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
      // The same loader (tsx) and flags as this process; output goes straight through.
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_MODULE: file, BENCH_CONTEXT: JSON.stringify(ctx) },
      })
      if (child.status !== 0) {
        failed = true
        console.error(`${file} failed (exit ${child.status ?? child.signal})`)
      }
    }
  } finally {
    await server?.stop()
  }
  if (failed) process.exitCode = 1
}

if (process.env.BENCH_MODULE) await runModule(process.env.BENCH_MODULE)
else await runAll()
