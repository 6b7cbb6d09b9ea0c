import type { Dialect } from '../dialect/dialect.js'
import { mariadbDialect, mysqlDialect } from '../dialect/mysql/dialect.js'
import { pgliteDialect, postgresDialect } from '../dialect/postgres/dialect.js'
import { fromModels, parseReference } from '../schema/from-models.js'
import { buildModel, isModel, type Model, type ModelConfig, type ModelProblem } from './define-model.js'
import { TABLE_NAME_LIMIT } from './naming.js'
import { ModelDefinitionError } from './zod-types.js'

export interface ValidateOptions {
  /** Also check what a specific engine cannot do (default: every engine). */
  readonly engine?: 'postgres' | 'pglite' | 'mysql' | 'mariadb'
}

const DIALECTS: Record<NonNullable<ValidateOptions['engine']>, Dialect> = {
  postgres: postgresDialect,
  pglite: pgliteDialect,
  mysql: mysqlDialect,
  mariadb: mariadbDialect,
}

// InnoDB builds every index as a B-tree (HASH is accepted and silently ignored)
const PG_ONLY_METHODS = new Set(['gin', 'gist', 'brin', 'spgist', 'hash'])

/**
 * Report configuration mistakes before anything touches a database: a list of errors (the model
 * cannot work) and warnings (it works, but probably not as meant). Accepts a model or a raw config.
 *
 * @example
 * for (const p of validateModel(User, { engine: 'mysql' })) console.log(p.level, p.message)
 */
export function validateModel(model: Model | ModelConfig, options: ValidateOptions = {}): ModelProblem[] {
  const config = isModel(model) ? undefined : (model as ModelConfig)
  const built = config ? buildModel(config) : { def: (model as Model).def, problems: [] as ModelProblem[] }
  const problems = [...built.problems]
  const def = built.def
  if (!def) return problems
  const error = (message: string) => problems.push({ level: 'error', message })
  const warn = (message: string) => problems.push({ level: 'warning', message })

  for (const f of def.userFields) {
    const o = f.options
    if (o.references !== undefined) {
      try {
        parseReference(o.references, f.name)
      } catch (e) {
        if (e instanceof ModelDefinitionError) error(e.message)
        else error(`field "${f.name}": references could not be resolved (${String(e)})`)
      }
    }
    if (f.type.kind === 'decimal' && f.type.asNumber) {
      warn(
        `field "${f.name}": a number field with precision/scale is read back as a binary float; use z.string() for exact decimals`,
      )
    }
    if ((o.unique || o.index) && f.type.kind === 'json') {
      warn(`field "${f.name}": indexes on JSON columns only work on PostgreSQL (with method: 'gin')`)
    }
  }

  const engines = options.engine ? [options.engine] : (['postgres', 'mysql'] as const)
  for (const engine of engines) {
    const dialect = DIALECTS[engine]
    const label = options.engine ? '' : ` on ${dialect.family === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'}`
    const limit = TABLE_NAME_LIMIT[dialect.family]
    for (const [what, name] of [
      ['table', def.table],
      ['auditTable', def.auditTable],
      ['historyTable', def.historyTable],
    ] as const) {
      if (name !== undefined && Buffer.byteLength(name) > limit) {
        const msg = `${what} "${name}" is longer than ${limit} bytes, the limit${label || ` on ${dialect.name}`}`
        options.engine ? error(msg) : warn(msg)
      }
    }
    if (dialect.family === 'mysql') {
      for (const f of def.userFields) {
        // utf8mb4 varchar holds at most 16383 characters; MariaDB turns longer ones into text types
        if (f.type.kind === 'string' && f.type.maxLength !== undefined && f.type.maxLength > 16_383) {
          const msg = `field "${f.name}": .max(${f.type.maxLength}) exceeds MySQL/MariaDB's varchar limit of 16383 characters (utf8mb4)${label}; leave out .max() for a text column`
          options.engine ? error(msg) : warn(msg)
        }
        for (const action of ['onDelete', 'onUpdate'] as const) {
          // InnoDB parses SET DEFAULT and stores RESTRICT: the key would not do what the model says
          if (f.options[action] === 'SET DEFAULT') {
            const msg = `field "${f.name}": ${action} SET DEFAULT is not supported by InnoDB${label} (it keeps RESTRICT); use RESTRICT, CASCADE or SET NULL`
            options.engine ? error(msg) : warn(msg)
          }
        }
      }
      const partialNote = 'MySQL/MariaDB have no partial indexes'
      for (const f of def.userFields) {
        const o = f.options
        const where = (typeof o.index === 'object' ? o.index.where : undefined) ?? o.indexWhere
        if (where !== undefined && (o.index || o.unique)) {
          const msg = `field "${f.name}": indexWhere/where cannot be applied${label}: ${partialNote}`
          options.engine ? error(msg) : warn(msg)
        }
        const method = typeof o.index === 'object' ? o.index.method : undefined
        if (method && PG_ONLY_METHODS.has(method)) {
          const msg = `field "${f.name}": index method ${method} exists only on PostgreSQL`
          options.engine ? error(msg) : warn(msg)
        }
        const indexed = o.unique || o.index || def.indexes.some((i) => i.columns.includes(f.column))
        if (indexed && f.type.kind === 'string' && f.type.maxLength === undefined) {
          const msg = `field "${f.name}": MySQL/MariaDB cannot index an unbounded string; add .max(n)`
          options.engine ? error(msg) : warn(msg)
        }
      }
      for (const idx of def.indexes) {
        if (idx.where !== undefined) {
          const msg = `index on (${idx.columns.join(', ')}) has a WHERE predicate${label}: ${partialNote}`
          options.engine ? error(msg) : warn(msg)
        }
      }
    }
    if (options.engine && !problems.some((p) => p.level === 'error')) {
      try {
        fromModels([{ def } as Model], dialect)
      } catch (e) {
        if (!(e instanceof ModelDefinitionError)) throw e
        error(e.message)
      }
    }
  }
  return problems
}
