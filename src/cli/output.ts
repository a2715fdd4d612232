import type { CliIo } from './io.js'

/** Writes command results: text for people, or one JSON document with `--json`. */
export class Output {
  readonly json: boolean
  readonly #io: CliIo
  /** `--quiet`: nothing but results and errors. */
  readonly quiet: boolean

  constructor(io: CliIo, json: boolean, quiet: boolean) {
    this.#io = io
    this.json = json
    this.quiet = quiet
  }

  /** One line of the result on stdout (text mode). */
  line(text = ''): void {
    this.#io.stdout.write(`${text}\n`)
  }

  /** The whole result as JSON on stdout (JSON mode). */
  data(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** A remark for people on stderr (never mixed into results; hidden by --quiet). */
  note(text: string): void {
    if (!this.quiet) this.#io.stderr.write(`${text}\n`)
  }

  /** An aligned table on stdout; `header` null for name/value pairs. */
  table(header: readonly string[] | null, rows: ReadonlyArray<readonly string[]>, indent = ''): void {
    const all = header ? [header, ...rows] : rows
    const widths = (all[0] ?? []).map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
    for (const row of all)
      this.line(
        indent +
          row
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
      )
  }
}

/** `12345` → `12,345`. */
export function count(value: number): string {
  return value.toLocaleString('en-US')
}

/** Milliseconds for people: `850 ms`, `12.5 s`, `3 min 20 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  if (minutes < 60) return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
