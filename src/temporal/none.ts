import type { ModelContext } from '../mapping/model-context.js'
import type { Strategy } from './strategy.js'

/**
 * temporal: 'none' — a write writes the row and nothing else: insert it, or lock it, change it in
 * place (updated at/by), or delete it. A change never takes a time before the row's last change.
 */
export function none(ctx: ModelContext): Strategy {
  const updatedAt = ctx.def.roles.updatedAt
  return {
    inserted: () => [],
    floorSql: (column) => column(updatedAt),
    floorOf: (locked) => (locked[updatedAt.column] as Date).getTime(),
    versionSets: () => [],
    versionValues: () => [],
    audited: false,
    trails: [],
  }
}
