import { HeaderAccumulator, type HeaderOptions } from '../headers.js'
import { peerOf } from '../identity/peer.js'
import type { RequestLike } from '../identity/request.js'
import type { RateLimitDecision } from '../types.js'

/** A Node `ServerResponse` (standalone, Express, Next.js pages adapters), reduced to what is used. */
export interface NodeResponseLike {
  setHeader(name: string, value: string): unknown
  readonly headersSent?: boolean
}

/** A Fetch `Headers` (the fetch adapter's `resHeaders`), reduced to what is used. */
export interface HeadersLike {
  set(name: string, value: string): void
}

type Target = NodeResponseLike | HeadersLike

const isNodeResponse = (target: Target): target is NodeResponseLike =>
  typeof (target as NodeResponseLike).setHeader === 'function'

/**
 * The rate-limit headers of one HTTP response. Every limited call of the request adds its decision
 * and the merged headers are written at once, so a batch gets the most restrictive state of each
 * rule, never the last call's. Create it with {@link rateLimitContext}.
 */
export class RateLimitResponseHeaders {
  readonly #acc: HeaderAccumulator
  readonly #target: Target | undefined

  constructor(target: Target | undefined, options?: HeaderOptions) {
    this.#acc = new HeaderAccumulator(options)
    this.#target = target
  }

  /** Merges a decision and rewrites the headers. */
  add(decision: RateLimitDecision): void {
    this.#acc.add(decision)
    this.#write(this.#acc.headers())
  }

  /** Sets `Retry-After` for a refusal that has no decision (a failed check), unless one is set. */
  retryAfter(seconds: number): void {
    if (!this.#acc.refused) this.#write({ 'Retry-After': String(seconds) })
  }

  /** The merged header values so far (empty until a decision was added). */
  headers(): Record<string, string> {
    return this.#acc.headers()
  }

  #write(headers: Record<string, string>): void {
    const target = this.#target
    if (!target) return
    // `for…in` over the accumulator's plain record: no entry arrays on every limited call.
    if (isNodeResponse(target)) {
      // A streamed response (httpBatchStreamLink) may already be on the wire: headers are final.
      if (target.headersSent) return
      for (const name in headers) target.setHeader(name, headers[name]!)
    } else {
      for (const name in headers) target.set(name, headers[name]!)
    }
  }
}

/** What the adapters pass to `createContext`: the standalone/Express `res`, or the fetch `resHeaders`. */
export interface AdapterContextOptions<TRequest> {
  req?: TRequest
  res?: unknown
  resHeaders?: unknown
}

/** The part of the context that {@link rateLimitContext} provides. */
export interface RateLimitHttpContext<TRequest> {
  /** The request, for the default identify (client IP). */
  req: TRequest
  /** Collects the rate-limit headers of this request. */
  rateLimitHeaders: RateLimitResponseHeaders
}

function targetOf(opts: { res?: unknown; resHeaders?: unknown }): Target | undefined {
  const { res, resHeaders } = opts
  if (typeof (res as NodeResponseLike | undefined)?.setHeader === 'function') return res as NodeResponseLike
  if (typeof (resHeaders as HeadersLike | undefined)?.set === 'function') return resHeaders as HeadersLike
  return undefined
}

/**
 * Wires rate-limit headers (`RateLimit`, `RateLimit-Policy`, `Retry-After`) into a request's
 * context in one line. Works with the standalone, Express and Next.js adapters (`res`) and the
 * fetch adapter (`resHeaders`); keeps `req` for the default identify, and reads its peer address
 * now: a client that resets the connection before the procedure runs would take it along.
 *
 * @example
 * createHTTPServer({ router, createContext: (opts) => ({ ...rateLimitContext(opts), user: userOf(opts.req) }) })
 * fetchRequestHandler({ endpoint: '/trpc', req, router, createContext: (opts) => rateLimitContext(opts) })
 */
export function rateLimitContext<TRequest>(
  opts: AdapterContextOptions<TRequest>,
  options?: HeaderOptions,
): RateLimitHttpContext<TRequest> {
  peerOf(opts.req as RequestLike | undefined)
  return {
    req: opts.req as TRequest,
    rateLimitHeaders: new RateLimitResponseHeaders(targetOf(opts), options),
  }
}

/** Headers for contexts that carry `res`/`resHeaders` but were not built with `rateLimitContext`. */
const implicit = new WeakMap<object, RateLimitResponseHeaders>()

/**
 * The headers of the call's response: the context's `rateLimitHeaders`, else one per `res` or
 * `resHeaders` object (shared by the calls of a batch); `undefined` without HTTP (`createCaller`).
 */
export function responseHeadersOf(ctx: unknown): RateLimitResponseHeaders | undefined {
  if (typeof ctx !== 'object' || ctx === null) return undefined
  const own = (ctx as { rateLimitHeaders?: unknown }).rateLimitHeaders
  if (own instanceof RateLimitResponseHeaders) return own
  const target = targetOf(ctx)
  if (!target) return undefined
  let headers = implicit.get(target)
  if (!headers) {
    headers = new RateLimitResponseHeaders(target)
    implicit.set(target, headers)
  }
  return headers
}
