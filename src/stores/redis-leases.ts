/**
 * The leases of concurrency limits in Redis: every lease call (acquire, renew, release) is one
 * check of one script call, shared with the other lease calls of the same tick (per hash tag on
 * a Cluster), like the rate checks: one round trip and one `TIME` for all of them, each check
 * atomic on its own.
 *
 * A key is a sorted set of lease ids scored by their expiry in milliseconds of Redis `TIME` (one
 * clock for every app server). Each check first drops the key's expired leases, so a crashed
 * holder's slot comes back `leaseMs` after its last renewal. The key's TTL is its longest lease:
 * an idle identity leaves nothing behind. One key per check, under the identity's hash tag.
 */
import { createHash } from 'node:crypto'
import type { LeaseRequest, LeaseResult } from '../leases.js'
import type { RedisPort } from './redis-port.js'

/**
 * KEYS: one lease key per check. ARGV: per check, operation (`acquire`, `renew`, `release`),
 * lease id, max, lease ms. Replies, one per check: acquire `{acquired 0|1, active}`; renew 1 when
 * the lease was live (now extended), else 0; release 0.
 */
export const LEASE_SCRIPT = `
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local now = string.format('%d', now_ms)
local function check(key, op, id, max, lease_ms)
  if op == 'release' then
    redis.call('ZREM', key, id)
    return 0
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
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
end
local out = {}
for i = 1, #KEYS do
  local at = (i - 1) * 4
  out[i] = check(KEYS[i], ARGV[at + 1], ARGV[at + 2], tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4]))
end
return out
`

/** SHA1 of {@link LEASE_SCRIPT}, for EVALSHA. */
export const LEASE_SCRIPT_SHA = createHash('sha1').update(LEASE_SCRIPT).digest('hex')

/** Most lease checks in one script call. */
const MAX_BATCH = 32

interface LeaseCheck {
  readonly key: string
  readonly args: readonly [string, string, string, string]
  readonly resolve: (reply: unknown) => void
  readonly reject: (error: unknown) => void
}

/** What Redis Cluster hashes: the first non-empty `{…}` section of the key, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{')
  const close = open < 0 ? -1 : key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/** Queues the lease checks of one tick and sends them in script calls of up to 32. */
export class RedisLeases {
  readonly #client: RedisPort
  #queue: LeaseCheck[] = []
  readonly #flush = (): void => this.#send()

  constructor(client: RedisPort) {
    this.#client = client
  }

  async acquire(lease: LeaseRequest): Promise<LeaseResult> {
    const reply = (await this.#check(lease.key, 'acquire', lease)) as unknown[]
    return { acquired: Number(reply[0]) === 1, active: Number(reply[1]) }
  }

  async renew(lease: LeaseRequest): Promise<boolean> {
    return Number(await this.#check(lease.key, 'renew', lease)) === 1
  }

  async release(key: string, id: string): Promise<void> {
    await this.#check(key, 'release', { id, max: 0, leaseMs: 0 })
  }

  #check(key: string, op: string, lease: Pick<LeaseRequest, 'id' | 'max' | 'leaseMs'>): Promise<unknown> {
    const unavailable = this.#client.refusal()
    if (unavailable) return Promise.reject(unavailable)
    return new Promise((resolve, reject) => {
      const args = [op, lease.id, String(lease.max), String(lease.leaseMs)] as const
      if (this.#queue.push({ key, args, resolve, reject }) === 1) queueMicrotask(this.#flush)
    })
  }

  #send(): void {
    const queue = this.#queue
    this.#queue = []
    const groups = new Map<string, LeaseCheck[]>()
    for (const check of queue) {
      const tag = this.#client.isCluster ? hashTag(check.key) : ''
      const group = groups.get(tag)
      if (group && group.length < MAX_BATCH) group.push(check)
      else {
        if (group) this.#call(group)
        groups.set(tag, [check])
      }
    }
    for (const group of groups.values()) this.#call(group)
  }

  /** One script call; settles every check in it. */
  #call(batch: readonly LeaseCheck[]): void {
    const client = this.#client
    const keys = batch.map((check) => check.key)
    const argv = batch.flatMap((check) => check.args)
    const sentWhile = client.status()
    new Promise<unknown>((resolve) => resolve(client.evalsha(LEASE_SCRIPT_SHA, keys, argv)))
      .catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          return client.eval(LEASE_SCRIPT, keys, argv)
        }
        throw error
      })
      .then(
        (reply) => {
          const replies = reply as unknown[]
          batch.forEach((check, i) => {
            check.resolve(replies[i])
          })
        },
        (error: unknown) => {
          const failure = client.failure(sentWhile, error)
          for (const check of batch) check.reject(failure)
        },
      )
  }
}
