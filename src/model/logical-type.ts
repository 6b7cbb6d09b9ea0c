/**
 * What a column holds, independent of the engine. Dialects render it as a native type; the
 * repository uses it to encode values for binding and decode rows into model types.
 */
export type LogicalType =
  | {
      readonly kind: 'string'
      readonly maxLength?: number
      /** Compared exactly on every engine: no case folding, no trailing-space padding (text ids). */
      readonly exact?: boolean
    }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'date' }
  | { readonly kind: 'integer'; readonly size: 'int' | 'bigint' }
  | { readonly kind: 'float' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number; readonly asNumber: boolean }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'json' }
  | { readonly kind: 'array'; readonly element: ScalarType }
  | { readonly kind: 'native'; readonly sql: string; readonly value: LogicalType | undefined }

export type ScalarType = Extract<
  LogicalType,
  { kind: 'string' | 'uuid' | 'integer' | 'float' | 'bigint' | 'boolean' | 'timestamp' | 'date' | 'enum' | 'decimal' }
>
