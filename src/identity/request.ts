/**
 * Reads headers and finds the request in a context, whatever the server put there:
 * - `ctx.req`: a Node `IncomingMessage` (graphql-yoga on `node:http`, tRPC standalone and
 *   Express adapters) or a Fetch `Request` (tRPC fetch adapter);
 * - `ctx.request`: a Fetch `Request` (graphql-yoga) or a Node-style request;
 * - `ctx.extra.request`: the upgrade request of a graphql-ws WebSocket connection.
 * Only the shapes are used (`headers`, `socket`), so no server library is imported. The peer
 * address is read by `peer.ts`.
 */
import type { SocketLike } from './peer.js'

/** Node's `IncomingHttpHeaders`, or anything shaped like it. */
type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>

/** The Fetch `Headers` methods used. */
interface HeadersGetter {
  get(name: string): string | null
}

/** A Node `IncomingMessage` or Fetch `Request`, as far as identity needs one. */
export interface RequestLike {
  readonly headers?: HeaderRecord | HeadersGetter
  readonly socket?: SocketLike | null
}

function isRequestLike(value: unknown): value is RequestLike {
  return typeof value === 'object' && value !== null && typeof (value as RequestLike).headers === 'object'
}

/** The request inside a context, or the context itself when it is a request. */
export function requestOf(ctx: unknown): RequestLike | undefined {
  if (typeof ctx !== 'object' || ctx === null) return undefined
  const c = ctx as { req?: unknown; request?: unknown; extra?: { request?: unknown } }
  if (isRequestLike(c.req)) return c.req
  if (isRequestLike(c.request)) return c.request
  if (isRequestLike(c.extra?.request)) return c.extra.request
  return isRequestLike(ctx) ? ctx : undefined
}

/**
 * One header's value (`name` in lower case); repeated headers are joined with `, ` as Node and
 * Fetch do. `undefined` when absent. Never cut to a length here: what a reader may believe of a
 * long value is the reader's rule (a proxy header is read by its right end, where trusted proxies
 * append; dropping a long one whole would let the client choose the proxy's bucket), and the
 * server already bounds a request's headers.
 */
export function headerOf(request: RequestLike | undefined, name: string): string | undefined {
  const headers = request?.headers
  if (!headers) return undefined
  let value: unknown
  if (typeof (headers as HeadersGetter).get === 'function') value = (headers as HeadersGetter).get(name)
  else value = (headers as HeaderRecord)[name]
  if (Array.isArray(value)) value = value.join(', ')
  return typeof value === 'string' ? value : undefined
}
