/**
 * The command line's parsing, without a process: a key id that starts with `-` (one in 64 do) is
 * still the value of `--key-id`, not taken for an option.
 */
import { describe, expect, it } from 'vitest'
import { parseCommandLine } from '../../src/cli/args.js'

describe('parseCommandLine', () => {
  const dashed = `-${'Ab_9'.repeat(10)}xy`

  it('takes a key id starting with a dash as the value of --key-id', () => {
    expect(dashed).toHaveLength(43)
    const parsed = parseCommandLine(['inspect', '--key-id', dashed, '--json'])
    expect(parsed.command).toBe('inspect')
    expect(parsed.values['key-id']).toBe(dashed)
    expect(parsed.values.json).toBe(true)
    expect(parseCommandLine(['inspect', `--key-id=${dashed}`]).values['key-id']).toBe(dashed)
  })

  it('still refuses an option where the value of --key-id should be', () => {
    expect(() => parseCommandLine(['inspect', '--key-id', '--json'])).toThrow()
  })
})
