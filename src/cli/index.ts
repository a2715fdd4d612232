#!/usr/bin/env node
/**
 * `npx resolver-rate-limit <command>`: look up and clear rate-limit usage in Redis.
 * Run with `--help` for the commands, options and exit codes.
 */
import { runCli } from './run.js'

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
})
