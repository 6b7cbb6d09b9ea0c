/**
 * ff-storage: a type-safe data layer for PostgreSQL, MySQL/MariaDB and embedded PGlite.
 * Public exports only; see README.md and docs/ for the tour.
 *
 * @packageDocumentation
 */
// the layers above db/ add `db.repository(…)` and `db.scoped(…)` to Database when they load
import './repository/register.js'
import './query/register.js'

export { sql } from 'kysely'
export type { CacheStore } from './db/cache-store.js'
export type { CircuitBreakerOptions, CircuitSnapshot, CircuitState } from './db/circuit-breaker.js'
export { connect } from './db/connect.js'
export type { HealthReport, Query, Statement, StatementResult, TransactionOptions } from './db/database.js'
export { Database } from './db/database.js'
export type { DialectInfo } from './db/dialect-info.js'
export type { PoolStats } from './db/drivers/types.js'
export type { MetricsSnapshot } from './db/metrics.js'
export type { ConnectOptions, Logger, PoolOptions, RetryOptions } from './db/options.js'
export type { Capabilities, EngineName, SqlFamily } from './dialect/dialect.js'
export * from './errors.js'
export type {
  FieldDef,
  Model,
  ModelConfig,
  ModelDef,
  ModelIndex,
  ModelProblem,
  TemporalStrategy,
} from './model/define-model.js'
export { defineModel, isModel } from './model/define-model.js'
export type {
  FieldOptions,
  FieldSpec,
  IndexMethod,
  IndexOptions,
  ModelReference,
  ReferentialAction,
} from './model/field.js'
export { field } from './model/field.js'
export type { LogicalType, ScalarType } from './model/logical-type.js'
export type {
  ModelActorId,
  ModelInput,
  ModelKey,
  ModelPatch,
  ModelRecord,
  ModelTenantId,
} from './model/types.js'
export type {
  PreparedScopedQuery,
  ScopedArgExpressions,
  ScopedArgs,
  ScopedArgValues,
  ScopedOptions,
  ScopedQueryCreator,
  ScopedTables,
} from './query/types.js'
export type { CacheOptions, RedisLike } from './repository/cache.js'
export { memoryCache, redisCache } from './repository/cache.js'
export type {
  AuditEntry,
  CreateManyOptions,
  FieldAuditEntry,
  FieldFilter,
  ListOptions,
  ModelAuditEntry,
  OrderBy,
  Page,
  PageOptions,
  ReadOptions,
  RepositoryOptions,
  SetWriteOptions,
  StreamOptions,
  UpdateOptions,
  UpsertOptions,
  VersionComparison,
  VersionTimelineEntry,
  Where,
  WriteOptions,
} from './repository/repository.js'
export { Repository } from './repository/repository.js'
export type { OrderDirection } from './repository/where.js'
export type {
  CheckDesc,
  ColumnDesc,
  ForeignKeyDesc,
  IndexDesc,
  PrimaryKeyDesc,
  SchemaDesc,
  TableDesc,
  TableRole,
} from './schema/types.js'
export type { ValidateOptions } from './schema/validate-model.js'
export { validateModel } from './schema/validate-model.js'
export type { Id, ScopeOptions } from './scope/scope.js'
export type { Studio, StudioOptions } from './studio/serve.js'
export { serveStudio } from './studio/serve.js'
export type { Change, ChangeKind } from './sync/changes.js'
export type { PlanBlocker, PlanChange, SyncOptions, SyncResult } from './sync/schema-manager.js'
export { Plan, SchemaManager } from './sync/schema-manager.js'
export type { AuditOperation } from './temporal/requests.js'
