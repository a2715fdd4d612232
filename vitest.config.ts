import { defineConfig } from 'vitest/config'

export default defineConfig({
  // graphql 16 has no "exports": Vite would load index.mjs for our sources while @graphql-tools
  // (run by Node) loads index.js — two graphql realms ("Cannot use GraphQLObjectType from another
  // module or realm"). Node itself loads index.js for both, so the tests do the same.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: keep forks few so timing-sensitive tests are not starved.
    pool: 'forks',
    maxWorkers: 2,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
