/** Moved to scd2-history.ts (kept for src/query/plugin.ts until its import switches). */
export { asOfCandidates, correlatedVersions, versionsAt } from './scd2-history.js'
