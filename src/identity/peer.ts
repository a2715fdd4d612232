/**
 * The peer of a request's connection: its address, a Unix domain socket, or unknown.
 *
 * `socket.remoteAddress` is read from the operating system (getpeername) and is `undefined` both
 * for a Unix domain socket and for a TCP connection the client has already reset — even at
 * accept time when the reset came first. Only the first may be trusted as a local proxy, so a
 * missing address counts as a Unix socket only with proof: the server that accepted the
 * connection listens on a path (`server.address()` is then a string, as Node documents).
 */
import type { RequestLike } from './request.js'

/** The peer of a connection accepted on a Unix domain socket: a local process, with no address. */
export const UNIX_SOCKET: unique symbol = Symbol('unix socket')

/** A connection's peer: its address as the socket reports it, {@link UNIX_SOCKET}, or unknown. */
export type Peer = string | typeof UNIX_SOCKET | undefined

/** The socket fields read; `server` is the `net.Server` that accepted the connection. */
export interface SocketLike {
  readonly remoteAddress?: string | undefined
  readonly server?: { address?(): unknown } | null
}

/** Peers read so far, by socket: a keep-alive connection is read once, and a later reset loses nothing. */
const peers = new WeakMap<object, typeof UNIX_SOCKET | string>()

function listensOnPath(socket: SocketLike): boolean {
  try {
    return typeof socket.server?.address?.() === 'string'
  } catch {
    return false // a closed server handle, an HTTP/2 socket proxy: no proof
  }
}

function readPeer(socket: SocketLike): Peer {
  try {
    const address = socket.remoteAddress
    if (typeof address === 'string') return address
  } catch {
    // Some socket proxies throw on unknown properties: treat as unknown.
  }
  return listensOnPath(socket) ? UNIX_SOCKET : undefined
}

/**
 * The peer of the request's connection, remembered per socket once known. Call it as early as the
 * server allows (when the request arrives, when the context is built): a peer read before the
 * client resets the connection stays known after. `undefined` for Fetch requests (no socket) and
 * for sockets whose address is lost; never a guess.
 */
export function peerOf(request: RequestLike | undefined): Peer {
  const socket = request?.socket
  if (typeof socket !== 'object' || socket === null) return undefined
  const known = peers.get(socket)
  if (known !== undefined) return known
  const peer = readPeer(socket)
  if (peer !== undefined) peers.set(socket, peer)
  return peer
}
