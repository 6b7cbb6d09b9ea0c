import { z } from 'zod'
import { type FieldOptions, isFieldSpec } from './field.js'
import { type IdType, isZod3, resolveIdType, UUID_ID, zod3Message } from './id-type.js'
import type {
  FieldDef,
  Model,
  ModelConfig,
  ModelDef,
  ModelProblem,
  NoUnknownKeys,
  SqlDefault,
  SystemRole,
  TemporalStrategy,
} from './model-def.js'
import {
  configNameProblems,
  FIELD_INDEX_OPTIONS,
  FIELD_OPTIONS,
  IDENTIFIER,
  INDEX_OPTIONS,
  unknownKeys,
} from './model-options.js'
import { snakeCase } from './naming.js'
import { injectedFields, systemFields } from './system-fields.js'
import { analyzeZod, ModelDefinitionError } from './zod-types.js'

export type * from './model-def.js'

const TEMPORAL_STRATEGIES: readonly TemporalStrategy[] = ['none', 'copy_on_change', 'scd2']

const MODEL_BRAND = Symbol.for('ff-storage.model')

/**
 * Declare a model: Zod fields plus database metadata. Fails with `ModelDefinitionError` listing every
 * mistake that makes the model unusable (see `validateModel` for the full list with warnings).
 *
 * @example
 * export const User = defineModel({
 *   table: 'users',
 *   temporal: 'copy_on_change',
 *   fields: {
 *     email: field(z.email().max(255), { unique: true }),
 *     name: z.string().max(255),
 *   },
 * })
 */
export function defineModel<const C extends ModelConfig>(config: C & NoUnknownKeys<C, ModelConfig>): Model<C> {
  const { def, problems } = buildModel(config)
  const errors = problems.filter((p) => p.level === 'error')
  if (errors.length > 0 || !def) {
    throw new ModelDefinitionError(
      `Model "${String(config?.table)}" is invalid:\n${errors.map((p) => `  - ${p.message}`).join('\n')}`,
    )
  }
  return Object.freeze({ def, [MODEL_BRAND]: true }) as unknown as Model<C>
}

export function isModel(value: unknown): value is Model {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MODEL_BRAND] === true
}

