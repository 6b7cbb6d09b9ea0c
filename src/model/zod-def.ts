import type { z } from 'zod'

/** The parts of `schema._zod.def` that ff-storage reads (Zod is read, never patched). */
export interface ZodDef {
  readonly type: string
  readonly innerType?: z.ZodType
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[]
  readonly format?: string
  readonly entries?: Record<string, string | number>
  readonly values?: readonly unknown[]
  readonly element?: z.ZodType
  readonly options?: readonly z.ZodType[]
  readonly in?: z.ZodType
  readonly out?: z.ZodType
  readonly defaultValue?: unknown
  readonly getter?: () => z.ZodType
  readonly shape?: Record<string, z.ZodType>
  readonly catchall?: z.ZodType
  readonly valueType?: z.ZodType
  readonly items?: readonly z.ZodType[]
  readonly rest?: z.ZodType | null
  readonly left?: z.ZodType
  readonly right?: z.ZodType
}

export interface CheckDef {
  readonly check: string
  readonly maximum?: number
  readonly minimum?: number
  readonly length?: number
  readonly value?: number | bigint
  readonly inclusive?: boolean
  readonly format?: string
}

/** A schema's def: what Zod keeps of how it was built. */
export const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def

/** The checks of a schema (`.max()`, `.int()`, …), as their defs. */
export function checks(def: ZodDef): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def)
}
