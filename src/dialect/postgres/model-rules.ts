import type { ModelRules } from '../model-rules.js'

/** PostgreSQL runs every model option; only its 63-byte identifiers limit a model. */
export const postgresModelRules: ModelRules = Object.freeze({
  title: 'PostgreSQL',
  tableNameBytes: 63,
  problems: () => [],
})
