/**
 * The node-redis adapter of the store's port (`redis-port.ts`): `createClient()` and
 * `createCluster()` of the `redis` package (node-redis 5 and 6, or `@redis/client` directly).
 * node-redis takes script keys and arguments as arrays and routes a Cluster call by its first key;
 * it says whether it is connected with `isReady` / `isOpen` rather than a named status.
 */
import type { StoreError } from '../errors.js'
import { notConnected, type RedisPort } from './redis-port.js'

/** Keys and arguments of a node-redis script call. */
export interface NodeRedisScriptOptions {
  keys: string[]
  arguments: string[]
}

/**
 * The node-redis shape the store needs. A node-redis client (`createClient()`) and cluster
 * (`createCluster()`), versions 5 and 6, satisfy it; the core never imports node-redis.
 */
export interface NodeRedisClientLike {
  evalSha(sha: string, options: NodeRedisScriptOptions): Promise<unknown>
  eval(script: string, options: NodeRedisScriptOptions): Promise<unknown>
  del(keys: string[]): Promise<unknown>
  ping(): Promise<unknown>
  /** True once `connect()` was called and until `close()` / `destroy()`. */
  readonly isOpen: boolean
  /** True while connected (a client; a node-redis 6 cluster). A node-redis 5 cluster has only `isOpen`. */
  readonly isReady?: boolean
  /** A client's options; only `disableOfflineQueue` is read. */
  readonly options?: { readonly disableOfflineQueue?: boolean } | undefined
  /** A cluster's options; only `defaults.disableOfflineQueue` is read. */
  readonly _options?: { readonly defaults?: { readonly disableOfflineQueue?: boolean } | undefined }
  /** A cluster's masters: only a cluster has them. */
  readonly masters?: readonly unknown[]
}

/** True when `client` has node-redis' camel-case script methods and its `isOpen` flag. */
export function isNodeRedis(client: object): client is NodeRedisClientLike {
  const candidate = client as Partial<NodeRedisClientLike>
  return (
    typeof candidate.evalSha === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.isOpen === 'boolean'
  )
}

/**
 * `'ready'`, `'connecting'` (open, not connected: first connection or reconnecting) or `'closed'`.
 * A node-redis 5 cluster has no `isReady` and is open from the start of `connect()`: it is ready
 * once it knows its masters (before that, a command fails inside the client).
 */
function status(client: NodeRedisClientLike): string {
  if (!client.isOpen) return 'closed'
  const ready = client.isReady ?? (client.masters === undefined || client.masters.length > 0)
  return ready ? 'ready' : 'connecting'
}

/**
 * A Redis error reply (`ErrorReply` and its subclasses `SimpleError`, `BlobError`…): the server
 * answered. Anything else node-redis rejects with (`ClientClosedError`, `ClientOfflineError`,
 * `SocketClosedUnexpectedlyError`, a socket error) means the connection was not there. The class
 * is recognised by name, since the package is not imported; a bundler that renames classes only
 * makes such replies count as `STORE_UNAVAILABLE` in the metrics.
 */
function isErrorReply(error: unknown): boolean {
  let proto: unknown = error instanceof Error ? Object.getPrototypeOf(error) : null
  while (proto && proto !== Error.prototype) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === 'ErrorReply') return true
    proto = Object.getPrototypeOf(proto)
  }
  return false
}

/** Refused at once unless connected: node-redis would queue the command (offline queue) or reject it. */
function refusal(client: NodeRedisClientLike): StoreError | undefined {
  const now = status(client)
  return now === 'ready' ? undefined : notConnected(now)
}

function failure(client: NodeRedisClientLike, sentWhile: string | undefined, error: unknown): unknown {
  const now = status(client)
  if (now !== 'ready') return notConnected(now, error)
  if (sentWhile !== undefined && sentWhile !== 'ready') return notConnected(sentWhile, error)
  return isErrorReply(error) ? error : notConnected('connection lost', error)
}

/** Whether the client (or every node of the cluster) keeps commands while disconnected. */
function queuesOffline(client: NodeRedisClientLike): boolean {
  if (client.masters !== undefined) return client._options?.defaults?.disableOfflineQueue !== true
  return client.options?.disableOfflineQueue !== true
}

/** The port over a node-redis client or cluster; used as given, never configured or listened to. */
export function nodeRedisPort(client: NodeRedisClientLike): RedisPort {
  const isCluster = client.masters !== undefined
  return {
    library: 'node-redis',
    isCluster,
    offlineQueueAdvice: queuesOffline(client)
      ? isCluster
        ? '{ defaults: { disableOfflineQueue: true } }'
        : '{ disableOfflineQueue: true }'
      : undefined,
    evalsha: (sha, keys, argv) => client.evalSha(sha, { keys, arguments: argv }),
    eval: (script, keys, argv) => client.eval(script, { keys, arguments: argv }),
    del: (keys) => client.del([...keys]),
    ping: () => client.ping(),
    status: () => status(client),
    refusal: () => refusal(client),
    failure: (sentWhile, error) => failure(client, sentWhile, error),
  }
}
