import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'graphql/index': 'src/graphql/index.ts', 'trpc/index': 'src/trpc/index.ts' },
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  // Peers stay external: a tRPC user never loads graphql, and the core never loads ioredis.
  external: ['graphql', '@graphql-tools/utils', '@trpc/server', 'ioredis'],
})
