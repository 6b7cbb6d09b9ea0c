/**
 * A one-dimensional array parameter as PostgreSQL's array text (`{"a","b",NULL}`), built here because
 * it is cheaper than the drivers' general serializers; arrays of anything other than strings,
 * numbers, booleans and nulls are left to the driver.
 */
export function arrayLiteral(values: readonly unknown[]): string | readonly unknown[] {
  const parts = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) parts[i] = 'NULL'
    else if (typeof v === 'string') {
      parts[i] = v.includes('"') || v.includes('\\') ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') parts[i] = String(v)
    else if (typeof v === 'boolean') parts[i] = v ? 't' : 'f'
    else return values
  }
  return `{${parts.join(',')}}`
}
