#!/usr/bin/env node
/**
 * The plain measures of the code: source files over a number of lines, functions over a number of
 * lines (a function's span, from its first line to its closing brace, comments included).
 *
 *   node scripts/code-size.mjs                 src/: files over 250 lines, functions over 50
 *   node scripts/code-size.mjs --files 200 --functions 40 src test
 *
 * `test/code-size.test.ts` runs the same measure and fails on anything over the limits that its
 * list of known exceptions does not name. Uses the TypeScript compiler (a dev dependency) to find
 * functions; no other dependency.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FILE_LINES = 250
export const FUNCTION_LINES = 50

/** Every `.ts` file under `dir` (relative to the repository root), sorted. */
export function sourceFiles(dir = 'src', root = ROOT) {
  const out = []
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) out.push(relative(root, path))
    }
  }
  walk(join(root, dir))
  return out.sort()
}

/** Lines of a file (a final newline does not start a line). */
export function lineCount(text) {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length
}

/** The functions of a file longer than `limit` lines: `{ name, line, lines }`. */
export function longFunctions(path, text, limit = FUNCTION_LINES) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const found = []
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const last = source.getLineAndCharacterOfPosition(node.end).line
      if (last - first + 1 > limit)
        found.push({ name: functionName(node), line: first + 1, lines: last - first + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function functionName(node) {
  if (node.name) return node.name.getText()
  const parent = node.parent
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText()
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText()
  return '(anonymous)'
}

/** Files over `fileLimit` lines and functions over `functionLimit` lines under the given folders. */
export function measure(dirs = ['src'], fileLimit = FILE_LINES, functionLimit = FUNCTION_LINES, root = ROOT) {
  const files = []
  const functions = []
  for (const dir of dirs) {
    for (const path of sourceFiles(dir, root)) {
      const text = readFileSync(join(root, path), 'utf8')
      const lines = lineCount(text)
      if (lines > fileLimit) files.push({ path, lines })
      for (const f of longFunctions(path, text, functionLimit)) functions.push({ path, ...f })
    }
  }
  return { files, functions }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const option = (name, fallback) => {
    const at = args.indexOf(name)
    return at < 0 ? fallback : Number(args.splice(at, 2)[1])
  }
  const fileLimit = option('--files', FILE_LINES)
  const functionLimit = option('--functions', FUNCTION_LINES)
  const { files, functions } = measure(args.length > 0 ? args : ['src'], fileLimit, functionLimit)
  console.log(`Files over ${fileLimit} lines: ${files.length}`)
  for (const f of files) console.log(`  ${f.lines}  ${f.path}`)
  console.log(`Functions over ${functionLimit} lines: ${functions.length}`)
  for (const f of functions) console.log(`  ${f.lines}  ${f.path}:${f.line}  ${f.name}`)
}
