/** Small text helpers for the CLI: aligned tables, colour only when the terminal wants it. */
import { styleText } from 'node:util'

export interface Painter {
  bold(s: string): string
  dim(s: string): string
  green(s: string): string
  red(s: string): string
  yellow(s: string): string
  cyan(s: string): string
}

type Style = Parameters<typeof styleText>[0]

/** Node's own `util.styleText` when `color`, the text unchanged otherwise. */
export function painter(color: boolean): Painter {
  // validateStream: false, because whether to colour was decided here, for the stream written to
  const wrap = (style: Style) => (s: string) => (color ? styleText(style, s, { validateStream: false }) : s)
  return {
    bold: wrap('bold'),
    dim: wrap('dim'),
    green: wrap('green'),
    red: wrap('red'),
    yellow: wrap('yellow'),
    cyan: wrap('cyan'),
  }
}

/**
 * Whether to colour what goes to `stream`: never when NO_COLOR is set (https://no-color.org) or the
 * stream is not a terminal (a pipe, a file, CI logs); FORCE_COLOR (other than 0) forces it.
 */
export function wantsColor(
  stream: { isTTY?: boolean; hasColors?: (count?: number, env?: object) => boolean },
  env: NodeJS.ProcessEnv,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0'
  if (!stream.isTTY) return false
  return typeof stream.hasColors === 'function' ? stream.hasColors(16, env) : true
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
const visible = (s: string) => s.replace(ANSI, '').length

/** Rows under a header, each column padded to its widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))))
  const line = (cells: readonly string[]) =>
    `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c)))).join('  ')}`.trimEnd()
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')
}

/** A value as a person reads it in the tour. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '∅'
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '')
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return `${value}n`
  return JSON.stringify(value)
}
