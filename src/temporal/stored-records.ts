import type { ModelContext } from '../mapping/model-context.js'
import type { FieldDef } from '../model/define-model.js'
import type { Id } from '../scope/scope.js'

/**
 * The records an INSERT of `rows` stored, written out here instead of read back (for many rows, the
 * returned rows cost more than the insert), or undefined when some column's stored value cannot be
 * known without reading it: a database default, a native type, jsonb. `ts` is the operation's
 * timestamp from the database; the records are decoded as if read back.
 */
export function storedRecords(
  ctx: ModelContext,
  rows: readonly ReadonlyMap<FieldDef, unknown>[],
  actor: Id | null,
): ((ts: Date) => Record<string, unknown>[]) | undefined {
  const { dialect } = ctx
  const codec = dialect.codec
  for (const f of ctx.columns) {
    if (f.system && f.system !== 'id' && f.system !== 'tenant') continue
    if (!dialect.codec.readsBackAsBound(f) || !rows.every((r) => r.has(f))) return undefined
  }
  const lower = dialect.uuidsReadBackLowerCase
  // per column, where its value comes from: resolved once, not per row
  const FROM_ROW = 0
  const TS = 1
  const ACTOR = 2
  const ONE = 3
  const NULL = 4
  const UUID = 5
  const fields = ctx.columns
  const sources = fields.map((f) => {
    switch (f.system) {
      case 'createdAt':
      case 'updatedAt':
      case 'validFrom':
        return TS
      case 'createdBy':
      case 'updatedBy':
        return ACTOR
      case 'version':
        return ONE
      case 'deletedAt':
      case 'deletedBy':
      case 'validTo':
        return NULL
      default:
        return lower && f.type.kind === 'uuid' ? UUID : FROM_ROW
    }
  })
  const actorValue = lower && typeof actor === 'string' ? actor.toLowerCase() : actor
  // every record gets Date objects of its own, as records read back do
  return (ts) => {
    const time = ts.getTime()
    const out = new Array<Record<string, unknown>>(rows.length)
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!
      const record = { ...ctx.recordTemplate }
      for (let c = 0; c < fields.length; c++) {
        const f = fields[c]!
        let value: unknown
        switch (sources[c]) {
          case TS:
            value = new Date(time)
            break
          case ACTOR:
            value = actorValue
            break
          case ONE:
            value = 1
            break
          case NULL:
            value = null
            break
          case UUID:
            value = row.get(f)
            if (typeof value === 'string') value = value.toLowerCase()
            break
          default:
            value = row.get(f)
            if (value instanceof Date) value = new Date(value.getTime())
        }
        record[f.name] = codec.decode(f, value)
      }
      out[r] = record
    }
    return out
  }
}
