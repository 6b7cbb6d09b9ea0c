import type { EngineName } from '../dialect/dialect.js'
import { DIALECTS } from '../dialect/registry.js'
import { ModelDefinitionError } from '../errors.js'
import { buildModel, isModel, type Model, type ModelConfig, type ModelProblem } from '../model/define-model.js'
import { fromModels, parseReference } from './from-models.js'

export interface ValidateOptions {
  /** Also check what a specific engine cannot do (default: every engine). */
  readonly engine?: EngineName
}

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
    const rules = dialect.modelRules
    const label = options.engine ? '' : ` on ${rules.title}`
    const report = (msg: string) => (options.engine ? error(msg) : warn(msg))
    const limit = rules.tableNameBytes
    for (const [what, name] of [
      ['table', def.table],
      ['auditTable', def.auditTable],
      ['historyTable', def.historyTable],
    ] as const) {
      if (name !== undefined && Buffer.byteLength(name) > limit) {
        report(`${what} "${name}" is longer than ${limit} bytes, the limit${label || ` on ${dialect.name}`}`)
      }
    }
    for (const msg of rules.problems(def, label)) report(msg)
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
