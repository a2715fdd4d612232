import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** Wall time of the whole process, start-up included. */
  ms: number
}

/**
 * Runs the command line as a child process, the way an operator does (`node` on the entry file,
 * TypeScript through tsx). stdin is a pipe, closed at once: not a terminal.
 */
export function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const started = performance.now()
  const merged = { ...process.env, REDIS_URL: undefined, ...env }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: root,
    // An undefined value would reach the child as the string "undefined": leave such names out.
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }))
  })
}

/** Parses the JSON a `--json` run printed, with the run's stderr in the error when it is not JSON. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`)
  }
}