/** Build the definition and collect every problem found; `def` is undefined when it cannot be built. */
export function buildModel(config: ModelConfig): { def: ModelDef | undefined; problems: ModelProblem[] } {
  const problems: ModelProblem[] = []
  const error = (message: string) => problems.push({ level: 'error', message })
  if (typeof config !== 'object' || config === null) {
    error('the model configuration must be an object')
    return { def: undefined, problems }
  }
  for (const message of configNameProblems(config)) error(message)
  const temporal = config.temporal ?? 'none'
  if (!TEMPORAL_STRATEGIES.includes(temporal)) {
    error(`unknown temporal strategy ${JSON.stringify(temporal)}; use one of ${TEMPORAL_STRATEGIES.join(', ')}`)
  }
  if (config.auditTable !== undefined && temporal !== 'copy_on_change') {
    problems.push({ level: 'warning', message: 'auditTable is used by copy_on_change models only' })
  }
  if (config.historyTable !== undefined && temporal !== 'scd2') {
    problems.push({ level: 'warning', message: 'historyTable is used by scd2 models only' })
  }
  const softDelete = temporal === 'scd2' ? true : (config.softDelete ?? true)
  if (temporal === 'scd2' && config.softDelete === false) {
    problems.push({ level: 'warning', message: 'scd2 models always soft-delete; softDelete: false is ignored' })
  }
  const multiTenant = config.multiTenant ?? true
  const tenantField = multiTenant ? (config.tenantField ?? 'tenantId') : undefined
  if (!multiTenant && config.tenantField !== undefined) {
    problems.push({ level: 'warning', message: 'tenantField is ignored because multiTenant is false' })
  }
  if (typeof config.fields !== 'object' || config.fields === null) {
    error('fields must be an object of Zod schemas or field(…) specs')
    return { def: undefined, problems }
  }
  const idType = (option: string, schema: unknown): IdType => {
    try {
      return resolveIdType(option, schema)
    } catch (e) {
      if (!(e instanceof ModelDefinitionError)) throw e
      error(e.message)
      return UUID_ID
    }
  }
  const tenantIdType = idType('tenantIdType', config.tenantIdType)
  const actorIdType = idType('actorIdType', config.actorIdType)
  if (!multiTenant && config.tenantIdType !== undefined) {
    problems.push({ level: 'warning', message: 'tenantIdType is ignored because multiTenant is false' })
  }
  const { head, tail } = injectedFields({ tenantField, tenantIdType, actorIdType, temporal, softDelete })
  const systemNames = new Set([...head, ...tail].map((f) => f.name))
  const systemColumns = new Set([...head, ...tail].map((f) => f.column))

  const userFields: FieldDef[] = []
  const zod3: string[] = []
  const zodShape: Record<string, z.ZodType> = {}
  for (const [name, input] of Object.entries(config.fields)) {
    const spec = isFieldSpec(input) ? input : undefined
    const schema = spec ? spec.schema : input
    const options: FieldOptions = spec?.options ?? {}
    if (isZod3(schema)) {
      zod3.push(name)
      continue
    }
    if (!schema || typeof schema !== 'object' || !('_zod' in schema)) {
      error(`field "${name}" is neither a Zod schema nor field(schema, options)`)
      continue
    }
    if (!IDENTIFIER.test(name)) error(`field name "${name}" is not a plain identifier`)
    for (const message of unknownKeys(options, FIELD_OPTIONS, 'field option')) error(`field "${name}": ${message}`)
    if (typeof options.index === 'object') {
      for (const message of unknownKeys(options.index, FIELD_INDEX_OPTIONS, 'index option')) {
        error(`field "${name}": ${message}`)
      }
    }
    if (systemNames.has(name)) {
      error(
        name === tenantField
          ? `field "${name}" collides with the tenant field; choose another tenantField or rename the field`
          : `field "${name}" is a system field managed by the library; rename it`,
      )
      continue
    }
    const column = options.column ?? snakeCase(name)
    if (!IDENTIFIER.test(column)) error(`field "${name}": column "${column}" is not a plain identifier`)
    if (column.startsWith('_ff_')) error(`field "${name}": columns starting with _ff_ are reserved`)
    if (systemColumns.has(column)) {
      error(`field "${name}": column "${column}" collides with a system column`)
      continue
    }
    let analyzed: ReturnType<typeof analyzeZod>
    try {
      analyzed = analyzeZod(name, schema as z.ZodType, options)
    } catch (e) {
      if (e instanceof ModelDefinitionError) {
        error(e.message)
        continue
      }
      throw e
    }
    if (options.onDelete && !options.references) error(`field "${name}": onDelete needs references`)
    if (options.onUpdate && !options.references) error(`field "${name}": onUpdate needs references`)
    for (const action of ['onDelete', 'onUpdate'] as const) {
      if (options[action] === 'SET NULL' && !analyzed.nullable) {
        error(`field "${name}": ${action} SET NULL needs a nullable field (.nullable() or .optional())`)
      }
    }
    if (
      options.unique !== undefined &&
      options.unique !== true &&
      options.unique !== false &&
      options.unique !== 'global'
    ) {
      error(`field "${name}": unique must be true, false or 'global'`)
    }
    if (options.indexWhere !== undefined && !options.index && !options.unique) {
      problems.push({ level: 'warning', message: `field "${name}": indexWhere has no effect without index or unique` })
    }
    let dflt: SqlDefault | undefined
    if (options.sqlDefault !== undefined) dflt = { kind: 'expression', sql: options.sqlDefault }
    else if (analyzed.constantDefault) dflt = { kind: 'literal', value: analyzed.constantDefault.value }
    userFields.push({
      name,
      column,
      type: analyzed.type,
      nullable: analyzed.nullable,
      acceptsNull: analyzed.acceptsNull,
      optional: analyzed.optional || options.sqlDefault !== undefined,
      default: dflt,
      system: undefined,
      options,
    })
    zodShape[name] = options.sqlDefault !== undefined ? (schema as z.ZodType).optional() : (schema as z.ZodType)
  }

  if (zod3.length > 0) error(zod3Message(`field${zod3.length > 1 ? 's' : ''} ${zod3.map((n) => `"${n}"`).join(', ')}`))

  const fields = [...head, ...userFields, ...tail]
  const seen = new Map<string, string>()
  for (const f of fields) {
    const other = seen.get(f.column)
    if (other !== undefined) error(`fields "${other}" and "${f.name}" map to the same column "${f.column}"`)
    seen.set(f.column, f.name)
  }
  const byName = new Map(fields.map((f) => [f.name, f]))
  const byColumn = new Map(fields.map((f) => [f.column, f]))
  const indexes = (config.indexes ?? []).map((idx, i) => {
    for (const message of unknownKeys(idx, INDEX_OPTIONS, 'index option')) error(`indexes[${i}]: ${message}`)
    if (!Array.isArray(idx.columns) || idx.columns.length === 0) {
      error(`indexes[${i}] needs at least one column`)
      return idx
    }
    if (idx.unique !== undefined && idx.unique !== true && idx.unique !== false && idx.unique !== 'global') {
      error(`indexes[${i}]: unique must be true, false or 'global'`)
    }
    const columns = idx.columns.map((c) => {
      const f = byName.get(c) ?? byColumn.get(c)
      if (!f) error(`indexes[${i}] names unknown field "${c}"`)
      return f?.column ?? c
    })
    return Object.freeze({ ...idx, columns })
  })
  for (const c of config.checks ?? []) {
    if (typeof c !== 'string' || c.trim() === '') error('checks must be non-empty SQL strings')
  }

  const system: Partial<Record<SystemRole, FieldDef>> = {}
  for (const f of fields) if (f.system) system[f.system] = f
  const createShape: Record<string, z.ZodType> = { ...zodShape }
  if (tenantField) createShape[tenantField] = tenantIdType.schema.optional()
  const def: ModelDef = deepFreeze({
    table: config.table,
    schema: config.schema,
    temporal,
    softDelete,
    multiTenant,
    tenantField,
    tenantIdType,
    actorIdType,
    fields,
    userFields,
    byName,
    byColumn,
    indexes,
    checks: [...(config.checks ?? [])],
    auditTable: config.auditTable,
    historyTable: config.historyTable,
    createSchema: z.strictObject(createShape),
    patchSchema: z.strictObject(
      Object.fromEntries(Object.entries(zodShape).map(([k, s]) => [k, withoutDefault(s).optional()])),
    ),
    system,
    roles: systemFields(fields),
  })
  return { def, problems }
}

/** Patches never fill defaults: a field left out of a patch stays as it is. */
function withoutDefault(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def
  return (def.type === 'default' || def.type === 'prefault') && def.innerType ? withoutDefault(def.innerType) : schema
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) {
    if (Array.isArray(v)) {
      for (const item of v) if (item && typeof item === 'object' && !Object.isFrozen(item)) Object.freeze(item)
      Object.freeze(v)
    }
  }
  return Object.freeze(o)
}
