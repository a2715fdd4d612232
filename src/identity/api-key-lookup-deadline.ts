/**
 * The bound on how long a request waits for the API-key lookup (`apiKeys.lookupTimeoutMs`), and
 * the error a lookup that failed, or did not answer in time, rejects with. The key never shows in
 * it: only the first characters of its digest.
 */

import { IdentityError } from './identity-error.js'
import type { Caller } from './types.js'

/** `IdentityError('API_KEY_LOOKUP_FAILED')` for the key of `keyDigest`, with its (redacted) `cause`. */
export function lookupFailed(keyDigest: string, cause: unknown): IdentityError {
  const message = `The API key lookup failed for key ${keyDigest.slice(0, 8)}…`
  return new IdentityError('API_KEY_LOOKUP_FAILED', message, { cause })
}

/** The shared lookup as one request sees it: failed once `ms` have passed without an answer. */
export function withDeadline(
  lookup: Promise<Caller | null>,
  keyDigest: string,
  ms: number,
): Promise<Caller | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const cause = new Error(
        `The API key lookup did not answer within ${ms} ms (\`apiKeys.lookupTimeoutMs\`)`,
      )
      reject(lookupFailed(keyDigest, cause))
    }, ms)
    // A request is waiting on it anyway; the timer alone must not keep a process alive.
    timer.unref?.()
    lookup.then(
      (caller) => {
        clearTimeout(timer)
        resolve(caller)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
