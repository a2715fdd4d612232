import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root: examples run from there, as `npm start` does. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A TypeScript program run by Node through tsx, with its output collected. */
export interface Child {
  readonly process: ChildProcess
  /** stdout and stderr so far. */
  output(): string
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Resolves with the exit code (or the signal) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` and waits for the exit; kills it after `timeoutMs`. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** The environment without REDIS_URL (so a memory run stays one), plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const { REDIS_URL: _ignored, ...rest } = process.env
  return { ...rest, NODE_ENV: 'test', FORCE_COLOR: '0', ...env }
}

/** Runs `node --import tsx <file>` from the repository root. */
export function runTs(file: string, env: Record<string, string | undefined> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8')
    for (const listener of listeners) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let gone = false
  void exited.then(() => {
    gone = true
    for (const listener of listeners) listener()
  })

  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`timed out waiting for ${pattern}; output:\n${out}`)),
        timeoutMs,
      )
      const check = () => {
        const match = out.match(pattern)
        if (match) done(undefined, match)
        else if (gone) done(new Error(`exited before printing ${pattern}; output:\n${out}`))
      }
      const done = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer)
        listeners.delete(check)
        if (error) reject(error)
        else resolve(match!)
      }
      listeners.add(check)
      check()
    })

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 8_000) => {
    if (!gone) child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  return { process: child, output: () => out, waitFor, exited, stop }
}
