/**
 * A store whose health the test switches by hand, for engine logic that does not depend on Redis
 * (breaker counting, events, logging). It wraps a real MemoryStore: when `up` it answers as that
 * store does; when `fail` it rejects at once; when `hang` it answers only after `hangMs`
 * (rejecting then, as a hung connection that finally drops would). Redis behaviour itself is
 * tested against a real redis-server in the other files of this folder.
 */
import { MemoryStore } from '../../src/index.js'
import type { RateLimitStore, StoreResult, StoreRule } from '../../src/types.js'

export type Health = 'up' | 'fail' | 'hang'

export class SwitchableStore implements RateLimitStore {
  readonly kind = 'switchable'
  health: Health = 'up'
  /** How long a hung call waits before it rejects (after the limiter's deadline, on purpose). */
  hangMs = 300
  calls = 0
  pings = 0
  readonly inner = new MemoryStore({ sweepIntervalMs: 0 })

  consume(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#answer(() => this.inner.consume(rules, cost))
  }

  peek(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.#answer(() => this.inner.peek(rules, cost))
  }

  reset(keys: readonly string[]): Promise<void> {
    return this.#answer(() => this.inner.reset(keys))
  }

  ping(): Promise<void> {
    this.pings++
    return this.#answer(() => undefined, false)
  }

  #answer<T>(value: () => T, count = true): Promise<T> {
    if (count) this.calls++
    if (this.health === 'up') return Promise.resolve(value())
    if (this.health === 'fail') return Promise.reject(new Error('ECONNREFUSED (switchable store is failing)'))
    return new Promise((_, reject) =>
      setTimeout(() => reject(new Error('hung call finally dropped')), this.hangMs),
    )
  }
}

/** Collects what the limiter logs. */
export function recordingLogger() {
  const lines: string[] = []
  return {
    lines,
    warn: (message: string) => {
      lines.push(message)
    },
    error: (message: string) => {
      lines.push(message)
    },
  }
}

/** Collects unhandled rejections while installed; call `stop()` to remove the listener. */
export function watchUnhandledRejections() {
  const seen: unknown[] = []
  const listener = (reason: unknown) => {
    seen.push(reason)
  }
  process.on('unhandledRejection', listener)
  return {
    seen,
    stop: () => {
      process.off('unhandledRejection', listener)
    },
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every few ms until it returns true; returns the elapsed milliseconds. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  everyMs = 5,
): Promise<number> {
  const started = performance.now()
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(everyMs)
  }
  return performance.now() - started
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
