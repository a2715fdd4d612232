import type { Caller, Identify } from './types.js'

/**
 * PROVISIONAL minimal chain (user → socket IP); the identity work replaces this file with the full
 * chain (API keys, trustProxy, IPv6 subnets).
 */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export function createIdentify(): Identify<any> {
  // biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
  return (ctx: any): Caller => {
    const userId = ctx?.user?.id ?? ctx?.userId
    if (userId !== undefined && userId !== null && userId !== '') return { id: `user:${userId}`, kind: 'user' }
    const address = ctx?.req?.socket?.remoteAddress
    return { id: `ip:${address ?? 'unknown'}`, kind: 'ip' }
  }
}
