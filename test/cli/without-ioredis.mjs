// Loaded with `node --import` before the command line: resolving 'ioredis' (and whatever else
// RRL_TEST_MISSING lists, comma-separated) fails as it does where the package is not installed, so
// the command line falls back to node-redis (test/cli/cli-node-redis.test.ts).
import { register } from 'node:module'

const hooks = `
let missing = []
export function initialize(data) {
  missing = data.missing
}
export async function resolve(specifier, context, next) {
  if (missing.some((name) => specifier === name || specifier.startsWith(name + '/'))) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL)
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return next(specifier, context)
}
`
const missing = (process.env.RRL_TEST_MISSING ?? 'ioredis').split(',')
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { missing } })
