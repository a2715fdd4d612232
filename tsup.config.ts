import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'graphql/index': 'src/graphql/index.ts',
    'trpc/index': 'src/trpc/index.ts',
    'apollo/index': 'src/apollo/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'testing/index': 'src/testing/index.ts',
    // The CLI keeps its `#!/usr/bin/env node` line (esbuild preserves an entry's hashbang).
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  // No source maps in the package: dist is unminified ESM (names and file structure kept), so stack
  // traces already point at readable code, and the maps (each carrying a copy of the sources) were
  // half of it: 784 kB of 1.5 MB unpacked, 424 kB packed → 215 kB without them. Step through the
  // TypeScript from a clone instead.
  sourcemap: false,
  splitting: true,
  // Peers stay external: a tRPC user never loads graphql, the core never loads a Redis client (the
  // command line loads ioredis, else redis, when it runs), `resolver-rate-limit/apollo` imports
  // nothing from @apollo/server (its types are structural), and only
  // `resolver-rate-limit/metrics` refers to prom-client / @opentelemetry/api, and only
  // `resolver-rate-limit/testing` to vitest.
  external: [
    'graphql',
    '@graphql-tools/utils',
    '@trpc/server',
    'ioredis',
    'redis',
    'prom-client',
    '@opentelemetry/api',
    'vitest',
  ],
})
