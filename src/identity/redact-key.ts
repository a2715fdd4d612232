/**
 * Removes an API key from whatever a failing lookup threw, before it becomes the `cause` of an
 * `IdentityError` that applications log. Drivers and wrappers nest the detail
 * (`new Error('query failed', { cause: driverError })`, `AggregateError.errors`, a `detail` or
 * `parameters` property), and a logger prints all of it (Node's `inspect` shows the whole `[cause]`
 * chain), so the whole value is walked — bounded in depth and size, cycles followed once.
 */

/** How deep causes, `errors` and properties are followed. */
const MAX_DEPTH = 8
/** How many values one redaction visits; past it, what is left is replaced. */
const MAX_NODES = 256
const REPLACEMENT = '[key]'
const TRUNCATED = '[redacted: nested too deeply]'

/** The spellings of the key a message may hold: as sent, JSON-escaped, URL-encoded. */
function spellings(key: string): string[] {
  const forms = new Set([key, JSON.stringify(key).slice(1, -1), encodeURIComponent(key)])
  return [...forms].filter((form) => form.length > 0)
}

/** One walk over a thrown value: a budget of nodes, and the copies made so far (cycles). */
class Redaction {
  #left = MAX_NODES
  readonly #copies = new Map<object, unknown>()

  constructor(readonly forms: readonly string[]) {}

  text(value: string): string {
    let out = value
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(REPLACEMENT)
    return out
  }

  /** Whether the key shows anywhere in `value` (or the walk ran out of budget: assume it does). */
  mentions(value: unknown, depth: number, seen: Set<object>): boolean {
    if (typeof value === 'string') return this.text(value) !== value
    if (value === UNREADABLE) return true
    if (value === null || typeof value !== 'object') return false
    if (seen.has(value)) return false
    seen.add(value)
    if (depth > MAX_DEPTH || --this.#left < 0) return true
    for (const child of children(value)) if (this.mentions(child, depth + 1, seen)) return true
    return false
  }

  /** A copy of `value` without the key: strings redacted, errors rebuilt, functions dropped. */
  copy(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value)
    if (typeof value === 'function' || value === UNREADABLE) return undefined
    if (value === null || typeof value !== 'object') return value
    const done = this.#copies.get(value)
    if (done !== undefined || this.#copies.has(value)) return done
    if (depth > MAX_DEPTH || --this.#left < 0) return TRUNCATED
    if (value instanceof Error) return this.#error(value, depth)
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {}
    this.#copies.set(value, copy)
    for (const [name, child] of entries(value)) {
      const redacted = this.copy(child, depth + 1)
      if (redacted !== undefined) (copy as Record<string, unknown>)[name] = redacted
    }
    return copy
  }

  #error(error: Error, depth: number): Error {
    const original = read(error, 'message')
    const message = typeof original === 'string' ? this.text(original) : ''
    const errorName = read(error, 'name')
    const errors = aggregated(error)
    const copy: Error = errors ? new AggregateError([], message) : new Error(message)
    this.#copies.set(error, copy)
    if (typeof errorName === 'string' && errorName !== copy.name) {
      // As on the original's prototype: shown in the stack, not as a property of its own.
      Object.defineProperty(copy, 'name', { value: this.text(errorName), writable: true, configurable: true })
    }
    const stack = read(error, 'stack')
    copy.stack = typeof stack === 'string' ? this.text(stack) : undefined
    if (errors && copy instanceof AggregateError) copy.errors = errors.map((e) => this.copy(e, depth + 1))
    if (has(error, 'cause') === true) {
      Object.defineProperty(copy, 'cause', {
        value: this.copy(read(error, 'cause'), depth + 1),
        writable: true,
        configurable: true,
      })
    }
    const rebuilt = new Set(['message', 'stack', 'name', 'cause', ...(errors ? ['errors'] : [])])
    for (const [name, child] of entries(error)) {
      if (rebuilt.has(name)) continue
      const redacted = this.copy(child, depth + 1)
      if (redacted !== undefined) (copy as unknown as Record<string, unknown>)[name] = redacted
    }
    return copy
  }
}

/** Read in place of a property whose getter (or proxy trap) throws: it may hold the key. */
const UNREADABLE = Symbol('unreadable')

/** A property, or {@link UNREADABLE}: a hostile error must not break redaction. */
function read(value: object, name: string): unknown {
  try {
    return (value as Record<string, unknown>)[name]
  } catch {
    return UNREADABLE
  }
}

/** Whether `value` has its own `name`, or {@link UNREADABLE}. */
function has(value: object, name: string): boolean | typeof UNREADABLE {
  try {
    return Object.hasOwn(value, name)
  } catch {
    return UNREADABLE
  }
}

/** Own enumerable properties, safely read; no more than one walk may visit. */
function entries(value: object): Array<[string, unknown]> {
  let names: string[]
  try {
    names = Object.keys(value).slice(0, MAX_NODES)
  } catch {
    return [['', UNREADABLE]]
  }
  return names.map((name) => [name, read(value, name)])
}

/** An `AggregateError`'s `errors`, as many as one walk may visit. */
function aggregated(error: Error): unknown[] | undefined {
  const errors = read(error, 'errors')
  return error instanceof AggregateError && Array.isArray(errors) ? errors.slice(0, MAX_NODES) : undefined
}

/** What may carry the key inside a value: its properties, and for errors their message, stack, cause and `errors`. */
function children(value: object): unknown[] {
  const values = entries(value).map(([, child]) => child)
  if (value instanceof Error) {
    values.push(read(value, 'message'), read(value, 'stack'))
    const cause = has(value, 'cause')
    if (cause !== false) values.push(cause === true ? read(value, 'cause') : UNREADABLE)
    values.push(...(aggregated(value) ?? []))
  }
  return values
}

/**
 * `thrown` with every spelling of `key` replaced by `[key]`, through its whole `cause` chain,
 * `AggregateError.errors` and own properties. Returned unchanged when the key shows nowhere;
 * otherwise a copy (errors become plain `Error` / `AggregateError` with the original `name`).
 *
 * @example redactKey(new Error('bad', { cause: new Error(`no key "${key}"`) }), key)
 */
export function redactKey(thrown: unknown, key: string): unknown {
  try {
    const redaction = new Redaction(spellings(key))
    if (!redaction.mentions(thrown, 0, new Set())) return thrown
    return new Redaction(redaction.forms).copy(thrown, 0)
  } catch {
    // A value whose inspection throws (a hostile proxy): nothing of it can be vouched for.
    return new Error('[the lookup error could not be inspected for the key, and was dropped]')
  }
}
