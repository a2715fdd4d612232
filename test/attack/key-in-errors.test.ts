/**
 * "API keys never appear in identities, errors or logs": a failing lookup's error is redacted, but
 * only its own message and stack. Database drivers and wrappers usually nest the detail one level
 * down (`new Error('query failed', { cause })`), and that nested cause — kept verbatim — is what
 * an app's error logger prints (Node's inspect shows the whole `[cause]` chain).
 */
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createIdentify, IdentityError } from '../../src/index.js'

const KEY = 'sk_live_the-secret-key-0123456789abcdef'

describe('a failing API-key lookup', () => {
  it('never carries the key in the error it rejects with, however deeply the cause nests it', async () => {
    const identify = createIdentify({
      requireApiKey: true,
      logger: false,
      apiKeys: {
        lookup: (key) => {
          const driver = new Error(`invalid input syntax for type uuid: "${key}"`)
          throw new Error('api_keys lookup failed', { cause: driver })
        },
      },
    })
    const request = { req: { headers: { 'x-api-key': KEY }, socket: { remoteAddress: '203.0.113.9' } } }
    const error = await Promise.resolve(identify(request)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IdentityError)
    expect((error as IdentityError).code).toBe('API_KEY_LOOKUP_FAILED')
    // What `console.error(error)` (or pino's err serializer with causes) writes to the log:
    expect(inspect(error, { depth: 10 })).not.toContain(KEY)
  })
})
