import type { ModelDef } from '../../model/define-model.js'
import type { ModelRules } from '../model-rules.js'

// InnoDB builds every index as a B-tree (HASH is accepted and silently ignored)
const PG_ONLY_METHODS = new Set(['gin', 'gist', 'brin', 'spgist', 'hash'])
const PARTIAL_NOTE = 'MySQL/MariaDB have no partial indexes'

/** What InnoDB and utf8mb4 cannot do that a model may ask for. */
function mysqlProblems(def: ModelDef, label: string): string[] {
  const problems: string[] = []
  for (const f of def.userFields) {
    // utf8mb4 varchar holds at most 16383 characters; MariaDB turns longer ones into text types
    if (f.type.kind === 'string' && f.type.maxLength !== undefined && f.type.maxLength > 16_383) {
      problems.push(
        `field "${f.name}": .max(${f.type.maxLength}) exceeds MySQL/MariaDB's varchar limit of 16383 characters (utf8mb4)${label}; leave out .max() for a text column`,
      )
    }
    for (const action of ['onDelete', 'onUpdate'] as const) {
      // InnoDB parses SET DEFAULT and stores RESTRICT: the key would not do what the model says
      if (f.options[action] === 'SET DEFAULT') {
        problems.push(
          `field "${f.name}": ${action} SET DEFAULT is not supported by InnoDB${label} (it keeps RESTRICT); use RESTRICT, CASCADE or SET NULL`,
        )
      }
    }
  }
  for (const f of def.userFields) {
    const o = f.options
    const where = (typeof o.index === 'object' ? o.index.where : undefined) ?? o.indexWhere
    if (where !== undefined && (o.index || o.unique)) {
      problems.push(`field "${f.name}": indexWhere/where cannot be applied${label}: ${PARTIAL_NOTE}`)
    }
    const method = typeof o.index === 'object' ? o.index.method : undefined
    if (method && PG_ONLY_METHODS.has(method)) {
      problems.push(`field "${f.name}": index method ${method} exists only on PostgreSQL`)
    }
    const indexed = o.unique || o.index || def.indexes.some((i) => i.columns.includes(f.column))
    if (indexed && f.type.kind === 'string' && f.type.maxLength === undefined) {
      problems.push(`field "${f.name}": MySQL/MariaDB cannot index an unbounded string; add .max(n)`)
    }
  }
  for (const idx of def.indexes) {
    if (idx.where !== undefined) {
      problems.push(`index on (${idx.columns.join(', ')}) has a WHERE predicate${label}: ${PARTIAL_NOTE}`)
    }
  }
  return problems
}

export const mysqlModelRules: ModelRules = Object.freeze({
  title: 'MySQL/MariaDB',
  tableNameBytes: 64,
  problems: mysqlProblems,
})
