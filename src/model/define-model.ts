import { z } from 'zod'
import { type FieldInput, type FieldOptions, type IndexMethod, type IndexOptions, isFieldSpec } from './field.js'
import { type IdType, isZod3, resolveIdType, UUID_ID, zod3Message } from './id-type.js'
import type { LogicalType } from './logical-type.js'
import { snakeCase, TABLE_NAME_BYTES } from './naming.js'
import { type SystemFields, systemFields } from './system-fields.js'
import { analyzeZod, ModelDefinitionError } from './zod-types.js'

export type TemporalStrategy = 'none' | 'copy_on_change' | 'scd2'
const TEMPORAL_STRATEGIES: readonly TemporalStrategy[] = ['none', 'copy_on_change', 'scd2']

/** A model-level index. `columns` are property names (or column names). */
export interface ModelIndex {
  readonly columns: readonly string[]
  readonly name?: string
  readonly where?: string
  /** As a field's `unique`: within the tenant among live rows (`true`), or across tenants (`'global'`). */
  readonly unique?: boolean | 'global'
  readonly method?: IndexMethod
}

export interface ModelConfig {
  readonly table: string
  readonly schema?: string
  readonly temporal?: TemporalStrategy
  readonly softDelete?: boolean
  readonly multiTenant?: boolean
  readonly tenantField?: string
  /** The tenant id's type: `z.uuid()` (default), text such as `z.string().max(64)`, or `z.bigint()`. */
  readonly tenantIdType?: z.ZodType
  /** The type of user ids in createdBy/updatedBy/deletedBy/changedBy: `z.uuid()` (default), text or `z.bigint()`. */
  readonly actorIdType?: z.ZodType
  readonly fields: Readonly<Record<string, FieldInput>>
  readonly indexes?: readonly ModelIndex[]
  readonly checks?: readonly string[]
  /** Name of the audit table (copy_on_change); default `{table}_audit`, shortened with a hash past 63 bytes. */
  readonly auditTable?: string
  /** Name of the history table (scd2); default `{table}_history`, shortened with a hash past 63 bytes. */
  readonly historyTable?: string
}

/**
 * Every option of ModelConfig, ModelIndex and FieldOptions, for the runtime check of unknown keys
 * (a misspelled `temporl: 'scd2'` would otherwise give a model without history). `satisfies` makes
 * the typecheck fail when an option is added to the interface and not here.
 */
