/**
 * Every Redis client the store supports, created the way the README recommends, behind one test
 * interface: ioredis 5 (`ioredis`), ioredis 6 (`ioredis6`, an npm alias), node-redis 5 (`redis5`)
 * and node-redis 6 (`redis`). Tests that must hold on each client loop over {@link CLIENT_KINDS}.
 * Tests own these clients, so they listen for their errors (the library never adds listeners).
 */
import { Cluster as Cluster5, Redis as Redis5, type RedisOptions } from 'ioredis'
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6'
import { createClient as createClient6, createCluster as createCluster6 } from 'redis'
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5'
import type { RedisApiKeysClientLike } from '../../src/identity/redis-api-keys-client.js'
import type { RedisClientLike } from '../../src/stores/redis-client.js'

/** What a test hands to `RedisStore` and `createRedisApiKeys`: the real client objects fit both. */
export type AnyRedisClient = RedisClientLike & RedisApiKeysClientLike

export type ClientKind = 'ioredis 5' | 'ioredis 6' | 'node-redis 5' | 'node-redis 6'

/** One client under test, whatever its library. */
export interface TestClient {
  readonly kind: ClientKind
  /** What `RedisStore` (or the key registry) is given: the library's own client object. */
  readonly client: AnyRedisClient
  /** Sends one raw command; on a cluster it goes to the node serving `key`. */
  command(args: readonly string[], key?: string): Promise<unknown>
  /** Sends one raw command to every master (the server itself when not a cluster). */
  everyMaster(args: readonly string[]): Promise<void>
  /** Resolves once the client can send commands. */
  ready(timeoutMs?: number): Promise<TestClient>
  isReady(): boolean
  /** How many 'error' listeners the client has (the test added one). */
  errorListeners(): number
  close(): void
}

/** Where a single-node client connects and how it behaves while disconnected. */
export interface SingleOptions {
  url?: string
  port?: number
  /** Queue commands while disconnected (both libraries' default; the README says turn it off). @default false */
  offlineQueue?: boolean
  /** Milliseconds between reconnection attempts. @default 50 */
  retryDelayMs?: number
  /** @default 500 */
  connectTimeoutMs?: number
  /** Do not connect until asked (ioredis `lazyConnect`; node-redis: no `connect()` call). @default false */
  lazy?: boolean
}

export interface ClusterNodeAddress {
  host: string
  port: number
}

export interface ClientFactory {
  readonly kind: ClientKind
  readonly library: 'ioredis' | 'node-redis'
  single(options?: SingleOptions): TestClient
  cluster(nodes: readonly ClusterNodeAddress[], options?: { offlineQueue?: boolean }): TestClient
}

function urlOf(options: SingleOptions): string {
  if (options.url) return options.url
  if (options.port) return `redis://127.0.0.1:${options.port}`
  throw new Error('a test client needs a url or a port')
}

async function poll(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

type IoredisModule = { Redis: typeof Redis5; Cluster: typeof Cluster5 }

function ioredisFactory(kind: ClientKind, lib: IoredisModule): ClientFactory {
  const wrap = (client: Redis5 | Cluster5, isCluster: boolean): TestClient => {
    const self: TestClient = {
      kind,
      client,
      command: (args) => client.call(args[0]!, ...args.slice(1)),
      async everyMaster(args) {
        const nodes = isCluster ? (client as Cluster5).nodes('master') : [client as Redis5]
        await Promise.all(nodes.map((node) => node.call(args[0]!, ...args.slice(1))))
      },
      async ready(timeoutMs = 5_000) {
        await poll(() => client.status === 'ready', timeoutMs, kind)
        return self
      },
      isReady: () => client.status === 'ready',
      errorListeners: () => client.listenerCount('error'),
      close: () => client.disconnect(),
    }
    client.on('error', () => {})
    if (isCluster) client.on('node error', () => {})
    return self
  }
  return {
    kind,
    library: 'ioredis',
    single(options = {}) {
      const redisOptions: RedisOptions = {
        enableOfflineQueue: options.offlineQueue ?? false,
        maxRetriesPerRequest: 1,
        connectTimeout: options.connectTimeoutMs ?? 500,
        retryStrategy: () => options.retryDelayMs ?? 50,
        lazyConnect: options.lazy ?? false,
      }
      return wrap(new lib.Redis(urlOf(options), redisOptions), false)
    },
    cluster(nodes, options = {}) {
      const cluster = new lib.Cluster([...nodes], {
        enableOfflineQueue: options.offlineQueue ?? false,
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 50,
        slotsRefreshTimeout: 500,
        clusterRetryStrategy: () => 100,
        redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 500 },
      })
      return wrap(cluster, true)
    },
  }
}

