/**
 * Starts a private Redis Cluster for the cluster tests: three masters and three replicas, each a
 * `redis-server` on a free loopback port, joined with `redis-cli --cluster create`. Only the cluster
 * test files call it (in `beforeAll`), so other tests never pay for it. When REDIS_CLUSTER_NODES
 * is set (`host:port,host:port`), that cluster is used instead and never stopped or flushed.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { freePort, type RedisProcess, startRedisServer } from './redis-server.js'

const run = promisify(execFile)

export interface ClusterNode {
  host: string
  port: number
}

export interface RedisCluster {
  /** Startup nodes for an ioredis `Cluster`. */
  nodes: ClusterNode[]
  /** The processes, by port, when this helper started them (empty for REDIS_CLUSTER_NODES). */
  servers: Map<number, RedisProcess>
  /** True when the tests own the cluster and may kill or fail over its nodes. */
  owned: boolean
  stop(): Promise<void>
}

/** How long a master may be unreachable before its replica takes over. Short, so failover tests are quick. */
export const NODE_TIMEOUT_MS = 1_000

function parseNodes(spec: string): ClusterNode[] {
  return spec.split(',').map((entry) => {
    const [host = '127.0.0.1', port = ''] = entry.trim().split(':')
    return { host, port: Number(port) }
  })
}

/** One direct connection to a node, for CLUSTER commands. Callers must `disconnect()` it. */
export function nodeClient(node: ClusterNode): Redis {
  const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  return client
}

async function clusterInfo(node: ClusterNode): Promise<string> {
  const client = nodeClient(node)
  try {
    return String(await client.call('CLUSTER', 'INFO'))
  } catch {
    return ''
  } finally {
    client.disconnect()
  }
}

/** Waits until every given node reports `cluster_state:ok` and knows all slots. */
export async function waitForClusterOk(nodes: ClusterNode[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const infos = await Promise.all(nodes.map(clusterInfo))
    if (infos.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info))) return
    if (Date.now() > deadline)
      throw new Error(`Redis Cluster did not reach cluster_state:ok:\n${infos.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Starts one cluster-enabled node; its cluster bus uses a second free port. */
export async function startClusterNode(port?: number, busPort?: number): Promise<RedisProcess> {
  const bus = busPort ?? (await freePort())
  return startRedisServer(
    [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(NODE_TIMEOUT_MS),
      '--cluster-port',
      String(bus),
      '--cluster-replica-validity-factor',
      '0',
      // Replicas sync at once (the default waits 5 s for more replicas to share one transfer).
      '--repl-diskless-sync-delay',
      '0',
    ],
    port,
  )
}

/** Starts 3 masters + 3 replicas and waits until the cluster serves every slot. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const spec = process.env.REDIS_CLUSTER_NODES
  if (spec) return { nodes: parseNodes(spec), servers: new Map(), owned: false, stop: async () => {} }
  const started: RedisProcess[] = []
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()))
  }
  try {
    for (let i = 0; i < 6; i++) started.push(await startClusterNode())
    const addresses = started.map((server) => `127.0.0.1:${server.port}`)
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    )
    const nodes = started.map((server) => ({ host: '127.0.0.1', port: server.port }))
    await waitForClusterOk(nodes)
    await waitForReplicas(nodes)
    return { nodes, servers: new Map(started.map((s) => [s.port, s])), owned: true, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** An ioredis Cluster client configured the way the README recommends (no offline queue, quick retries). */
export function clusterClient(nodes: ClusterNode[]): Cluster {
  const cluster = new Cluster(nodes, {
    enableOfflineQueue: false,
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    slotsRefreshTimeout: 500,
    clusterRetryStrategy: () => 100,
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 500 },
  })
  // Tests own the client, so they listen for its errors (the library never adds listeners).
  cluster.on('error', () => {})
  cluster.on('node error', () => {})
  return cluster
}

/** Resolves once the Cluster client is ready. */
export async function clusterReady(cluster: Cluster): Promise<Cluster> {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve))
  return cluster
}

/** The masters as `CLUSTER NODES` sees them: port → node id and slot ranges. */
export async function masters(
  node: ClusterNode,
): Promise<Array<{ id: string; port: number; slots: string[] }>> {
  const client = nodeClient(node)
  try {
    const text = String(await client.call('CLUSTER', 'NODES'))
    return text
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter((parts) => parts[2]!.includes('master') && !parts[2]!.includes('fail'))
      .map((parts) => ({ id: parts[0]!, port: Number(parts[1]!.split(/[:@]/)[1]), slots: parts.slice(8) }))
      .filter((m) => m.slots.length > 0)
  } finally {
    client.disconnect()
  }
}

/** Replication of one node, from `INFO replication`. */
export async function replication(node: ClusterNode): Promise<Record<string, string>> {
  const client = nodeClient(node)
  try {
    const text = String(await client.info('replication'))
    return Object.fromEntries(
      text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [line.split(':', 2)] : [])),
    )
  } finally {
    client.disconnect()
  }
}

/** Waits until every replica's link to its master is up and it has caught up with the master's offset. */
export async function waitForReplicas(nodes: ClusterNode[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const infos = await Promise.all(nodes.map(replication))
    const offsets = new Map(nodes.map((node, i) => [node.port, Number(infos[i]!.master_repl_offset)]))
    const synced = infos.every(
      (info) =>
        info.role === 'master' ||
        (info.master_link_status === 'up' &&
          Number(info.slave_repl_offset) >= (offsets.get(Number(info.master_port)) ?? 0)),
    )
    if (synced) return
    if (Date.now() > deadline) throw new Error('Redis Cluster replicas did not catch up with their masters')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The replica (port) of the master on `masterPort`, from `CLUSTER NODES`. The node's view comes
 * by gossip and may lag an earlier failover, so it is read again for up to `timeoutMs`.
 */
export async function replicaOf(node: ClusterNode, masterPort: number, timeoutMs = 10_000): Promise<number> {
  const client = nodeClient(node)
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      const lines = String(await client.call('CLUSTER', 'NODES'))
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
      const master = lines.find((parts) => Number(parts[1]!.split(/[:@]/)[1]) === masterPort)
      const replica = lines.find((parts) => parts[3] === master?.[0] && parts[2]!.includes('slave'))
      if (replica) return Number(replica[1]!.split(/[:@]/)[1])
      if (Date.now() > deadline) throw new Error(`no replica of ${masterPort}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    client.disconnect()
  }
}
