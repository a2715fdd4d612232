/**
 * Redis CPU per sliding-log check: what the consume script costs the server, through the real
 * `RedisStore` and limiter, measured two ways per round — `INFO commandstats` (EVALSHA usec ÷
 * checks) and the private redis-server's CPU time from /proc (everything Redis did ÷ checks,
 * networking included; absent with REDIS_URL). Every check is admitted (limit 1000 per minute,
 * 1 000 callers), so every check reads the log and writes an entry.
 *
 * - GraphQL-like: one `consumeMany` of 20 one-rule checks per operation (the directive's shape),
 *   64 operations in flight: one script call answers 20 checks.
 * - tRPC-like: one `consume` of one rule per call, 16 and 64 in flight: one script call answers
 *   the checks of one tick (a handful).
 *
 * `npm run bench -- lua-cpu` (rounds of 1 s, median of 5; `--quick` 2 of 0.3 s). EVALSHA usec is
 * time spent inside the script, so a busy machine inflates it when it preempts Redis: the least of
 * the rounds is the steadier figure there; compare script versions in the same conditions.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { type ConsumeRequest, createRateLimiter, RedisStore } from '../src/index.js'
import { type BenchContext, type BenchFn, measure, median, printTable } from './harness.js'

const CALLERS = 1000
const FIELDS = 20
const rules = Array.from({ length: FIELDS }, (_, i) => ({ name: `f${i}`, limit: 1000, window: '1m' }))
const silent = { warn() {}, error() {} }

/** CPU µs of a process from /proc (0 when unreadable: another host, not Linux). */
function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return 0
  }
}

/** EVALSHA + EVAL usec and calls since the last CONFIG RESETSTAT. */
async function scriptStats(client: Redis): Promise<{ usec: number; calls: number }> {
  const info = await client.info('commandstats')
  let usec = 0
  let calls = 0
  for (const m of info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[1])
    usec += Number(m[2])
  }
  return { usec, calls }
}

interface Load {
  label: string
  inFlight: number
  /** Checks one call of `fn` makes. */
  checksPerCall: number
  fn: BenchFn
}

interface Row {
  statsPerCheck: number
  procPerCheck: number
  checksPerScript: number
}

async function round(client: Redis, load: Load, durationMs: number, pid?: number): Promise<Row> {
  await client.config('RESETSTAT')
  const before = processCpuUs(pid)
  let calls = 0
  const fn: BenchFn = (i) => {
    calls++
    return load.fn(i)
  }
  await measure(fn, { inFlight: load.inFlight, durationMs })
  const proc = processCpuUs(pid) - before
  const stats = await scriptStats(client)
  const checks = calls * load.checksPerCall
  return {
    statsPerCheck: stats.usec / checks,
    procPerCheck: proc / checks,
    checksPerScript: checks / Math.max(1, stats.calls),
  }
}

export default async function luaCpuBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: silent }),
    prefix: `bench:lua:${randomUUID().slice(0, 8)}:`,
    logger: silent,
    timeoutMs: 5_000,
  })
  const check = (decision: { allowed: boolean; policy?: unknown }) => {
    if (!decision.allowed || decision.policy) throw new Error('a check was refused or degraded')
  }
  const graphql: BenchFn = async (i) => {
    const identity = `u${i % CALLERS}`
    const requests: ConsumeRequest[] = rules.map((rule) => ({ identity, rules: rule }))
    for (const decision of await limiter.consumeMany(requests)) check(decision)
  }
  const trpc: BenchFn = async (i) => check(await limiter.consume(`u${i % CALLERS}`, rules[0]!))
  const loads: Load[] = [
    { label: 'GraphQL-like: consumeMany of 20', inFlight: 64, checksPerCall: FIELDS, fn: graphql },
    { label: 'tRPC-like: consume, 16 in flight', inFlight: 16, checksPerCall: 1, fn: trpc },
    { label: 'tRPC-like: consume, 64 in flight', inFlight: 64, checksPerCall: 1, fn: trpc },
  ]
  const rounds = ctx.quick ? 2 : 5
  const durationMs = ctx.quick ? 300 : 1000
  const rows: string[][] = []
  try {
    for (const load of loads) {
      await measure(load.fn, { inFlight: load.inFlight, durationMs: ctx.quick ? 100 : 500 })
      const samples: Row[] = []
      for (let r = 0; r < rounds; r++) samples.push(await round(client, load, durationMs, ctx.redisPid))
      const med = (pick: (row: Row) => number) => median(samples.map(pick))
      const least = (pick: (row: Row) => number) => Math.min(...samples.map(pick))
      rows.push([
        load.label,
        `${med((s) => s.statsPerCheck).toFixed(2)} µs`,
        `${least((s) => s.statsPerCheck).toFixed(2)} µs`,
        ctx.redisPid ? `${med((s) => s.procPerCheck).toFixed(2)} µs` : 'n/a',
        med((s) => s.checksPerScript).toFixed(1),
      ])
    }
  } finally {
    client.disconnect()
  }
  printTable(
    `Redis CPU per admitted sliding-log check (limit 1000/1m, ${CALLERS} callers, median of ${rounds} rounds)`,
    ['load', 'EVALSHA usec/check', 'least', 'redis-server CPU/check', 'checks/script call'],
    rows,
  )
}
