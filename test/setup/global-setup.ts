import type { TestProject } from 'vitest/node'
import { type RedisProcess, startRedisServer } from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the tests use: a private server, or REDIS_URL. */
    redisUrl: string
  }
}

let server: RedisProcess | undefined

/** Starts a private redis-server (unless REDIS_URL is set) and hands its URL to the tests. */
export async function setup(project: TestProject): Promise<void> {
  const url = process.env.REDIS_URL
  if (url) {
    project.provide('redisUrl', url)
    return
  }
  server = await startRedisServer()
  project.provide('redisUrl', server.url)
}

export async function teardown(): Promise<void> {
  await server?.stop()
}
