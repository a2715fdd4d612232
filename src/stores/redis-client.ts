/**
 * Which Redis clients `RedisStore` accepts, and how it recognises each: by shape, never by import,
 * so a user of the memory store needs no Redis library and a user of one library never loads the
 * other.
 */
import { type IoredisClientLike, ioredisPort, isIoredis } from './ioredis-port.js'
import { isNodeRedis, type NodeRedisClientLike, nodeRedisPort } from './node-redis-port.js'
import type { RedisPort } from './redis-port.js'

export type { IoredisClientLike } from './ioredis-port.js'
export type { NodeRedisClientLike, NodeRedisScriptOptions } from './node-redis-port.js'

/**
 * A Redis client the store can use: an ioredis 5 or 6 `Redis` or `Cluster`
 * ({@link IoredisClientLike}), or a node-redis 5 or 6 `createClient()` or `createCluster()`
 * client ({@link NodeRedisClientLike}). Anything with one of these shapes (a wrapper, a proxy) fits.
 */
export type RedisClientLike = IoredisClientLike | NodeRedisClientLike

/**
 * The port over `client`, or undefined when it has neither shape. ioredis is tested first: its
 * `evalsha` is lower-case, node-redis has only `evalSha`.
 */
export function toRedisPort(client: unknown): RedisPort | undefined {
  if (typeof client !== 'object' || client === null) return undefined
  if (isIoredis(client)) return ioredisPort(client)
  if (isNodeRedis(client)) return nodeRedisPort(client)
  return undefined
}
