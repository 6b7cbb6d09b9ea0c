import type { Metrics } from '../db/metrics.js'
import type { Model } from '../model/define-model.js'
import { Repository } from './repository.js'

/** The repository operations timed by model and operation (`ff_storage_operation_duration_seconds`). */
const OPERATIONS = new Set([
  'create',
  'createMany',
  'update',
  'delete',
  'restore',
  'purge',
  'transferOwnership',
  'updateMany',
  'deleteMany',
  'restoreMany',
  'upsert',
  'get',
  'getMany',
  'list',
  'count',
  'page',
  'getAuditHistory',
  'getFieldHistory',
  'getChangesByUser',
  'getStateAt',
  'getVersionHistory',
  'getVersion',
  'getCurrentVersion',
  'getVersionCount',
  'getVersionTimeline',
  'compareVersions',
  'revertTo',
])

const INNER = Symbol('ff-storage.inner')
const METRICS = Symbol('ff-storage.metrics')
interface Observed {
  readonly [INNER]: { readonly model: Model }
  readonly [METRICS]: Metrics
}
type Method = (...args: unknown[]) => Promise<unknown>

async function timed(self: Observed, operation: string, method: Method, args: unknown[]): Promise<unknown> {
  const inner = self[INNER]
  const series = self[METRICS].operationSeries(inner.model.def.table, operation)
  const started = performance.now()
  try {
    const result = await method.apply(inner, args)
    series.ok.observe((performance.now() - started) / 1000)
    return result
  } catch (error) {
    series.error.observe((performance.now() - started) / 1000)
    throw error
  }
}

/**
 * Built once: every member of Repository forwards to the repository it wraps, and the operations
 * in OPERATIONS are timed by model and operation on the way (a repository's own calls of its
 * operations, such as restore's get, are not counted twice). A repository costs one Object.create;
 * an operation one extra call, where a Proxy cost a trap and a fresh closure per call.
 */
const OBSERVED_PROTOTYPE: object = (() => {
  const proto = Object.create(Repository.prototype) as Record<PropertyKey, unknown>
  for (const key of Reflect.ownKeys(Repository.prototype)) {
    if (key === 'constructor') continue
    const d = Object.getOwnPropertyDescriptor(Repository.prototype, key)!
    if (typeof d.value === 'function') {
      const method = d.value as Method
      const name = String(key)
      const value = OPERATIONS.has(name)
        ? function (this: Observed, ...args: unknown[]) {
            return timed(this, name, method, args)
          }
        : function (this: Observed, ...args: unknown[]) {
            return method.apply(this[INNER], args)
          }
      Object.defineProperty(proto, key, { value, writable: true, configurable: true })
    } else if (d.get) {
      const get = d.get
      Object.defineProperty(proto, key, {
        get(this: Observed) {
          return get.call(this[INNER])
        },
        configurable: true,
      })
    }
  }
  Object.defineProperty(proto, 'model', {
    get(this: Observed) {
      return this[INNER].model
    },
    configurable: true,
  })
  return proto
})()

/** Times every repository operation by model and operation (latency histogram, outcome). */
export function observed<R extends object>(repository: R, metrics: Metrics): R {
  return Object.create(OBSERVED_PROTOTYPE, {
    [INNER]: { value: repository },
    [METRICS]: { value: metrics },
  }) as R
}
