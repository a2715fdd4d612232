/**
 * `npm start` stops the demo when it is stopped: SIGTERM to the npm process (a supervisor, `kill`;
 * regression: it killed npm's shell and left the server running with its port open), and SIGINT or
 * SIGTERM to npm's process group (Ctrl-C in a terminal signals the whole foreground group). Linux:
 * the process tree is read from /proc.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { childEnv, ROOT } from './child.js'

/** Every live descendant of `pid`, from /proc/<pid>/stat. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (state !== 'Z') parents.set(Number(entry), Number(ppid))
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = []
  const pending = [pid]
  while (pending.length > 0) {
    const parent = pending.pop()!
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child)
        pending.push(child)
      }
    }
  }
  return found
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return check()
}

const CASES = [
  { signal: 'SIGTERM', to: 'the npm process' },
  { signal: 'SIGINT', to: 'the process group (Ctrl-C)' },
  { signal: 'SIGTERM', to: 'the process group' },
] as const

describe.each(CASES)('npm start, stopped with $signal sent to $to', ({ signal, to }) => {
  it('stops the demo server: the port is closed and no process of the tree is left', async () => {
    const { npm_lifecycle_event: _, ...env } = childEnv({ PORT: '0' })
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal's foreground job
    })
    let out = ''
    npm.stdout!.on('data', (chunk: Buffer) => {
      out += chunk
    })
    npm.stderr!.on('data', (chunk: Buffer) => {
      out += chunk
    })
    const tree: number[] = []
    try {
      expect(await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 30_000)).toBe(true)
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1])
      tree.push(...descendants(npm.pid!))
      expect(tree.length).toBeGreaterThan(0)
      expect(await portOpen(port)).toBe(true)

      process.kill(to === 'the npm process' ? npm.pid! : -npm.pid!, signal)
      expect(await until(async () => !(await portOpen(port)), 8_000)).toBe(true)
      expect(await until(() => tree.every((pid) => !alive(pid)), 8_000)).toBe(true)
      expect(out).toMatch(/closing the server, the limiter and the store\nclosed\n/)
    } finally {
      for (const pid of [npm.pid!, ...tree]) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  }, 60_000)
})
