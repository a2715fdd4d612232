/**
 * The ioredis adapter of the store's port (`redis-port.ts`): ioredis 5 and 6, `Redis` and
 * `Cluster`. ioredis names its connection states (`client.status`) and routes a script call on a
 * Cluster by its first key, so the adapter only spreads the arguments and reads the status.
 */
import type { StoreError } from '../errors.js'
import { notConnected, type RedisPort } from './redis-port.js'

/**
 * The ioredis shape the store needs. ioredis `Redis` and `Cluster` (5 and 6) both satisfy it, and
 * the core never imports ioredis: any client with these methods (a wrapper, a proxy) fits.
 */
export interface IoredisClientLike {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  del(...keys: string[]): Promise<number>
  ping(): Promise<unknown>
  /** ioredis connection status (`'ready'`, `'reconnecting'`, …). */
  readonly status?: string
  /** True for an ioredis `Cluster`: a batch then only holds checks of one hash tag. */
  readonly isCluster?: boolean
  /** ioredis options; only `enableOfflineQueue` is read. */
  readonly options?: { readonly enableOfflineQueue?: boolean }
}

/** True when `client` has ioredis' lower-case script methods. */
export function isIoredis(client: object): client is IoredisClientLike {
  const candidate = client as Partial<IoredisClientLike>
  return typeof candidate.evalsha === 'function' && typeof candidate.eval === 'function'
}

/** States in which an ioredis client is setting up a connection (the first one, or again). */
const CONNECTING = new Set(['connecting', 'connect'])

/**
 * Why a command cannot be sent now, or undefined when it can. Sent: a `ready` client; `wait`
 * (`lazyConnect`, never connected), since a command is what makes ioredis connect, its failure
 * being classified by {@link failure}; a connecting client that queues commands (they wait for the
 * connection or the deadline, as the README says); a client without a `status`. Refused at once: a
 * connecting client without an offline queue (ioredis would refuse the command anyway, with
 * "Stream isn't writeable…", which reads like any failed command), and every state of a lost
 * connection (`reconnecting`, `close`, `end`, …), so nothing waits for a dead Redis.
 */
function refusal(client: IoredisClientLike): StoreError | undefined {
  const status = client.status
  if (status === undefined || status === 'ready' || status === 'wait') return undefined
  if (CONNECTING.has(status) && client.options?.enableOfflineQueue !== false) return undefined
  return notConnected(status)
}

/** Not ready when sent or not ready now: the connection never came up, or dropped with the command in flight. */
function failure(client: IoredisClientLike, sentWhile: string | undefined, error: unknown): unknown {
  const status = client.status
  if (status === undefined) return error
  if (status !== 'ready') return notConnected(status, error)
  return sentWhile !== undefined && sentWhile !== 'ready' ? notConnected(sentWhile, error) : error
}

/** The port over an ioredis client; the client is used as given, never configured or listened to. */
export function ioredisPort(client: IoredisClientLike): RedisPort {
  return {
    library: 'ioredis',
    isCluster: client.isCluster === true,
    offlineQueueAdvice:
      client.options && client.options.enableOfflineQueue !== false
        ? '{ enableOfflineQueue: false }'
        : undefined,
    evalsha: (sha, keys, argv) => client.evalsha(sha, keys.length, ...keys, ...argv),
    eval: (script, keys, argv) => client.eval(script, keys.length, ...keys, ...argv),
    del: (keys) => client.del(...keys),
    ping: () => client.ping(),
    status: () => client.status,
    refusal: () => refusal(client),
    failure: (sentWhile, error) => failure(client, sentWhile, error),
  }
}
