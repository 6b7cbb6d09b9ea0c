import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type {
  Database,
  FieldAuditEntry,
  Model,
  ModelAuditEntry,
  ModelRecord,
  Repository,
  VersionTimelineEntry,
} from '../../src/index.js'
import { defineModel } from '../../src/index.js'
import type { RepositoryFor, StrategyOf } from '../../src/repository/types.js'

const fields = { name: z.string(), age: z.int().optional() }
const Plain = defineModel({ table: 'plain', fields })
const NoneSaid = defineModel({ table: 'none_said', temporal: 'none', fields })
const Audited = defineModel({ table: 'audited', temporal: 'copy_on_change', fields })
const Versioned = defineModel({ table: 'versioned', temporal: 'scd2', fields })

declare const db: Database
declare const id: string
/** What `db.repository(Model, scope)` returns: typed by strategy. */
const repo = <M extends Model>(model: M): RepositoryFor<M> => db.repository(model, { tenantId: 't' as never })

describe('repository types by temporal strategy (issue #15)', () => {
  it("db.repository() returns the repository of the model's strategy", () => {
    expectTypeOf(db.repository(Plain, { tenantId: 't' })).toEqualTypeOf<RepositoryFor<typeof Plain>>()
    expectTypeOf(db.repository(Audited, { tenantId: 't' })).not.toHaveProperty('getVersionHistory')
    expectTypeOf(db.repository(Versioned, { tenantId: 't' })).not.toHaveProperty('getAuditHistory')
    expectTypeOf(db.repository(Versioned, { tenantId: 't' })).toHaveProperty('revertTo')
  })

  it('reads the strategy from the model type', () => {
    expectTypeOf<StrategyOf<typeof Plain>>().toEqualTypeOf<'none'>()
    expectTypeOf<StrategyOf<typeof NoneSaid>>().toEqualTypeOf<'none'>()
    expectTypeOf<StrategyOf<typeof Audited>>().toEqualTypeOf<'copy_on_change'>()
    expectTypeOf<StrategyOf<typeof Versioned>>().toEqualTypeOf<'scd2'>()
    expectTypeOf<StrategyOf<Model>>().toEqualTypeOf<'none' | 'copy_on_change' | 'scd2'>()
  })

  it('a none repository offers neither the audit trail nor versions', async () => {
    const r = repo(Plain)
    expectTypeOf(await r.get(id)).toEqualTypeOf<ModelRecord<typeof Plain> | null>()
    expectTypeOf(await r.count()).toEqualTypeOf<number>()
    expectTypeOf(r).not.toHaveProperty('getAuditHistory')
    expectTypeOf(r).not.toHaveProperty('getStateAt')
    expectTypeOf(r).not.toHaveProperty('getVersionHistory')
    expectTypeOf(r).not.toHaveProperty('revertTo')
    expectTypeOf(repo(NoneSaid)).not.toHaveProperty('getFieldHistory')
    // @ts-expect-error no audit trail on a none model
    await r.getAuditHistory(id)
    // @ts-expect-error no versions on a none model
    await r.getVersion(id, 1)
  })

  it('a copy_on_change repository offers the audit trail, not versions', async () => {
    const r = repo(Audited)
    expectTypeOf(await r.getAuditHistory(id)).toEqualTypeOf<ModelAuditEntry<typeof Audited>[]>()
    expectTypeOf(await r.getFieldHistory(id, 'age')).toEqualTypeOf<FieldAuditEntry<typeof Audited, 'age'>[]>()
    expectTypeOf(await r.getStateAt(id, new Date())).toEqualTypeOf<ModelRecord<typeof Audited> | null>()
    expectTypeOf(r).toHaveProperty('getChangesByUser')
    expectTypeOf(r).not.toHaveProperty('getVersionHistory')
    expectTypeOf(r).not.toHaveProperty('compareVersions')
    // @ts-expect-error versions are scd2's
    await r.getVersionHistory(id)
  })

  it('an scd2 repository offers versions, not the audit trail', async () => {
    const r = repo(Versioned)
    expectTypeOf(await r.getVersionHistory(id)).toEqualTypeOf<ModelRecord<typeof Versioned>[]>()
    expectTypeOf(await r.getVersionTimeline(id)).toEqualTypeOf<VersionTimelineEntry[]>()
    expectTypeOf(await r.revertTo(id, 1)).toEqualTypeOf<ModelRecord<typeof Versioned>>()
    expectTypeOf(r).toHaveProperty('getCurrentVersion')
    expectTypeOf(r).not.toHaveProperty('getAuditHistory')
    // @ts-expect-error the audit trail is copy_on_change's
    await r.getStateAt(id, new Date())
  })

  it('keeps every write and read of the core on every strategy', () => {
    for (const r of [repo(Plain), repo(Audited), repo(Versioned)]) {
      expectTypeOf(r).toHaveProperty('create')
      expectTypeOf(r).toHaveProperty('updateMany')
      expectTypeOf(r).toHaveProperty('page')
      expectTypeOf(r).toHaveProperty('stream')
    }
  })

  it('a model whose strategy is not known statically keeps every method (checked at run time)', () => {
    expectTypeOf<RepositoryFor<Model>>().toEqualTypeOf<Repository<Model>>()
    expectTypeOf<RepositoryFor<typeof Audited | typeof Versioned>>().toEqualTypeOf<
      Repository<typeof Audited | typeof Versioned>
    >()
    // a full repository is usable where a strategy's repository is expected
    expectTypeOf<Repository<typeof Audited>>().toExtend<RepositoryFor<typeof Audited>>()
  })
})

describe('repository options typed by the model (tenantIdType / actorIdType)', () => {
  const Big = defineModel({ table: 'big_ids', tenantIdType: z.bigint(), actorIdType: z.bigint(), fields })
  const Text = defineModel({ table: 'text_ids', tenantIdType: z.string().max(64), fields })

  it('takes tenant and user ids of the model type', () => {
    db.repository(Big, { tenantId: 7n, userId: 9n })
    db.repository(Big, { tenantIds: [1n, 2n] })
    db.repository(Text, { tenantId: 'org_2ab' })
    db.repository(Plain, { tenantId: '0190a000-0000-7000-8000-000000000001' })
    // @ts-expect-error a bigint model takes bigint tenant ids
    db.repository(Big, { tenantId: 'org_2ab' })
    // @ts-expect-error a bigint actor
    db.repository(Big, { tenantId: 1n, userId: 'u' })
    // @ts-expect-error a text model takes text tenant ids
    db.repository(Text, { tenantId: 7n })
  })
})
