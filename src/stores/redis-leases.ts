/**
 * The leases of concurrency limits in Redis: one script call per acquire, renewal and release.
 *
 * A key is a sorted set of lease ids scored by their expiry in milliseconds of Redis `TIME` (one
 * clock for every app server). Each call first drops the expired leases, so a crashed holder's
 * slot comes back `leaseMs` after its last renewal. The key's TTL is its longest lease: an idle
 * identity leaves nothing behind. One key per call, under the identity's hash tag (Cluster-safe).
 */
import { createHash } from 'node:crypto'
import type { LeaseRequest, LeaseResult } from '../leases.js'
import type { RedisPort } from './redis-port.js'

/**
 * KEYS[1] the lease key; ARGV: operation (`acquire`, `renew`, `release`), lease id, max, lease ms.
 * Replies: acquire `{acquired 0|1, active}`; renew 1 when the lease was live (now extended), else
 * 0; release 0.
 */
export const LEASE_SCRIPT = `
local key, op, id = KEYS[1], ARGV[1], ARGV[2]
if op == 'release' then
  redis.call('ZREM', key, id)
  return 0
end
local max, lease_ms = tonumber(ARGV[3]), tonumber(ARGV[4])
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now_ms))
local active = redis.call('ZCARD', key)
if op == 'renew' then
  if not redis.call('ZSCORE', key, id) then return 0 end
elseif active >= max then
  return {0, active}
else
  active = active + 1
end
redis.call('ZADD', key, string.format('%d', now_ms + lease_ms), id)
-- The key lives as long as its longest lease.
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', key, string.format('%d', tonumber(last[2]) - now_ms))
if op == 'renew' then return 1 end
return {1, active}
`

/** SHA1 of {@link LEASE_SCRIPT}, for EVALSHA. */
export const LEASE_SCRIPT_SHA = createHash('sha1').update(LEASE_SCRIPT).digest('hex')

/** One call of the lease script: EVALSHA, EVAL after `NOSCRIPT`; refused or classified like the store's other calls. */
async function callLeaseScript(client: RedisPort, key: string, argv: string[]): Promise<unknown> {
  const unavailable = client.refusal()
  if (unavailable) throw unavailable
  const sentWhile = client.status()
  try {
    return await client.evalsha(LEASE_SCRIPT_SHA, [key], argv).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return client.eval(LEASE_SCRIPT, [key], argv)
      }
      throw error
    })
  } catch (error) {
    throw client.failure(sentWhile, error)
  }
}

const leaseArgs = (operation: string, lease: LeaseRequest): string[] => [
  operation,
  lease.id,
  String(lease.max),
  String(lease.leaseMs),
]

export async function acquireRedisLease(client: RedisPort, lease: LeaseRequest): Promise<LeaseResult> {
  const reply = (await callLeaseScript(client, lease.key, leaseArgs('acquire', lease))) as unknown[]
  return { acquired: Number(reply[0]) === 1, active: Number(reply[1]) }
}

export async function renewRedisLease(client: RedisPort, lease: LeaseRequest): Promise<boolean> {
  return Number(await callLeaseScript(client, lease.key, leaseArgs('renew', lease))) === 1
}

export async function releaseRedisLease(client: RedisPort, key: string, id: string): Promise<void> {
  await callLeaseScript(client, key, ['release', id, '0', '0'])
}