type NodeRedisModule = { createClient: typeof createClient6; createCluster: typeof createCluster6 }
/** What the tests use of a node-redis client (5 and 6 differ in their generic types, not in these). */
interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
  readonly isReady: boolean
  readonly isOpen: boolean
  destroy(): void
  listenerCount(event: string): number
}
interface NodeRedisCluster {
  sendCommand(key: string | undefined, readonly: boolean, args: string[]): Promise<unknown>
  readonly isOpen: boolean
  readonly masters: readonly object[]
  nodeClient(master: never): Promise<NodeRedisClient>
  destroy(): void
  listenerCount(event: string): number
}

function nodeRedisFactory(kind: ClientKind, lib: NodeRedisModule): ClientFactory {
  const wrapClient = (client: NodeRedisClient): TestClient => {
    const self: TestClient = {
      kind,
      client: client as unknown as AnyRedisClient,
      command: (args) => client.sendCommand([...args]),
      everyMaster: async (args) => {
        await client.sendCommand([...args])
      },
      async ready(timeoutMs = 5_000) {
        await poll(() => client.isReady, timeoutMs, kind)
        return self
      },
      isReady: () => client.isReady,
      errorListeners: () => client.listenerCount('error'),
      close: () => {
        if (client.isOpen) client.destroy()
      },
    }
    return self
  }
  const wrapCluster = (cluster: NodeRedisCluster): TestClient => {
    // node-redis 5 clusters have no isReady: usable once open with the masters known.
    const isReady = () =>
      (cluster as { isReady?: boolean }).isReady ?? (cluster.isOpen && cluster.masters.length > 0)
    const self: TestClient = {
      kind,
      client: cluster as unknown as AnyRedisClient,
      command: (args, key) => cluster.sendCommand(key, false, [...args]),
      async everyMaster(args) {
        await Promise.all(
          cluster.masters.map(async (master) =>
            (await cluster.nodeClient(master as never)).sendCommand([...args]),
          ),
        )
      },
      async ready(timeoutMs = 5_000) {
        await poll(isReady, timeoutMs, `${kind} cluster`)
        return self
      },
      isReady,
      errorListeners: () => cluster.listenerCount('error'),
      close: () => {
        if (cluster.isOpen) cluster.destroy()
      },
    }
    return self
  }
  return {
    kind,
    library: 'node-redis',
    single(options = {}) {
      const client = lib.createClient({
        url: urlOf(options),
        disableOfflineQueue: !(options.offlineQueue ?? false),
        socket: {
          connectTimeout: options.connectTimeoutMs ?? 500,
          reconnectStrategy: () => options.retryDelayMs ?? 50,
        },
      })
      client.on('error', () => {})
      if (!options.lazy) client.connect().catch(() => {})
      return wrapClient(client as unknown as NodeRedisClient)
    },
    cluster(nodes, options = {}) {
      const cluster = lib.createCluster({
        rootNodes: nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })),
        defaults: {
          disableOfflineQueue: !(options.offlineQueue ?? false),
          socket: { connectTimeout: 500, reconnectStrategy: () => 100 },
        },
        // node-redis 6: look the topology up again soon after a node starts reconnecting (default
        // 5 s), so a promoted replica is found (the README's advice). node-redis 5 has no such
        // option and ignores it.
        topologyRefreshOnReconnectionAttemptStrategy: 100,
      } as Parameters<typeof createCluster6>[0])
      cluster.on('error', () => {})
      cluster.connect().catch(() => {})
      return wrapCluster(cluster as unknown as NodeRedisCluster)
    },
  }
}

/** Every supported client library and major version. */
export const CLIENT_KINDS: readonly ClientFactory[] = [
  ioredisFactory('ioredis 5', { Redis: Redis5, Cluster: Cluster5 }),
  ioredisFactory('ioredis 6', { Redis: Redis6, Cluster: Cluster6 } as unknown as IoredisModule),
  nodeRedisFactory('node-redis 5', {
    createClient: createClient5,
    createCluster: createCluster5,
  } as unknown as NodeRedisModule),
  nodeRedisFactory('node-redis 6', { createClient: createClient6, createCluster: createCluster6 }),
]

/** The factory of one kind. */
export function clientKind(kind: ClientKind): ClientFactory {
  return CLIENT_KINDS.find((factory) => factory.kind === kind)!
}
