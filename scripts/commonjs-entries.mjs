/**
 * Runs after tsup (`npm run build`): gives every entry of package.json `exports` a CommonJS face
 * without a second copy of the code.
 *
 * - `dist/<entry>.cjs`: a one-line CommonJS module that `require()`s the ES module next to it. Node
 *   ≥ 20.19 (and 22.12) loads ES modules with `require()` when they have no top-level await (ours
 *   have none), so `require('resolver-rate-limit')` and `import` share one module instance: one
 *   `ResolverRateLimitError` class for `instanceof`, one set of module state. A real CommonJS build would
 *   be a second copy of everything (the dual-package hazard).
 * - `dist/**∕*.d.cts`: the declarations again, read by TypeScript as CommonJS (`node16`/`nodenext`
 *   in a CommonJS project), with relative imports renamed to `.cjs` so they stay in CommonJS. Their
 *   imports of peers (`@trpc/server`, `graphql`) then resolve to the peers' CommonJS declarations,
 *   the same files the user's own code sees: a tRPC middleware typed against `.d.mts` would not
 *   be the same type as the user's `initTRPC` from `.d.cts`.
 *
 *   node scripts/commonjs-entries.mjs
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** `from './x.js'`, `import('../y.js')` → `.cjs`: TypeScript maps it to `x.d.cts`. */
const RELATIVE_JS = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\.js\2/g

function declarations(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return declarations(path)
    return entry.name.endsWith('.d.ts') ? [path] : []
  })
}

let typings = 0
for (const file of declarations(dist)) {
  const text = readFileSync(file, 'utf8').replace(RELATIVE_JS, '$1$2$3.cjs$2')
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text)
  typings++
}

const shim = (esm, subpath) => `'use strict'
// CommonJS entry of resolver-rate-limit${subpath === '.' ? '' : subpath.slice(1)}: the ES module
// itself, loaded by require() (Node >= 20.19), so require and import share one copy of the code.
try {
  module.exports = require('./${esm}')
} catch (error) {
  if (error && error.code === 'ERR_REQUIRE_ESM') {
    throw new Error(
      'resolver-rate-limit: require() needs Node >= 20.19 (it loads the package\\'s ES modules); ' +
        'use import, or upgrade Node',
      { cause: error },
    )
  }
  throw error
}
`

let entries = 0
for (const [subpath, target] of Object.entries(pkg.exports)) {
  const cjs = target?.require?.default
  const esm = target?.import?.default
  if (!cjs || !esm) continue
  if (dirname(cjs) !== dirname(esm))
    throw new Error(`${subpath}: the .cjs entry must sit next to the .js one`)
  writeFileSync(join(root, cjs), shim(basename(esm), subpath))
  entries++
}

console.log(
  `commonjs-entries: ${entries} CommonJS entries, ${typings} .d.cts files in ${relative(root, dist)}/`,
)
