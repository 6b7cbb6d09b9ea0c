import type { ValidationIssue } from '../errors.js'
import { valueType } from '../model/codec.js'
import type { FieldDef } from '../model/define-model.js'

/**
 * Zod drops a key named `__proto__` when it parses a JSON object (`z.record`, `z.json()`,
 * `.passthrough()`), so such a key would vanish from the stored value and from the audit trail
 * without a word. It is refused instead, with its path, before the input is parsed.
 */
export function protoKeyIssues(
  fields: ReadonlyMap<string, FieldDef>,
  input: Readonly<Record<string, unknown>>,
  path: readonly (string | number)[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  for (const key of Object.keys(input)) {
    const f = fields.get(key)
    const kind = f && valueType(f.type)?.kind
    if (kind !== 'json' && kind !== 'array') continue
    const at = protoKey(input[key], [...path, key], new Set())
    if (at)
      issues.push({
        code: 'custom',
        message: 'a JSON key named "__proto__" cannot be stored (JSON parsers drop it): rename the key',
        path: at,
      })
  }
  return issues
}

/** The path of the first own `__proto__` key in a JSON value, if any. */
function protoKey(value: unknown, path: (string | number)[], seen: Set<object>): (string | number)[] | undefined {
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined
  seen.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKey(value[i], [...path, i], seen)
      if (found) return found
    }
    return undefined
  }
  if (Object.hasOwn(value, '__proto__')) return [...path, '__proto__']
  for (const [k, v] of Object.entries(value)) {
    const found = protoKey(v, [...path, k], seen)
    if (found) return found
  }
  return undefined
}
