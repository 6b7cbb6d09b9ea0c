import { z } from 'zod'
import { normalizeUuid } from '../ids.js'
import type { LogicalType } from './logical-type.js'
import { analyzeZod, ModelDefinitionError } from './zod-types.js'

/**
 * The type of tenant ids (`tenantIdType`) or actor ids (`actorIdType`): UUIDs by default, text ids
 * such as Clerk's 'org_2ab…' or Auth0's 'auth0|123', or integer ids. Text ids compare exactly on
 * every engine: no case folding and no trailing-space padding (`exact` string columns).
 */
export interface IdType {
  readonly kind: 'uuid' | 'text' | 'integer'
  /** The column type in every table the id appears in (main, audit, history). */
  readonly type: LogicalType
  /** Validates a value given as an id (scope, create input, transfer, getChangesByUser). */
  readonly schema: z.ZodType
  /** 'a UUID', 'a text id of at most 64 characters', 'an integer id': for messages. */
  readonly description: string
}

/** The longest text id: (tenant, value) index keys stay within every engine's key length. */
const MAX_TEXT_ID = 255

export const UUID_ID: IdType = Object.freeze<IdType>({
  kind: 'uuid',
  type: { kind: 'uuid' },
  schema: z.uuid(),
  description: 'a UUID',
})

/** Read a `tenantIdType` / `actorIdType` option; throws ModelDefinitionError naming the option. */
export function resolveIdType(option: string, schema: unknown): IdType {
  if (schema === undefined) return UUID_ID
  if (isZod3(schema)) throw new ModelDefinitionError(zod3Message(option))
  if (!schema || typeof schema !== 'object' || !('_zod' in schema)) {
    throw new ModelDefinitionError(`${option} must be a Zod schema such as z.uuid(), z.string().max(64) or z.bigint()`)
  }
  const column = analyzeZod(option, schema as z.ZodType, {})
  // `.optional()` makes it nullable, `.default()` optional
  if (column.nullable || column.optional) {
    throw new ModelDefinitionError(`${option}: an id type cannot be optional, nullable or defaulted`)
  }
  const t = column.type
  switch (t.kind) {
    case 'uuid':
      return Object.freeze({ ...UUID_ID, schema: schema as z.ZodType })
    case 'string':
      if (t.maxLength === undefined || t.maxLength > MAX_TEXT_ID) {
        throw new ModelDefinitionError(
          `${option}: text ids need a maximum length of at most ${MAX_TEXT_ID}, e.g. z.string().max(64)`,
        )
      }
      return Object.freeze<IdType>({
        kind: 'text',
        type: { kind: 'string', maxLength: t.maxLength, exact: true },
        schema: schema as z.ZodType,
        description: `a text id of at most ${t.maxLength} characters`,
      })
    case 'bigint':
    case 'integer':
      return Object.freeze<IdType>({
        kind: 'integer',
        type: t.kind === 'bigint' ? { kind: 'bigint' } : { kind: 'integer', size: 'bigint' },
        schema: schema as z.ZodType,
        description: t.kind === 'bigint' ? 'a bigint id' : 'an integer id',
      })
    default:
      throw new ModelDefinitionError(
        `${option}: ids are UUIDs, text with a maximum length or integers (z.uuid(), z.string().max(64), z.bigint()); got ${t.kind}`,
      )
  }
}

/**
 * An id from a caller in the form the library stores and compares, or undefined when it is not an id
 * of this type: UUIDs in lower case (normalizeUuid), text and integer ids exactly as given (text ids
 * are case-sensitive: 'Org_1' and 'org_1' are two tenants).
 */
export function normalizeId(idType: IdType, value: unknown): string | bigint | number | undefined {
  if (idType.kind === 'uuid') return normalizeUuid(value)
  return idType.schema.safeParse(value).success ? (value as string | bigint | number) : undefined
}

/** An id in messages: bigints print without JSON's refusal. */
export function showId(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
}

/** A schema made by Zod 3 (`_def` and no `_zod`), which ff-storage cannot read. */
export function isZod3(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && '_def' in schema && !('_zod' in schema)
}

export function zod3Message(what: string): string {
  return `ff-storage needs Zod 4, and ${what} ${what.includes(',') || what.startsWith('fields') ? 'are' : 'is'} a Zod 3 schema: install zod@^4 (npm install zod@^4), or with zod 3.25 import { z } from 'zod/v4'`
}
