/**
 * Many app servers, one Redis, one hot key: separate Node processes (each with its own client and
 * limiter) hammer the same identity and rule at once. Atomicity lives in one Lua script on one
 * clock (Redis TIME), so the total admitted does not depend on how many processes ask.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { uniquePrefix } from '../helpers.js'
import type {
  LeaseResult,
  LeaseScenario,
  ParentMessage,
  Scenario,
  WorkerMessage,
  WorkerResult,
} from './worker.js'

const PROCESSES = 4
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url))
let workers: ChildProcess[] = []

function nextMessage(child: ChildProcess): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`worker exited with code ${code}`))
    child.once('message', (message) => {
      child.off('exit', exited)
      resolve(message as WorkerMessage)
    })
    child.once('exit', exited)
  })
}

beforeAll(async () => {
  workers = Array.from({ length: PROCESSES }, () =>
    fork(worker, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, REDIS_URL: inject('redisUrl') },
    }),
  )
  await Promise.all(workers.map(nextMessage))
}, 30_000)

afterAll(() => {
  for (const child of workers) {
    if (child.connected) child.send({ exit: true } satisfies ParentMessage)
    setTimeout(() => child.kill(), 2_000).unref()
  }
})

/** Starts the scenario in every process at once and sums their results. */
async function hammer(scenario: Scenario): Promise<WorkerResult & { perProcess: number[] }> {
  const results = workers.map(nextMessage)
  // A common start time: a busy machine may deliver the messages a few ms apart.
  const go = { ...scenario, startAt: scenario.startAt ?? Date.now() + 150 }
  for (const child of workers) child.send({ go } satisfies ParentMessage)
  const answers = (await Promise.all(results)).map((m) => ('result' in m ? m.result : undefined)!)
  return {
    admitted: answers.reduce((sum, r) => sum + r.admitted, 0),
    refused: answers.reduce((sum, r) => sum + r.refused, 0),
    degraded: answers.reduce((sum, r) => sum + r.degraded, 0),
    admittedAt: answers.flatMap((r) => r.admittedAt).sort((a, b) => a - b),
    cached: answers.reduce((sum, r) => sum + r.cached, 0),
    perProcess: answers.map((r) => r.admitted),
  }
}

