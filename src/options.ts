/**
 * Temporary: `src/graphql/cost/budget-options.ts` still imports `resolveRule` from this path. Rule
 * resolution lives in `rules.ts`; delete this file once that import names `../../rules.js`.
 */
export { resolveRule } from './rules.js'
