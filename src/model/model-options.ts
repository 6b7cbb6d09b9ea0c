import type { FieldOptions, IndexOptions } from './field.js'
import type { ModelConfig, ModelIndex } from './model-def.js'
import { TABLE_NAME_BYTES } from './naming.js'

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/

/**
 * Every option of ModelConfig, ModelIndex and FieldOptions, for the runtime check of unknown keys
 * (a misspelled `temporl: 'scd2'` would otherwise give a model without history). `satisfies` makes
 * the typecheck fail when an option is added to the interface and not here.
 */
export const MODEL_OPTIONS = {
  table: true,
  schema: true,
  temporal: true,
  softDelete: true,
  multiTenant: true,
  tenantField: true,
  tenantIdType: true,
  actorIdType: true,
  fields: true,
  indexes: true,
  checks: true,
  auditTable: true,
  historyTable: true,
} as const satisfies Record<keyof ModelConfig, true>

export const INDEX_OPTIONS = {
  columns: true,
  name: true,
  where: true,
  unique: true,
  method: true,
} as const satisfies Record<keyof ModelIndex, true>

export const FIELD_OPTIONS = {
  column: true,
  index: true,
  unique: true,
  indexWhere: true,
  references: true,
  onDelete: true,
  onUpdate: true,
  check: true,
  type: true,
  sqlDefault: true,
  precision: true,
  scale: true,
} as const satisfies Record<keyof FieldOptions, true>

export const FIELD_INDEX_OPTIONS = { name: true, where: true, method: true } as const satisfies Record<
  keyof IndexOptions,
  true
>

/** Keys of `value` that are not options in `known`, as messages (with the closest known key). */
export function unknownKeys(value: unknown, known: object, what: string): string[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.keys(value)
    .filter((k) => !Object.hasOwn(known, k))
    .map((k) => {
      const near = Object.keys(known).find((o) => editDistance(o.toLowerCase(), k.toLowerCase()) <= 2)
      return `unknown ${what} "${k}"${near ? ` (did you mean "${near}"?)` : ''}`
    })
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}

/** Unknown options and unusable names (table, auditTable, historyTable, schema), as messages. */
export function configNameProblems(config: ModelConfig): string[] {
  const out: string[] = []
  for (const message of unknownKeys(config, MODEL_OPTIONS, 'model option')) out.push(message)
  if (typeof config.table !== 'string' || !IDENTIFIER.test(config.table)) {
    out.push(`table must be a plain identifier (letters, digits, _), got ${JSON.stringify(config.table)}`)
  } else if (Buffer.byteLength(config.table) > TABLE_NAME_BYTES) {
    out.push(
      `table name "${config.table}" is longer than ${TABLE_NAME_BYTES} bytes, the longest any engine accepts (validateModel names each engine's limit)`,
    )
  }
  for (const option of ['auditTable', 'historyTable'] as const) {
    const name = config[option]
    if (name === undefined) continue
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      out.push(`${option} must be a plain identifier (letters, digits, _), got ${JSON.stringify(name)}`)
    } else if (Buffer.byteLength(name) > TABLE_NAME_BYTES) {
      out.push(`${option} "${name}" is longer than ${TABLE_NAME_BYTES} bytes`)
    } else if (name === config.table) {
      out.push(`${option} "${name}" is the model's own table`)
    }
  }
  if (config.auditTable !== undefined && config.auditTable === config.historyTable) {
    out.push(`auditTable and historyTable are both "${config.auditTable}"`)
  }
  if (config.schema !== undefined && (typeof config.schema !== 'string' || !IDENTIFIER.test(config.schema))) {
    out.push(`schema must be a plain identifier, got ${JSON.stringify(config.schema)}`)
  }
  return out
}
