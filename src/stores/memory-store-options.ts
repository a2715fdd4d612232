/** The options of `MemoryStore` (their own module: the store's file is full). */

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most keys (identity × rule) kept; past it the least recently used key is dropped. This bounds
   * memory when an attacker sprays unique identities.
   * @default 100_000
   */
  maxKeys?: number
  /**
   * The clock, in milliseconds. Inject one in tests instead of sleeping. The default is monotonic
   * (`performance.now()` anchored at the process start): setting the wall clock
   * back or forward neither extends nor shortens a window. Should an injected clock step back, the
   * store carries on from the latest time it saw, so a block never outlasts its window.
   * @default performance.timeOrigin + performance.now()
   */
  clock?: () => number
  /**
   * How often expired keys are swept, in milliseconds (an `unref`'d timer; `0` disables it —
   * expired keys are also dropped whenever they are touched).
   * @default 60_000
   */
  sweepIntervalMs?: number
}
