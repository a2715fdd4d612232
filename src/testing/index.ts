/**
 * `resolver-rate-limit/testing`: the store contract suite, for vitest (an optional peer
 * dependency; only this entry imports it). Run it against your own `RateLimitStore` to hold it to
 * the cases `MemoryStore` and `RedisStore` pass, refunds included.
 * Each name is a decision, pinned by `test/exports.test.ts`.
 */
export {
  type ContractFactory,
  type ContractOptions,
  type ContractSubject,
  storeContract,
} from './store-contract.js'
