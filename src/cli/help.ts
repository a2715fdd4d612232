import type { CommandName } from './args.js'

const CONNECTION = `Connection (every command):
  --redis URL          redis://[user:pass@]host:port[/db] or rediss://… (default: $REDIS_URL);
                       printed with user, password and query values (but db, family) as ***
  --cluster NODES      a Redis Cluster: host:port[,host:port…] (every master is scanned)
  --prefix PREFIX      the limiter's key prefix (default: rl:, the limiter default)
  --timeout MS         connect and command timeout in milliseconds (default: 5000)
  --json               machine-readable output on stdout
  -q, --quiet          no progress or remarks on stderr
  -h, --help           this help`

const RULE = `Rule (to select one budget; --limit and --window go together):
  --rule NAME          the rule name, matched exactly: a field coordinate (Query.search), a
                       procedure path (post.create) or a bucket name (default: default)
  --limit N            the rule's limit
  --window W           the rule's window: 500ms, 30s, 1m, 1h30m, 1d or milliseconds
  --algorithm A        sliding-log or sliding-window (default: as the engine picks it)`

const EXIT_CODES = `Exit codes:
  0  done
  1  unexpected failure (a Redis error while running the command)
  2  bad usage: unknown command or option, missing argument, bad URL or database, invalid rule
  3  Redis unreachable within the timeout (refused, unknown host, auth failed, no such database)
  4  reset not confirmed (answered no, or no terminal and no --yes)
  5  no usage recorded for the rule named with --rule; no API key with the --key-id`

/** Help for the whole tool (`--help`) and for each command (`<command> --help`). */
export const HELP: Record<'general' | CommandName, string> = {
  general: `resolver-rate-limit — look up and clear rate-limit usage in Redis

Usage: resolver-rate-limit <command> [options]

Commands:
  inspect <identity>   current usage, remaining and reset of an identity
  inspect --key-id ID  the same for the API key whose id you logged (Redis key registry)
  reset <identity>     forget an identity's usage (asks first; --yes to skip)
  keys                 list tracked identities and rules with counts (SCAN, never KEYS)

An identity is what the limiter keys by: user:42, ip:203.0.113.7, key:<digest>.
Run 'resolver-rate-limit <command> --help' for the options of a command.

${CONNECTION}

${EXIT_CODES}
`,
  inspect: `Usage: resolver-rate-limit inspect <identity> [--rule NAME --limit N --window W] [options]
       resolver-rate-limit inspect --key-id ID [--api-key-prefix P] [--budget owner|key] [--plans FILE] [rule] [options]

With --limit and --window: the exact decision the limiter would make now (used, remaining,
reset, retry after), computed by the engine's peek; nothing is recorded. A caller with a plan
is limited by the plan's limit: pass that one (--limit 100 for a rule of 10 and scale: 10).
Without them: every key of the identity (or of --rule NAME) with what it holds and when it
expires. --rule NAME alone exits with 5 when the identity has no usage for that rule.

API keys (createRedisApiKeys): find the identity from the key id that issue() returned
  --key-id ID          the key's id (never the key itself); exits with 5 when unknown
  --api-key-prefix P   the registry's prefix (default: rrl:apikey:)
  --budget B           owner (default: every key of the owner shares one budget) or key,
                       as createIdentify's apiKeys.budget
  --plans FILE         a JSON file of the application's plans (as definePlans takes them):
                       also shows the quotas of the key's plan (used, remaining, full again at)

${RULE}

${CONNECTION}

Examples:
  resolver-rate-limit inspect user:42 --rule Query.search --limit 10 --window 1m --redis redis://localhost:6379
  resolver-rate-limit inspect --key-id nZaJnj61aolr2hSYMDIQ0MaZGGKx4ON4XacGA_QNmkQ --redis redis://localhost:6379
`,
  reset: `Usage: resolver-rate-limit reset <identity> [--rule NAME [--limit N --window W]] [--yes] [options]

Deletes the identity's usage: every key of the identity, only the keys of --rule NAME, or the one
budget selected by --rule, --limit and --window. Lists the keys and asks for confirmation on a
terminal; without a terminal it refuses unless --yes is given.

  -y, --yes            do not ask

${RULE}

${CONNECTION}

Example:
  resolver-rate-limit reset user:42 --rule Query.search --yes --redis redis://localhost:6379
`,
  keys: `Usage: resolver-rate-limit keys [--match PATTERN] [--show N] [options]

Scans the keys under the prefix with SCAN (on every master of a cluster) and lists each rule
with its number of keys, and the tracked identities with their rules. Progress goes to stderr
every 10,000 keys.

  --match PATTERN      a glob over identities: 'user:*', 'ip:10.*' (default: *)
  --show N             identities listed in full, alphabetically (default: 50)
  --count N            SCAN COUNT hint per call (default: 1000)

${CONNECTION}

Example:
  resolver-rate-limit keys --match 'user:*' --json --redis redis://localhost:6379
`,
}
