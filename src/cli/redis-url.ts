/**
 * Redis URLs as the command line accepts and prints them: checked before anything connects, and
 * shown without credentials. ioredis reads a password from the user info and from `?password=`,
 * and other query parameters (`sentinelPassword`, …) may hold secrets too, so the printed form
 * keeps only the scheme, host, port, database and the values of {@link SHOWN_PARAMETERS}.
 */
import { describeValue } from '../errors.js'
import { CliError, EXIT } from './errors.js'

/** Query parameters whose values are printed: they configure the connection and hold no secret. */
const SHOWN_PARAMETERS: ReadonlySet<string> = new Set(['db', 'family'])
/** What stands for a hidden value. */
const HIDDEN = '***'
/** A database index: what `SELECT` accepts (Redis caps it with its `databases` setting). */
const DATABASE = /^\d{1,9}$/

/**
 * The URL for people: user name and password (both may be secrets: a URL like
 * `redis://token@host` puts the password where the user name goes) become `***`, and so does every
 * query parameter value except `db` and `family`. A URL that does not parse is cut to its scheme
 * and host as far as they can be told apart.
 *
 * @example redactUrl('redis://admin:pw@cache:6379/2?password=x') // 'redis://***@cache:6379/2?password=***'
 */
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Everything up to the last '@' may be user info, everything after '?' parameters.
    return url.replace(/[?#].*$/s, `?${HIDDEN}`).replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, `$1${HIDDEN}@`)
  }
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.password = ''
    parsed.username = HIDDEN
  }
  for (const name of new Set(parsed.searchParams.keys())) {
    if (!SHOWN_PARAMETERS.has(name)) parsed.searchParams.set(name, HIDDEN)
  }
  parsed.hash = ''
  return parsed.toString()
}

function usage(message: string): never {
  throw new CliError(EXIT.USAGE, message)
}

/**
 * Checks a `--redis` / `REDIS_URL` value before connecting: a `redis:` or `rediss:` URL whose
 * database, in the path or in `?db=`, is a number. (ioredis would send `SELECT NaN` for
 * `redis://host/abc` and crash on the reply.) Returns the URL unchanged.
 * @throws CliError (`USAGE`) saying what is wrong, with the URL redacted.
 */
export function checkRedisUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    usage(
      `Expected a Redis URL like redis://localhost:6379 or rediss://user:pass@host:6380/0, got ${describeValue(redactUrl(url))}`,
    )
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    usage(`Expected a redis:// or rediss:// URL, got the protocol ${describeValue(parsed.protocol)}`)
  }
  // Checked as ioredis reads them: the raw path, and every `db` parameter (the last one wins there).
  for (const db of [parsed.pathname.slice(1), ...parsed.searchParams.getAll('db')]) {
    if (db !== '' && !DATABASE.test(db)) {
      usage(
        `Expected the database in the Redis URL to be a number such as redis://localhost:6379/0, got ${describeValue(db)}`,
      )
    }
  }
  return url
}
