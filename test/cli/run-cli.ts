import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** Wall time of the whole process, start-up included. */
  ms: number
  /** Milliseconds from the last output to the exit: what the process waited for after saying everything. */
  exitLagMs: number
}

/**
 * Runs the command line as a child process, the way an operator does (`node` on the entry file,
 * TypeScript through tsx). stdin is a pipe, closed at once: not a terminal. `withoutIoredis` runs
 * it as where ioredis is not installed.
 */
export function cli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { withoutIoredis?: boolean } = {},
): Promise<CliRun> {
  const started = performance.now()
  const merged = { ...process.env, REDIS_URL: undefined, ...env }
  // Without ioredis (as where only node-redis is installed): the command line uses node-redis.
  const hooks = options.withoutIoredis ? ['--import', './test/cli/without-ioredis.mjs'] : []
  const child = spawn(process.execPath, ['--import', 'tsx', ...hooks, 'src/cli/index.ts', ...args], {
    cwd: root,
    // An undefined value would reach the child as the string "undefined": leave such names out.
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  let lastOutput = started
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    lastOutput = performance.now()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    lastOutput = performance.now()
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      const now = performance.now()
      // 'close' waits for the pipes to drain: read the output once they have.
      child.on('close', () =>
        resolve({ code, stdout, stderr, ms: now - started, exitLagMs: now - lastOutput }),
      )
    })
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

/**
 * How long the command line takes to start and answer `--help` here and now (tsx transpiles it on
 * every start, which takes seconds on a loaded machine): time limits on a run are measured above it.
 */
export async function startupMs(options: { withoutIoredis?: boolean } = {}): Promise<number> {
  return (await cli(['--help'], {}, options)).ms
}
