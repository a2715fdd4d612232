import { ResolverRateLimitError } from '../errors.js'

/** Why `identify` refused to name a caller. */
export type IdentityErrorCode =
  | 'API_KEY_REQUIRED'
  | 'API_KEY_LOOKUP_FAILED'
  | 'API_KEY_MISCONFIGURED'
  | 'CLIENT_UNIDENTIFIED'

const STATUS = {
  API_KEY_REQUIRED: 401,
  API_KEY_LOOKUP_FAILED: 503,
  API_KEY_MISCONFIGURED: 403,
  CLIENT_UNIDENTIFIED: 400,
} as const

/**
 * Thrown by the default `identify` when a request must not be counted under any identity:
 * - `API_KEY_REQUIRED`: `requireApiKey` is set and the request has no user and no valid key
 *   (missing, malformed, unknown or revoked — the message never says which, nor shows the key);
 * - `API_KEY_LOOKUP_FAILED`: `requireApiKey` is set and the key lookup threw (`cause`);
 * - `API_KEY_MISCONFIGURED`: the lookup accepted the key but its record cannot work (a plan name
 *   no plan answers to, a bad owner or limits: `cause` says which, and it is logged); the key is
 *   refused until the record or the configuration is fixed;
 * - `CLIENT_UNIDENTIFIED`: no user, no key and no client address (a Fetch server without
 *   `getIp`, a closed socket), with `onUnknownClient: 'refuse'`.
 * Adapters answer it with {@link IdentityError.status} rather than a server error.
 */
export class IdentityError extends ResolverRateLimitError {
  declare readonly code: IdentityErrorCode
  /**
   * The HTTP status that fits: 401 (`API_KEY_REQUIRED`), 503 (`API_KEY_LOOKUP_FAILED`), 403
   * (`API_KEY_MISCONFIGURED`), 400 (`CLIENT_UNIDENTIFIED`).
   */
  readonly status: 400 | 401 | 403 | 503
  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'IdentityError'
    this.status = STATUS[code]
  }
}
