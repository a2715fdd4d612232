/**
 * How the demo logs refusals under a flood: the first refusal of each caller and rule per window
 * in full, then one summary line per period for the rest ("N refusals from M callers suppressed,
 * top: …"). One line per refusal let a three-minute flood from one address (~470 000 refusals)
 * write 40 MB of log; this writes one line per caller, rule and window plus one per period.
 *
 * Memory is bounded whatever the callers do: at most `maxTracked` caller × rule entries (expired
 * ones are dropped at each summary; past the cap a refusal is counted, not logged) and at most
 * `maxTracked` callers counted for the summary's top list (the rest are counted as "others").
 */

/** One refusal, as the log needs it. */
export interface Refusal {
  /** The caller's identity (`ip:…`, `key:…`). */
  readonly identity: string
  /** The binding rule's name. */
  readonly rule: string
  /** The binding rule's window: how long this caller × rule stays quiet after its logged line. */
  readonly windowMs: number
}

export interface RefusalLogOptions {
  /** Where lines go. @default console.log */
  readonly log?: (line: string) => void
  /** A caller's name in the summary. @default the identity */
  readonly describeIdentity?: (identity: string) => string
  /** Milliseconds between summaries. @default 10_000 */
  readonly summaryEveryMs?: number
  /** Caller × rule entries remembered (and callers counted) at most. @default 10_000 */
  readonly maxTracked?: number
  /** Callers named in a summary. @default 3 */
  readonly top?: number
  /** The clock, injectable for tests. @default Date.now */
  readonly now?: () => number
}

/** A refusal logger: `record` each refusal; `summarize` runs on its own timer until `stop`. */
export interface RefusalLog {
  /** Logs `line()` if this caller × rule has been quiet for its window, else counts the refusal. */
  record(refusal: Refusal, line: () => string): void
  /** Logs the summary of what was suppressed since the last one (nothing when nothing was). */
  summarize(): void
  /** Stops the timer after a last summary. */
  stop(): void
}

export function createRefusalLog(options: RefusalLogOptions = {}): RefusalLog {
  const log = options.log ?? console.log
  const now = options.now ?? Date.now
  const name = options.describeIdentity ?? ((identity: string) => identity)
  const maxTracked = options.maxTracked ?? 10_000
  const top = options.top ?? 3
  /** caller × rule → until when its refusals are counted rather than logged. */
  const quietUntil = new Map<string, number>()
  /** Suppressed refusals per caller since the last summary. */
  let counts = new Map<string, number>()
  let others = 0
  let suppressed = 0

  const count = (identity: string) => {
    suppressed++
    const seen = counts.get(identity)
    if (seen !== undefined) counts.set(identity, seen + 1)
    else if (counts.size < maxTracked) counts.set(identity, 1)
    else others++
  }

  const record = (refusal: Refusal, line: () => string) => {
    const key = `${refusal.identity}\u0000${refusal.rule}`
    const at = now()
    const until = quietUntil.get(key)
    if (until !== undefined && at < until) return count(refusal.identity)
    if (until === undefined && quietUntil.size >= maxTracked) return count(refusal.identity)
    quietUntil.set(key, at + Math.max(1, refusal.windowMs))
    log(line())
  }

  const every = options.summaryEveryMs ?? 10_000
  const summarize = () => {
    const at = now()
    for (const [key, until] of quietUntil) if (until <= at) quietUntil.delete(key)
    if (suppressed === 0) return
    const named = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([identity, n]) => `${name(identity)} ${n}`)
    if (others > 0) named.push(`others ${others}`)
    const plural = counts.size === 1 && others === 0 ? '' : 's'
    const from = `${others > 0 ? 'more than ' : ''}${counts.size} caller${plural}`
    const refusals = `${suppressed} more refusal${suppressed === 1 ? '' : 's'}`
    log(
      `[limited] ${refusals} from ${from} not logged (summary every ${every / 1000} s), top: ${named.join(', ')}`,
    )
    counts = new Map()
    others = 0
    suppressed = 0
  }

  const timer = setInterval(summarize, every)
  timer.unref()
  return {
    record,
    summarize,
    stop() {
      clearInterval(timer)
      summarize()
    },
  }
}
