import { readFileSync } from 'node:fs'

/**
 * Tiny shared benchmark harness. Every `bench/*.bench.ts` module exports
 *
 *   export default async function (ctx: BenchContext): Promise<void>
 *
 * and prints its own table; `bench/index.ts` runs them in alphabetical order on one private Redis.
 *
 * Comparing two libraries fairly on a shared machine needs the same load and the same noise, so
 * {@link compare} runs the contenders in ALTERNATING rounds (ours, theirs, ours, theirs, …), keeps
 * the median of each and prints the ratio. {@link measureThroughput} keeps `inFlight` calls running
 * (a new call starts as soon as one settles) for `durationMs` and returns calls per second;
 * {@link measure} also returns the CPU time per call (this process, plus another one's — a local
 * redis-server's — by pid), which other processes on a busy machine disturb far less than wall time.
 *
 * @example
 * import { compare, type BenchContext } from './harness.js'
 * export default async function (ctx: BenchContext) {
 *   await compare('in memory', { ours: (i) => ours.consume(`k${i % 1000}`, rule), theirs: (i) => theirs.consume(`k${i % 1000}`) }, ctx)
 * }
 */

/** What `bench/index.ts` hands to every bench module. */
export interface BenchContext {
  /** A Redis the module may use (a private server, or REDIS_URL). Isolate with a unique key prefix. */
  redisUrl: string
  /** `--quick` / `BENCH_QUICK=1`: shorter rounds, fewer of them (a smoke run, not a measurement). */
  quick: boolean
  /** The pid of the private redis-server (absent with REDIS_URL): lets a module count Redis CPU too. */
  redisPid?: number
}

/** One operation under test; `i` counts calls from 0 (use it to spread keys). Rejections are counted, not thrown. */
export type BenchFn = (i: number) => Promise<unknown>

export interface ThroughputOptions {
  /** Calls kept in flight. @default 64 */
  inFlight?: number
  /** Length of the measurement in milliseconds. @default 1000 */
  durationMs?: number
  /** Also count this process's CPU time (e.g. a local redis-server's) in {@link Throughput.cpuPerCall}. */
  pid?: number
}

/** One measurement: wall-clock calls per second, and the CPU time each call cost. */
export interface Throughput {
  perSecond: number
  /** CPU microseconds per call: this process, plus `pid`'s when given. */
  cpuPerCall: number
}

/** CPU microseconds a process has used, from /proc (Linux); 0 elsewhere. */
function processCpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS
  } catch {
    return 0
  }
}
/** Linux reports process times in clock ticks of 1/100 s. */
const CLOCK_TICKS = 100

/**
 * Runs `fn` with `inFlight` concurrent callers for `durationMs`; returns settled calls per second
 * (see {@link measure} for the CPU cost too).
 */
export async function measureThroughput(fn: BenchFn, options: ThroughputOptions = {}): Promise<number> {
  return (await measure(fn, options)).perSecond
}

/** Like {@link measureThroughput}, with the CPU time per call (stable on a busy machine, unlike wall time). */
export async function measure(fn: BenchFn, options: ThroughputOptions = {}): Promise<Throughput> {
  const { inFlight = 64, durationMs = 1000, pid } = options
  let next = 0
  let done = 0
  const cpuBefore = process.cpuUsage()
  const otherBefore = pid === undefined ? 0 : processCpuUs(pid)
  const started = performance.now()
  const end = started + durationMs
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      try {
        await fn(next++)
      } catch {
        // rate-limiter-flexible rejects refused calls: a refusal is a completed call
      }
      done++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const elapsed = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const other = pid === undefined ? 0 : processCpuUs(pid) - otherBefore
  return { perSecond: done / elapsed, cpuPerCall: (cpu.user + cpu.system + other) / Math.max(1, done) }
}

export interface CompareOptions extends ThroughputOptions {
  /** Rounds per contender. @default 5 (2 when quick) */
  rounds?: number
  /** Untimed warm-up per contender in milliseconds. @default 300 */
  warmupMs?: number
  quick?: boolean
}

export interface CompareResult {
  label: string
  /** Median calls per second of each contender, in the order given. */
  medians: Record<string, number>
  /** First contender's median ÷ second contender's median. */
  ratio: number
  /** Median CPU microseconds per call of each contender (this process, plus `pid`'s). */
  cpuPerCall: Record<string, number>
  /** Second contender's CPU per call ÷ the first's: how many more calls the first serves per CPU second. */
  cpuRatio: number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Measures two (or more) contenders in alternating rounds and returns their medians and the ratio
 * of the first to the second. Prints nothing; see {@link printTable}.
 */
export async function compare(
  label: string,
  contenders: Record<string, BenchFn>,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const quick = options.quick ?? false
  const rounds = options.rounds ?? (quick ? 2 : 5)
  const durationMs = options.durationMs ?? (quick ? 300 : 1000)
  const { inFlight = 64, pid } = options
  const names = Object.keys(contenders)
  for (const name of names)
    await measure(contenders[name]!, { inFlight, durationMs: options.warmupMs ?? (quick ? 100 : 300) })
  const samples: Record<string, Throughput[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too, so neither contender always runs right after the other's garbage.
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const name of order)
      samples[name]!.push(await measure(contenders[name]!, { inFlight, durationMs, pid }))
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(samples[n]!.map((s) => s.perSecond))]))
  const cpuPerCall = Object.fromEntries(names.map((n) => [n, median(samples[n]!.map((s) => s.cpuPerCall))]))
  const [first, second] = [names[0]!, names[1]!]
  return {
    label,
    medians,
    ratio: medians[first]! / medians[second]!,
    cpuPerCall,
    cpuRatio: cpuPerCall[second]! / cpuPerCall[first]!,
  }
}

/** Formats a number of calls per second, e.g. `48 210/s`. */
export function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US').replace(/,/g, ' ')}/s`
}

/** Prints rows as an aligned text table with a title. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  console.log(`\n${title}`)
  console.log(line(header))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const row of rows) console.log(line(row))
}

/**
 * Prints comparison results: one row per scenario with each contender's median and the ratio;
 * with `cpu`, also the CPU time per call and the ratio of calls per CPU second.
 */
export function printComparison(
  title: string,
  results: readonly CompareResult[],
  options: { cpu?: boolean } = {},
): void {
  const names = Object.keys(results[0]?.medians ?? {})
  const header = ['scenario', ...names.map((n) => `${n} (median)`), `ratio ${names[0]}/${names[1]}`]
  if (options.cpu) header.push(...names.map((n) => `${n} CPU/call`), 'ratio per CPU-s')
  printTable(
    title,
    header,
    results.map((r) => {
      const row = [r.label, ...names.map((n) => perSecond(r.medians[n]!)), `${r.ratio.toFixed(2)}×`]
      if (options.cpu)
        row.push(...names.map((n) => `${r.cpuPerCall[n]!.toFixed(2)} µs`), `${r.cpuRatio.toFixed(2)}×`)
      return row
    }),
  )
}
