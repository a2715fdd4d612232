/**
 * `inspect --key-id ID --plans FILE`: an operator reads a customer's plan quotas — used,
 * remaining, when full again — from the key id they logged and the application's plans file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { planQuotas } from '../../src/identity/quotas.js'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  type RateLimiter,
  RedisStore,
  resolveCaller,
} from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { cli, json } from './run-cli.js'

const planFile = {
  free: {
    quotas: [
      { name: 'daily', limit: 100, window: '1d' },
      { limit: 1000, window: '30d' },
    ],
  },
  pro: { scale: 10 },
}
const plans = definePlans(planFile)

let client: Redis
let limiter: RateLimiter
let prefix: string
let apiPrefix: string
let file: string
let ids: { free: string; pro: string; custom: string }

beforeAll(async () => {
  client = await ready(redisClient())
  prefix = uniquePrefix('cli-q')
  apiPrefix = uniquePrefix('cli-q-keys')
  limiter = createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix, logger: false })
  const keys = createRedisApiKeys({ client, prefix: apiPrefix, plans })
  const free = await keys.issue('acct_free', { plan: 'free' })
  const pro = await keys.issue('acct_pro', { plan: 'pro' })
  const custom = await keys.issue('acct_custom', { plan: 'free', limits: { daily: { limit: 500 } } })
  ids = { free: free.id, pro: pro.id, custom: custom.id }
  const identify = createIdentify({ apiKeys: { lookup: keys.lookup } })
  const caller = await resolveCaller(identify, { req: { headers: { 'x-api-key': free.key } } })
  for (let i = 0; i < 3; i++) await limiter.consume(caller.id, planQuotas(plans.free))
  file = join(mkdtempSync(join(tmpdir(), 'rrl-plans-')), 'plans.json')
  writeFileSync(file, JSON.stringify(planFile))
})
afterAll(async () => {
  await limiter.close()
  client.disconnect()
})

const at = () => ['--redis', inject('redisUrl'), '--prefix', prefix, '--api-key-prefix', apiPrefix]

describe('inspect --key-id --plans', () => {
  it("shows the quotas of the key's plan: used, remaining and when full again (JSON)", async () => {
    const run = await cli(['inspect', '--key-id', ids.free, '--plans', file, '--json', ...at()])
    expect(run.code).toBe(0)
    const report = json<{ quotas: { plan: string; quotas: Array<Record<string, unknown>> } }>(run)
    expect(report.quotas.plan).toBe('free')
    expect(report.quotas.quotas).toMatchObject([
      { name: 'daily', limit: 100, used: 3, remaining: 97 },
      { name: 'quota:free:1', limit: 1000, used: 3, remaining: 997 },
    ])
    const resetsAt = Date.parse(report.quotas.quotas[0]!.resetsAt as string)
    expect(resetsAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
  }, 60_000)

  it('prints them as a table for people, with the key’s own limits applied', async () => {
    const run = await cli(['inspect', '--key-id', ids.free, '--plans', file, ...at()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Quotas of plan free:/)
    expect(run.stdout).toMatch(/daily\s+3 of 100\s+97\s+/)
    const custom = await cli(['inspect', '--key-id', ids.custom, '--plans', file, ...at()])
    expect(custom.stdout).toMatch(/daily\s+0 of 500\s+500\s+now/)
    const pro = await cli(['inspect', '--key-id', ids.pro, '--plans', file, ...at()])
    expect(pro.stdout).toMatch(/Plan pro has no quotas\./)
  }, 60_000) // three command lines: slow on a loaded machine

  it('refuses --plans without --key-id, and a plans file that is not valid plans', async () => {
    const alone = await cli(['inspect', 'user:1', '--plans', file, '--redis', inject('redisUrl')])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toMatch(/--plans goes with --key-id/)
    const bad = join(mkdtempSync(join(tmpdir(), 'rrl-plans-')), 'bad.json')
    writeFileSync(bad, JSON.stringify({ free: { quotas: [{ limit: 0, window: '1d' }] } }))
    const invalid = await cli(['inspect', '--key-id', ids.free, '--plans', bad, ...at()])
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toMatch(/Invalid --plans .*`quotas` of plan "free"\[0\]/)
    const missing = await cli(['inspect', '--key-id', ids.free, '--plans', `${bad}.nope`, ...at()])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/Cannot read --plans/)
  }, 60_000)
})
