/**
 * The structural client types accept each library's own client types, as users write them (no
 * casts): ioredis 5/6 `Redis` and `Cluster`, node-redis 5/6 `createClient()` and `createCluster()`,
 * with RESP 2 or 3 and modules. The runtime tests cast once in test/setup/redis-clients.ts, so
 * these are what pins the types.
 */
import type { Cluster, Redis } from 'ioredis'
import type { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6'
import { createClient, createCluster } from 'redis'
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5'
import { describe, expectTypeOf, it } from 'vitest'
import type { RedisApiKeysClientLike, RedisClientLike } from '../../src/index.js'

describe('RedisClientLike and RedisApiKeysClientLike', () => {
  it('accept ioredis 5 and 6 Redis and Cluster', () => {
    expectTypeOf<Redis>().toExtend<RedisClientLike>()
    expectTypeOf<Cluster>().toExtend<RedisClientLike>()
    expectTypeOf<Redis6>().toExtend<RedisClientLike>()
    expectTypeOf<Cluster6>().toExtend<RedisClientLike>()
    expectTypeOf<Redis>().toExtend<RedisApiKeysClientLike>()
    expectTypeOf<Cluster6>().toExtend<RedisApiKeysClientLike>()
  })

  it('accept node-redis 6 clients and clusters, RESP 2 and 3, connected or not', async () => {
    const client = createClient({ url: 'redis://localhost:6379', disableOfflineQueue: true })
    expectTypeOf(client).toExtend<RedisClientLike>()
    expectTypeOf(client).toExtend<RedisApiKeysClientLike>()
    expectTypeOf(await client.connect()).toExtend<RedisClientLike>()
    expectTypeOf(createClient({ RESP: 2 })).toExtend<RedisClientLike>()
    const cluster = createCluster({ rootNodes: [], defaults: { disableOfflineQueue: true } })
    expectTypeOf(cluster).toExtend<RedisClientLike>()
    expectTypeOf(cluster).toExtend<RedisApiKeysClientLike>()
  })

  it('accept node-redis 5 clients and clusters', () => {
    expectTypeOf(createClient5()).toExtend<RedisClientLike>()
    expectTypeOf(createClient5({ RESP: 3 })).toExtend<RedisApiKeysClientLike>()
    expectTypeOf(createCluster5({ rootNodes: [] })).toExtend<RedisClientLike>()
    expectTypeOf(createCluster5({ rootNodes: [] })).toExtend<RedisApiKeysClientLike>()
  })

  it('refuse what is neither', () => {
    expectTypeOf<{ get(key: string): Promise<string> }>().not.toExtend<RedisClientLike>()
    expectTypeOf<{ evalSha(): void }>().not.toExtend<RedisClientLike>()
  })
})
