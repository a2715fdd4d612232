/**
 * A raw graphql-transport-ws client for tests: one socket, acknowledged, that can subscribe to
 * `subscription { feed }`, complete a subscription, and be killed (`socket.terminate()`) the way a
 * client that vanishes without a close frame is.
 */
import { WebSocket } from 'ws'

export async function connectGraphQLWs(url: string) {
  const socket = new WebSocket(url, 'graphql-transport-ws')
  const messages: string[] = []
  const waiters: Array<() => void> = []
  socket.on('message', (data) => {
    messages.push(String(data))
    for (const wake of waiters.splice(0)) wake()
  })
  const until = async (match: (message: string) => boolean): Promise<string> => {
    for (;;) {
      const found = messages.find(match)
      if (found !== undefined) return found
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  socket.send(JSON.stringify({ type: 'connection_init' }))
  await until((m) => m.includes('"connection_ack"'))
  let next = 0
  /** Subscribes; resolves with the first message answering it (its data, or the refusal). */
  const subscribe = (): Promise<string> => {
    const id = `s${++next}`
    socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { feed }' } }))
    return until((m) => m.includes(`"id":"${id}"`))
  }
  const complete = (id: string) => socket.send(JSON.stringify({ id, type: 'complete' }))
  return { socket, subscribe, complete }
}
