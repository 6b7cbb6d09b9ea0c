import type { z } from 'zod'
import { defOf } from './zod-def.js'

export const STRUCTURED = new Set(['object', 'record', 'array', 'tuple', 'lazy', 'intersection'])
export const JSON_MEMBERS = new Set([
  ...STRUCTURED,
  'string',
  'number',
  'boolean',
  'null',
  'literal',
  'enum',
  'any',
  'unknown',
])

/**
 * Zod types whose values JSON cannot hold faithfully: they would be stored as something else (`{}`
 * for a Map or Set, a string for a Date, nothing for a function) or fail (BigInt).
 */
const NOT_JSON: Record<string, string> = {
  map: 'a Map (stored as {})',
  set: 'a Set (stored as {})',
  date: 'a Date (stored as a string, read back as one)',
  bigint: 'a BigInt (JSON has no BigInt)',
  promise: 'a Promise',
  function: 'a function',
  symbol: 'a symbol',
  nan: 'NaN (stored as null)',
  file: 'a File',
  custom: 'a z.custom() value (unknown shape)',
  pipe: 'a transformed value (pipe/transform: the stored output does not parse again as input)',
  transform: 'a transformed value',
  void: 'undefined',
}

/** The first type nested in `schema` that JSON cannot hold faithfully, and where; undefined when none. */
export function notJson(schema: z.ZodType, seen: Set<z.ZodType>, at = ''): { what: string; at: string } | undefined {
  if (seen.has(schema)) return undefined
  seen.add(schema)
  const def = defOf(schema)
  const what = NOT_JSON[def.type]
  if (what) return { what, at }
  const children: [z.ZodType | null | undefined, string][] = []
  switch (def.type) {
    case 'object':
      for (const [k, v] of Object.entries(def.shape ?? {})) children.push([v, `${at}.${k}`])
      children.push([def.catchall, `${at}.*`])
      break
    case 'record':
      children.push([def.valueType, `${at}.*`])
      break
    case 'array':
      children.push([def.element, `${at}[]`])
      break
    case 'tuple':
      for (const [i, item] of (def.items ?? []).entries()) children.push([item, `${at}[${i}]`])
      children.push([def.rest, `${at}[]`])
      break
    case 'union':
      for (const o of def.options ?? []) children.push([o, at])
      break
    case 'intersection':
      children.push([def.left, at], [def.right, at])
      break
    case 'lazy':
      children.push([def.getter?.(), at])
      break
    default:
      children.push([def.innerType, at])
  }
  for (const [child, path] of children) {
    if (!child) continue
    const bad = notJson(child, seen, path)
    if (bad) return bad
  }
  return undefined
}
