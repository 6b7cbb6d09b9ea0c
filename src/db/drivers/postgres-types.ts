/**
 * Text-format value parsers for both PostgreSQL paths (pg and PGlite), so they return the same JS
 * types: int8 as an exact bigint, dates as 'YYYY-MM-DD' (no local-time Date), and timestamps without
 * time zone read as UTC.
 */
export const POSTGRES_PARSERS: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  20: (text: string) => BigInt(text),
  1082: (text: string) => text,
  1114: (text: string) => new Date(`${text.replace(' ', 'T')}Z`),
})
