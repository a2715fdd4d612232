/**
 * The command line's connection through node-redis (`redis` 5 or 6), used when ioredis is not
 * installed (see `connect.ts`): no reconnection, so a lost connection fails the command, and every
 * command the CLI sends itself has the deadline (the limiter's own calls have theirs).
 */
import type { RedisClientLike } from '../stores/redis-client.js'
import {
  type CliRedis,
  type Connection,
  clusterNodeError,
  type ScanNode,
  type Target,
  targetLabel,
  unreachable,
  withTimeout,
} from './connect.js'

/** What the CLI uses of a node-redis client or cluster (its command methods, camel-case). */
interface NodeRedisCommands {
  get(key: string): Promise<string | null>
  type(key: string): Promise<string>
  pTTL(key: string): Promise<number>
  lLen(key: string): Promise<number>
  zCard(key: string): Promise<number>
  exists(keys: string[]): Promise<number>
  del(keys: string[]): Promise<number>
  ping(): Promise<unknown>
  connect(): Promise<unknown>
  destroy(): void
  on(event: 'error', listener: (error: Error) => void): unknown
}
interface NodeRedisClient extends NodeRedisCommands {
  info(section: string): Promise<string>
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string | number; keys: string[] }>
}
interface NodeRedisCluster extends NodeRedisCommands {
  readonly masters: readonly unknown[]
  nodeClient(master: unknown): Promise<NodeRedisClient> | NodeRedisClient
}
type NodeRedis = { createClient(options: object): unknown; createCluster(options: object): unknown }

const scanNode = (node: () => Promise<NodeRedisClient> | NodeRedisClient, timeoutMs: number): ScanNode => ({
  async scan(cursor, pattern, count) {
    const reply = await withTimeout(
      (await node()).scan(cursor, { MATCH: pattern, COUNT: count }),
      timeoutMs,
      'SCAN',
    )
    return [String(reply.cursor), reply.keys]
  },
})

/** The ioredis-named commands over node-redis, each with the deadline. */
function commands(client: NodeRedisCommands, timeoutMs: number): CliRedis {
  const timed = <T>(pending: Promise<T>, what: string) => withTimeout(pending, timeoutMs, what)
  return {
    get: (key) => timed(client.get(key), 'GET'),
    type: (key) => timed(client.type(key), 'TYPE'),
    pttl: (key) => timed(client.pTTL(key), 'PTTL'),
    llen: (key) => timed(client.lLen(key), 'LLEN'),
    zcard: (key) => timed(client.zCard(key), 'ZCARD'),
    exists: (key) => timed(client.exists([key]), 'EXISTS'),
    del: (...keys) => timed(client.del(keys), 'DEL'),
  }
}

/** Connects with node-redis; see {@link connect} in `connect.ts`. */
export async function connectNodeRedis(
  lib: NodeRedis,
  target: Target,
  timeoutMs: number,
): Promise<Connection> {
  const client = createClient(lib, target, timeoutMs)
  const label = targetLabel(target)
  const close = () => {
    try {
      client.destroy()
    } catch {
      // already closed by a failed connect
    }
  }
  await verify(client, target, label, timeoutMs, close)
  return {
    client: commands(client, timeoutMs),
    storeClient: client as unknown as RedisClientLike,
    label,
    masters: mastersOf(client, target, timeoutMs),
    close,
  }
}

/** A client or cluster (not yet connected) that never reconnects. */
function createClient(lib: NodeRedis, target: Target, timeoutMs: number): NodeRedisClient | NodeRedisCluster {
  const socket = { connectTimeout: timeoutMs, reconnectStrategy: false }
  return (
    target.kind === 'redis'
      ? lib.createClient({ url: target.url, socket })
      : lib.createCluster({
          rootNodes: target.nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })),
          defaults: { socket },
        })
  ) as NodeRedisClient | NodeRedisCluster
}

/** Connects, PINGs and checks the target is what it says; on failure closes and throws the `CliError`. */
async function verify(
  client: NodeRedisClient | NodeRedisCluster,
  target: Target,
  label: string,
  timeoutMs: number,
  close: () => void,
): Promise<void> {
  let lastError: Error | undefined
  client.on('error', (error) => {
    lastError = error
  })
  try {
    await withTimeout(client.connect(), timeoutMs, 'connect')
    await withTimeout(client.ping(), timeoutMs, 'PING')
  } catch (error) {
    close()
    throw unreachable(label, lastError?.message ?? (error as Error).message, timeoutMs)
  }
  if (target.kind === 'redis' && (await isClusterNode(client as NodeRedisClient, timeoutMs))) {
    close()
    throw clusterNodeError(label)
  }
}

/** `masters` of the connection: the client itself, or each master of the cluster. */
function mastersOf(
  client: NodeRedisClient | NodeRedisCluster,
  target: Target,
  timeoutMs: number,
): Connection['masters'] {
  if (target.kind === 'redis') return () => [scanNode(() => client as NodeRedisClient, timeoutMs)]
  const cluster = client as NodeRedisCluster
  return () => cluster.masters.map((master) => scanNode(() => cluster.nodeClient(master), timeoutMs))
}

async function isClusterNode(client: NodeRedisClient, timeoutMs: number): Promise<boolean> {
  try {
    return /cluster_enabled:1/.test(await withTimeout(client.info('cluster'), timeoutMs, 'INFO'))
  } catch {
    return false // INFO may be renamed or disabled on managed Redis
  }
}
