import { describe, expect, it } from 'vitest'
import { painter, wantsColor } from '../../src/cli/format.js'

describe('CLI colour', () => {
  const tty = { isTTY: true, hasColors: () => true }
  it('colours a terminal unless NO_COLOR is set', () => {
    expect(wantsColor(tty, {})).toBe(true)
    expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false)
    expect(wantsColor(tty, { NO_COLOR: '' })).toBe(true) // no-color.org: set and non-empty
    expect(wantsColor({ isTTY: true, hasColors: () => false }, {})).toBe(false) // TERM=dumb
  })
  it('never colours a pipe or a file unless FORCE_COLOR asks', () => {
    expect(wantsColor({ isTTY: false }, {})).toBe(false)
    expect(wantsColor({}, {})).toBe(false)
    expect(wantsColor({}, { FORCE_COLOR: '1' })).toBe(true)
    expect(wantsColor(tty, { FORCE_COLOR: '0' })).toBe(false)
    expect(wantsColor({}, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false)
  })
  it('paints through util.styleText only when asked', () => {
    expect(painter(true).green('ok')).toBe('\u001b[32mok\u001b[39m')
    expect(painter(false).green('ok')).toBe('ok')
  })
})
