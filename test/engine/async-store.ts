/**
 * A store that answers the memory store's answers asynchronously, as a round trip would: the
 * blocked-caller cache learns only from such answers. Counts the calls that reached it.
 */
import { MemoryStore } from '../../src/index.js'
import type { RateLimitStore, StoreCall, StoreResult, StoreRule } from '../../src/types.js'

export class AsyncMemoryStore implements RateLimitStore {
  readonly kind = 'async-memory'
  readonly inner: MemoryStore
  /** Checks that reached the store (a consumeMany counts each of its calls). */
  checks = 0

  constructor(clock: () => number) {
    this.inner = new MemoryStore({ clock, sweepIntervalMs: 0 })
  }

  async consume(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    this.checks++
    return this.inner.consume(rules, cost)
  }

  async peek(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    this.checks++
    return this.inner.peek(rules, cost)
  }

  async consumeMany(calls: readonly StoreCall[]): Promise<StoreResult[]> {
    this.checks += calls.length
    return this.inner.consumeMany(calls)
  }

  async refund(rules: readonly StoreRule[], cost: number): Promise<StoreResult> {
    return this.inner.refund(rules, cost)
  }

  async reset(keys: readonly string[]): Promise<void> {
    this.inner.reset(keys)
  }
}