describe(`${PROCESSES} app servers sharing one Redis and one hot key`, () => {
  it('admit exactly the limit in total with the sliding log', async () => {
    const limit = 400
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit,
      window: '1h',
      requests: 150,
      concurrency: 8,
    })
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBe(limit)
    expect(total.refused).toBe(PROCESSES * 150 - limit)
    // Several processes got a share: they really ran at the same time. (Not "every": on a loaded
    // 2-core machine one process can be scheduled late, after the others spent the budget.)
    expect(total.perProcess.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2)
  })

  it('admit exactly the limit in total with the blocked-caller cache on, most refusals answered from memory', async () => {
    const limit = 400
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit,
      window: '1h',
      requests: 300,
      concurrency: 8,
      blockCache: true,
    })
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBe(limit)
    expect(total.refused).toBe(PROCESSES * 300 - limit)
    // After its first refusal a process asks Redis no more: at most its lanes' calls in flight.
    expect(total.cached).toBeGreaterThanOrEqual(total.refused - PROCESSES * 8 * 2)
  })

  it('with the blocked-caller cache on, admit again as each short window frees up', async () => {
    const limit = 10
    const windowMs = 400
    const startAt = Date.now() + 200
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit,
      window: windowMs,
      requests: 0,
      concurrency: 4,
      startAt,
      until: startAt + 3 * windowMs + windowMs / 2,
      blockCache: true,
    })
    expect(total.degraded).toBe(0)
    expect(total.cached).toBeGreaterThan(0)
    // Three windows and a half: three full refills at least (a block never outlasts its window),
    // and at most four (never more than the limit in one window of Redis time).
    expect(total.admitted).toBeGreaterThanOrEqual(3 * limit)
    expect(total.admitted).toBeLessThanOrEqual(4 * limit)
  })

  it('keep the sliding-window counter within its bound: exactly the limit inside one window', async () => {
    // The counter admits while previous × (1 − elapsed/window) + current + cost ≤ limit. Over a run of
    // t ms it can admit at most limit × (1 + t/window); with a one-hour window and a run of a few
    // seconds that rounds down to exactly the limit, whether or not the run crosses a window edge.
    const limit = 300
    const started = performance.now()
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-window',
      limit,
      window: '1h',
      requests: 200,
      concurrency: 8,
    })
    const elapsed = performance.now() - started
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBeLessThanOrEqual(Math.floor(limit * (1 + elapsed / 3_600_000)))
    expect(total.admitted).toBe(limit)
  })

  it('keep the sliding-window counter under 2·limit − 1 in every interval of one window while hammering for three windows', async () => {
    // The documented worst case of the counter (docs/engine.md). Windows are
    // [k·W, (k+1)·W) of Redis time (this machine's clock): starting half-way through one, the first
    // burst of `limit` plus the next window's ramp give about 1.5·limit in some interval of length
    // W, well inside the bound even with a few ms between Redis' answer and the worker's clock read.
    const limit = 20
    const windowMs = 500
    let startAt = (Math.floor(Date.now() / windowMs) + 1) * windowMs + windowMs / 2
    if (startAt - Date.now() < 100) startAt += windowMs
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-window',
      limit,
      window: windowMs,
      requests: 0,
      concurrency: 4,
      startAt,
      until: startAt + 3 * windowMs,
    })
    expect(total.degraded).toBe(0)
    const times = total.admittedAt
    let worst = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j]! < times[i]! - windowMs + 1) j++
      worst = Math.max(worst, i - j + 1)
    }
    console.info(
      `[figures] counter, ${PROCESSES} processes, limit ${limit} per ${windowMs} ms: at most ${worst} admitted in any ${windowMs} ms (bound ${2 * limit - 1})`,
    )
    expect(worst).toBeLessThanOrEqual(2 * limit - 1)
    expect(worst).toBeGreaterThanOrEqual(limit)
  })

  it('share cost-weighted requests without overshooting: cost 3 against a limit of 100 admits 33 requests', async () => {
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit: 100,
      window: '1h',
      requests: 40,
      concurrency: 4,
      cost: 3,
    })
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBe(33)
  })

  it('admit exactly the burst of a token bucket in total (GCRA: one timestamp, one script)', async () => {
    // One token an hour: over a run of seconds the bucket admits its burst and (almost surely) no more.
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'token-bucket',
      limit: 1,
      window: '1h',
      burst: 250,
      requests: 120,
      concurrency: 8,
    })
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBe(250)
    expect(total.perProcess.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2)
  })

  it('admit exactly a monthly quota in total', async () => {
    const total = await hammer({
      prefix: uniquePrefix('procs'),
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit: 300,
      window: '1h',
      period: 'month',
      requests: 150,
      concurrency: 8,
    })
    expect(total.degraded).toBe(0)
    expect(total.admitted).toBe(300)
    expect(total.refused).toBe(PROCESSES * 150 - 300)
  })

  it('spend none of a quota on requests a per-second limit refuses (one atomic check)', async () => {
    const prefix = uniquePrefix('procs')
    // 4 × 100 requests in well under a second against 50 a second: most are refused by the burst rule.
    const total = await hammer({
      prefix,
      identity: 'user:hot',
      algorithm: 'sliding-log',
      limit: 10_000,
      window: '1h',
      period: 'month',
      perSecond: 50,
      requests: 100,
      concurrency: 8,
    })
    expect(total.degraded).toBe(0)
    const { createRateLimiter, RedisStore } = await import('../../src/index.js')
    const { redisClient, ready } = await import('../helpers.js')
    const client = await ready(redisClient())
    const limiter = createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix })
    const usage = await limiter.usage('user:hot', { name: 'hot', limit: 10_000, period: 'month' })
    expect(usage.used).toBe(total.admitted)
    expect(total.admitted).toBeLessThan(PROCESSES * 100)
    await limiter.close()
    client.disconnect()
  })

  it('never hold more than max leases of one identity at once, and do reach max', async () => {
    const max = 3
    const prefix = uniquePrefix('procs-leases')
    const results = workers.map(nextMessage)
    const lease: LeaseScenario = {
      prefix,
      identity: 'user:hot',
      max,
      attempts: 25,
      concurrency: 3,
      holdMs: 4,
      counterKey: `${prefix}:held-now`,
      startAt: Date.now() + 150,
    }
    for (const child of workers) child.send({ lease } satisfies ParentMessage)
    const answers = (await Promise.all(results)).map(
      (m) => ('leases' in m ? m.leases : undefined)!,
    ) as LeaseResult[]
    expect(answers.every((a) => a !== undefined)).toBe(true)
    expect(answers.reduce((sum, a) => sum + a.degraded, 0)).toBe(0)
    const acquired = answers.reduce((sum, a) => sum + a.acquired, 0)
    const refused = answers.reduce((sum, a) => sum + a.refused, 0)
    expect(acquired + refused).toBe(PROCESSES * 3 * 25)
    // 12 lanes over 4 processes contend for 3 slots: some are refused, none goes over max.
    expect(refused).toBeGreaterThan(0)
    expect(Math.max(...answers.map((a) => a.peak))).toBe(max)
    expect(answers.filter((a) => a.acquired > 0).length).toBeGreaterThanOrEqual(2)
  }, 30_000)
})
