import { identifyNow } from '../identity/caller.js'
import { IdentityError } from '../identity/identity-error.js'
import type { Caller, Identify } from '../identity/types.js'
import { identityGraphQLError } from './errors.js'

/**
 * Identifies the caller, without a promise when `identify` answers synchronously. An
 * `IdentityError` (API key required, client unidentified, key lookup failed) becomes a
 * `GraphQLError` with its code and HTTP status, so error masking keeps it and yoga answers 401,
 * 400 or 503 instead of a masked server error. Other errors propagate unchanged.
 */
export function identifyCaller(identify: Identify, context: unknown): Caller | Promise<Caller> {
  let caller: Caller | Promise<Caller>
  try {
    caller = identifyNow(identify, context)
  } catch (error) {
    throw asGraphQLError(error)
  }
  return caller instanceof Promise
    ? caller.catch((error: unknown) => {
        throw asGraphQLError(error)
      })
    : caller
}

function asGraphQLError(error: unknown): unknown {
  return error instanceof IdentityError ? identityGraphQLError(error) : error
}