const MODEL_OPTIONS = {
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

const INDEX_OPTIONS = { columns: true, name: true, where: true, unique: true, method: true } as const satisfies Record<
  keyof ModelIndex,
  true
>

const FIELD_OPTIONS = {
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

const FIELD_INDEX_OPTIONS = { name: true, where: true, method: true } as const satisfies Record<
  keyof IndexOptions,
  true
>

/** Keys of `value` that are not options in `known`, as messages (with the closest known key). */
function unknownKeys(value: unknown, known: object, what: string): string[] {
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

/** Keys of C that are not keys of T, as `never`: `defineModel({ temporl: 'scd2' })` does not compile. */
export type NoUnknownKeys<C, T> = { readonly [K in Exclude<keyof C, keyof T>]: never }

export type SqlDefault =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'expression'; readonly sql: string }
  | { readonly kind: 'now' }

export type SystemRole =
  | 'id'
  | 'tenant'
  | 'createdAt'
  | 'updatedAt'
  | 'createdBy'
  | 'updatedBy'
  | 'deletedAt'
  | 'deletedBy'
  | 'version'
  | 'validFrom'
  | 'validTo'

/** One column of a model, resolved. */
export interface FieldDef {
  /** Property name in records. */
  readonly name: string
  readonly column: string
  readonly type: LogicalType
  readonly nullable: boolean
  /** NULL reads back as `null` (nullable in Zod, or a nullable system field); else as `undefined`. */
  readonly acceptsNull: boolean
  /** May be left out on create. */
  readonly optional: boolean
  readonly default: SqlDefault | undefined
  /** Set for injected system fields. */
  readonly system: SystemRole | undefined
  readonly options: FieldOptions
}

/** A model after `defineModel`: frozen, with every name resolved. */
export interface ModelDef {
  readonly table: string
  readonly schema: string | undefined
  readonly temporal: TemporalStrategy
  readonly softDelete: boolean
  readonly multiTenant: boolean
  /** Property name of the tenant field when multi-tenant. */
  readonly tenantField: string | undefined
  /** What tenant ids are (UUID unless `tenantIdType` says otherwise). */
  readonly tenantIdType: IdType
  /** What actor (user) ids are (UUID unless `actorIdType` says otherwise). */
  readonly actorIdType: IdType
  /** Every column in table order: system and user fields. */
  readonly fields: readonly FieldDef[]
  readonly userFields: readonly FieldDef[]
  readonly byName: ReadonlyMap<string, FieldDef>
  readonly byColumn: ReadonlyMap<string, FieldDef>
  readonly indexes: readonly ModelIndex[]
  readonly checks: readonly string[]
  /** `auditTable` as configured (read the name through `auditTableName(def)`). */
  readonly auditTable: string | undefined
  /** `historyTable` as configured (read the name through `historyTableName(def)`). */
  readonly historyTable: string | undefined
  /** Validates create input (user fields, plus the tenant field when multi-tenant). Strict. */
  readonly createSchema: z.ZodObject
  /** Validates update patches: user fields only, all optional. Strict. */
  readonly patchSchema: z.ZodObject
  /**
   * System role → field. Prefer `roles`, typed so that no lookup needs a non-null assertion; `system`
   * stays until the callers that read it have switched.
   */
  readonly system: Readonly<Partial<Record<SystemRole, FieldDef>>>
  /** The system fields by role: the ones every model has, and soft delete's and scd2's as groups. */
  readonly roles: SystemFields
}

declare const CONFIG: unique symbol

/** What `defineModel` returns: the resolved definition, typed by its configuration. */
export interface Model<C extends ModelConfig = ModelConfig> {
  readonly def: ModelDef
  readonly [CONFIG]?: C
}

const MODEL_BRAND = Symbol.for('ff-storage.model')

const UUID: LogicalType = { kind: 'uuid' }
const TIMESTAMP: LogicalType = { kind: 'timestamp' }

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

export interface ModelProblem {
  readonly level: 'error' | 'warning'
  readonly message: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/

/** Build the definition and collect every problem found; `def` is undefined when it cannot be built. */
export function buildModel(config: ModelConfig): { def: ModelDef | undefined; problems: ModelProblem[] } {
  const problems: ModelProblem[] = []
  const error = (message: string) => problems.push({ level: 'error', message })
  if (typeof config !== 'object' || config === null) {
    error('the model configuration must be an object')
    return { def: undefined, problems }
  }
  for (const message of unknownKeys(config, MODEL_OPTIONS, 'model option')) error(message)
  if (typeof config.table !== 'string' || !IDENTIFIER.test(config.table)) {
    error(`table must be a plain identifier (letters, digits, _), got ${JSON.stringify(config.table)}`)
  } else if (Buffer.byteLength(config.table) > TABLE_NAME_BYTES) {
    error(
      `table name "${config.table}" is longer than ${TABLE_NAME_BYTES} bytes, the longest any engine accepts (validateModel names each engine's limit)`,
    )
  }
  for (const option of ['auditTable', 'historyTable'] as const) {
    const name = config[option]
    if (name === undefined) continue
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      error(`${option} must be a plain identifier (letters, digits, _), got ${JSON.stringify(name)}`)
    } else if (Buffer.byteLength(name) > TABLE_NAME_BYTES) {
      error(`${option} "${name}" is longer than ${TABLE_NAME_BYTES} bytes`)
    } else if (name === config.table) {
      error(`${option} "${name}" is the model's own table`)
    }
  }
  if (config.auditTable !== undefined && config.auditTable === config.historyTable) {
    error(`auditTable and historyTable are both "${config.auditTable}"`)
  }
  if (config.schema !== undefined && (typeof config.schema !== 'string' || !IDENTIFIER.test(config.schema))) {
    error(`schema must be a plain identifier, got ${JSON.stringify(config.schema)}`)
  }
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
  const ACTOR = actorIdType.type

  const sys = (name: string, role: SystemRole, type: LogicalType, nullable: boolean, dflt?: SqlDefault): FieldDef => ({
    name,
    column: snakeCase(name),
    type,
    nullable,
    acceptsNull: nullable,
    optional: true,
    default: dflt,
    system: role,
    options: {},
  })
  const head: FieldDef[] = [sys('id', 'id', UUID, false)]
  if (tenantField) head.push(sys(tenantField, 'tenant', tenantIdType.type, false))
  const tail: FieldDef[] = []
  if (temporal === 'scd2') {
    tail.push(
      sys('version', 'version', { kind: 'integer', size: 'int' }, false),
      sys('validFrom', 'validFrom', TIMESTAMP, false),
      sys('validTo', 'validTo', TIMESTAMP, true),
    )
  }
  tail.push(
    sys('createdAt', 'createdAt', TIMESTAMP, false, { kind: 'now' }),
    sys('updatedAt', 'updatedAt', TIMESTAMP, false, { kind: 'now' }),
    sys('createdBy', 'createdBy', ACTOR, true),
    sys('updatedBy', 'updatedBy', ACTOR, true),
  )
  if (softDelete) tail.push(sys('deletedAt', 'deletedAt', TIMESTAMP, true), sys('deletedBy', 'deletedBy', ACTOR, true))
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
