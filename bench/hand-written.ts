import { randomUUID } from 'node:crypto'
import type { Database } from '../src/index.js'
import { columnsOf } from './common.js'

/**
 * The hand-written SQL a careful developer would write for each operation, with the same semantics
 * as the library's: same tenant and soft-delete predicates, same audit or history rows, one database
 * timestamp per operation, the same returned columns mapped to the same property names.
 */
type Strategy = 'none' | 'copy_on_change' | 'scd2'
const PROPS: Record<string, string> = {
  id: 'id',
  tenant_id: 'tenantId',
  name: 'name',
  age: 'age',
  price: 'price',
  version: 'version',
  valid_from: 'validFrom',
  valid_to: 'validTo',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  created_by: 'createdBy',
  updated_by: 'updatedBy',
  deleted_at: 'deletedAt',
  deleted_by: 'deletedBy',
}

export function handWritten(db: Database, table: string, strategy: Strategy) {
  const pg = db.dialect.family === 'postgres'
  const scd2 = strategy === 'scd2'
  const coc = strategy === 'copy_on_change'
  const cols = columnsOf(scd2)
  const list = cols.join(', ')
  const p = (i: number) => (pg ? `$${i}` : '?')
  const NOW = pg ? `date_trunc('milliseconds', statement_timestamp())` : 'NOW(3)'
  const run = (sql: string, parameters: unknown[]) => db.run({ sql, parameters })
  const map = (row: Record<string, unknown> | undefined) => {
    if (!row) return null
    const out: Record<string, unknown> = {}
    for (const c of cols) out[PROPS[c]!] = row[c]
    if (!pg && out.price !== null) out.price = String(out.price)
    return out
  }
  const audit = `${table}_audit`
  const history = `${table}_history`

  const get = async (id: string, tenant: string) =>
    map(
      (
        await run(`SELECT ${list} FROM ${table} WHERE id = ${p(1)} AND tenant_id = ${p(2)} AND deleted_at IS NULL`, [
          id,
          tenant,
        ])
      ).rows[0],
    )

  const listOlder = async (tenant: string, minAge: number) =>
    (
      await run(
        `SELECT ${list} FROM ${table} WHERE tenant_id = ${p(1)} AND deleted_at IS NULL AND age >= ${p(2)} ORDER BY created_at DESC, id DESC LIMIT 100`,
        [tenant, minAge],
      )
    ).rows.map(map)

  const create = async (tenant: string, actor: string, v: { name: string; age: number; price: string }) => {
    const id = randomUUID()
    if (pg) {
      const ins = `INSERT INTO ${table} (id, tenant_id, name, age, price, ${scd2 ? 'version, valid_from, ' : ''}created_at, updated_at, created_by, updated_by)
        VALUES ($1, $2, $3, $4, $5, ${scd2 ? `1, ${NOW}, ` : ''}${NOW}, ${NOW}, $6, $6) RETURNING ${list}`
      const sql = coc
        ? `WITH ins AS (${ins}), aud AS (INSERT INTO ${audit} (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
             SELECT ins.id, ins.tenant_id, x.f, NULL, x.n, 'INSERT', ins.created_at, ins.created_by, $7 FROM ins
             CROSS JOIN LATERAL (VALUES ('name', to_jsonb(ins.name)), ('age', to_jsonb(ins.age)), ('price', to_jsonb(ins.price::text))) AS x(f, n))
           SELECT * FROM ins`
        : ins
      return map((await run(sql, [id, tenant, v.name, v.age, v.price, actor, ...(coc ? [randomUUID()] : [])])).rows[0])
    }
    return db.transaction(async (tx) => {
      await tx.run({
        sql: `INSERT INTO ${table} (id, tenant_id, name, age, price, ${scd2 ? 'version, valid_from, ' : ''}created_at, updated_at, created_by, updated_by)
          VALUES (?, ?, ?, ?, ?, ${scd2 ? '1, NOW(3), ' : ''}NOW(3), NOW(3), ?, ?)`,
        parameters: [id, tenant, v.name, v.age, v.price, actor, actor],
      })
      const row = (await tx.run({ sql: `SELECT ${list} FROM ${table} WHERE id = ?`, parameters: [id] })).rows[0]!
      if (coc) {
        const t = randomUUID()
        await tx.run({
          sql: `INSERT INTO ${audit} (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
            VALUES (?, ?, 'name', NULL, ?, 'INSERT', ?, ?, ?), (?, ?, 'age', NULL, ?, 'INSERT', ?, ?, ?), (?, ?, 'price', NULL, ?, 'INSERT', ?, ?, ?)`,
          parameters: [
            id,
            tenant,
            JSON.stringify(v.name),
            row.created_at,
            actor,
            t,
            id,
            tenant,
            JSON.stringify(v.age),
            row.created_at,
            actor,
            t,
            id,
            tenant,
            JSON.stringify(String(row.price)),
            row.created_at,
            actor,
            t,
          ],
        })
      }
      return map(row)
    })
  }

  /** Change `age` (update) or set deleted_at (soft delete), with the strategy's audit or history rows. */
  const change = async (id: string, tenant: string, actor: string, what: { age: number } | 'delete') => {
    const del = what === 'delete'
    if (pg) {
      const params: unknown[] = [id, tenant, actor]
      const param = (v: unknown) => {
        params.push(v)
        return `$${params.length}`
      }
      const ts = scd2
        ? `GREATEST(${NOW}, old.valid_from + interval '1 millisecond')`
        : `GREATEST(${NOW}, old.updated_at)`
      const age = del ? '' : param(what.age)
      const set = del ? `deleted_at = ts.v, deleted_by = $3` : `age = ${age}`
      const changed = del ? 'true' : `old.age IS DISTINCT FROM ${age}`
      const parts = [
        `old AS (SELECT ${list} FROM ${table} WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR UPDATE)`,
        `ts AS (SELECT ${ts} AS v FROM old)`,
      ]
      if (scd2) {
        parts.push(
          `hist AS (INSERT INTO ${history} (${list}, closed_by) SELECT ${cols.map((c) => (c === 'valid_to' ? 'ts.v' : `old.${c}`)).join(', ')}, '${del ? 'DELETE' : 'UPDATE'}' FROM old, ts WHERE ${changed})`,
        )
      }
      parts.push(
        `upd AS (UPDATE ${table} AS u SET ${set}, updated_at = ts.v, updated_by = $3${scd2 ? ', version = old.version + 1, valid_from = ts.v' : ''} FROM old, ts WHERE u.id = old.id AND ${changed} RETURNING ${cols.map((c) => `u.${c}`).join(', ')})`,
      )
      if (coc) {
        const field = del
          ? `'deletedAt', to_jsonb(old.deleted_at), to_jsonb(upd.deleted_at)`
          : `'age', to_jsonb(old.age), to_jsonb(upd.age)`
        parts.push(
          `aud AS (INSERT INTO ${audit} (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id)
             SELECT upd.id, upd.tenant_id, ${field}, '${del ? 'DELETE' : 'UPDATE'}', ts.v, $3, ${param(randomUUID())} FROM upd, old, ts)`,
        )
      }
      return map((await run(`WITH ${parts.join(', ')} SELECT * FROM upd`, params)).rows[0])
    }
    return db.transaction(async (tx) => {
      const old = (
        await tx.run({
          sql: `SELECT ${list}, NOW(3) AS now FROM ${table} WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL FOR UPDATE`,
          parameters: [id, tenant],
        })
      ).rows[0]
      if (!old) return null
      let ts = old.now as Date
      const floor = scd2 ? (old.valid_from as Date).getTime() + 1 : (old.updated_at as Date).getTime()
      if (ts.getTime() < floor) ts = new Date(floor)
      if (scd2) {
        await tx.run({
          sql: `INSERT INTO ${history} (${list}, closed_by) VALUES (${cols.map(() => '?').join(', ')}, ?)`,
          parameters: [...cols.map((c) => (c === 'valid_to' ? ts : old[c])), del ? 'DELETE' : 'UPDATE'],
        })
      }
      const set = del ? 'deleted_at = ?, deleted_by = ?' : 'age = ?'
      const setValues = del ? [ts, actor] : [what.age]
      await tx.run({
        sql: `UPDATE ${table} SET ${set}, updated_at = ?, updated_by = ?${scd2 ? ', version = ?, valid_from = ?' : ''} WHERE id = ?`,
        parameters: [...setValues, ts, actor, ...(scd2 ? [Number(old.version) + 1, ts] : []), id],
      })
      const row = (await tx.run({ sql: `SELECT ${list} FROM ${table} WHERE id = ?`, parameters: [id] })).rows[0]!
      if (coc) {
        await tx.run({
          sql: `INSERT INTO ${audit} (record_id, tenant_id, field_name, old_value, new_value, operation, changed_at, changed_by, transaction_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          parameters: del
            ? [id, tenant, 'deletedAt', null, JSON.stringify(ts.toISOString()), 'DELETE', ts, actor, randomUUID()]
            : [id, tenant, 'age', JSON.stringify(old.age), JSON.stringify(what.age), 'UPDATE', ts, actor, randomUUID()],
        })
      }
      return map(row)
    })
  }

  /** The version of one record at an instant: current row, or the newest history row started by then. */
  const getAsOf = async (id: string, tenant: string, at: Date) => {
    const sql = `SELECT ${list} FROM ${table} WHERE id = ${p(1)} AND tenant_id = ${p(2)} AND valid_from <= ${p(3)} AND deleted_at IS NULL
      UNION ALL SELECT * FROM (SELECT ${list} FROM ${history} WHERE id = ${p(4)} AND valid_from <= ${p(5)} ORDER BY valid_from DESC LIMIT 1) v
      WHERE v.valid_to > ${p(6)} AND v.tenant_id = ${p(7)} AND v.deleted_at IS NULL`
    return map((await run(sql, [id, tenant, at, id, at, at, tenant])).rows[0])
  }

  const listAsOf = async (tenant: string, at: Date) => {
    const sql = `SELECT * FROM (SELECT ${list} FROM ${table} WHERE valid_from <= ${p(1)}
      UNION ALL SELECT ${list} FROM ${history} WHERE valid_from <= ${p(2)} AND valid_to > ${p(3)}) r
      WHERE r.tenant_id = ${p(4)} AND r.deleted_at IS NULL ORDER BY r.created_at DESC, r.id DESC LIMIT 100`
    return (await run(sql, [at, at, at, tenant])).rows.map(map)
  }

  /**
   * A hand-written bulk insert in batches: multi-row VALUES, or on PostgreSQL `unnest` of one array
   * per column (the fastest form there); `returning` gives the rows back as createMany does.
   */
  const bulkInsert = async (
    tenant: string,
    actor: string,
    rows: { name: string; age: number; price: string }[],
    mode: { unnest?: boolean; returning?: boolean } = {},
    batch = 1000,
  ) => {
    const out: unknown[] = []
    const columns = 'id, tenant_id, name, age, price, created_at, updated_at, created_by, updated_by'
    const returning = mode.returning ? (pg ? ` RETURNING ${list}` : '') : ''
    for (let i = 0; i < rows.length; i += batch) {
      const chunk = rows.slice(i, i + batch)
      await db.transaction(async (tx) => {
        if (pg && mode.unnest) {
          const ids = chunk.map(() => randomUUID())
          const { rows: got } = await tx.run({
            sql: `INSERT INTO ${table} (${columns}) SELECT u.id, $2, u.name, u.age, u.price, ${NOW}, ${NOW}, $3, $3
              FROM unnest($1::uuid[], $4::varchar[], $5::int[], $6::numeric[]) AS u(id, name, age, price)${returning}`,
            parameters: [
              ids,
              tenant,
              actor,
              chunk.map((r) => r.name),
              chunk.map((r) => r.age),
              chunk.map((r) => r.price),
            ],
          })
          out.push(...got.map(map))
          return
        }
        const params: unknown[] = []
        const ids: string[] = []
        const values = chunk.map((r) => {
          const id = randomUUID()
          ids.push(id)
          params.push(id, tenant, r.name, r.age, r.price, actor, actor)
          const base = params.length - 7
          const q = (k: number) => (pg ? `$${base + k}` : '?')
          return `(${q(1)}, ${q(2)}, ${q(3)}, ${q(4)}, ${q(5)}, ${NOW}, ${NOW}, ${q(6)}, ${q(7)})`
        })
        const { rows: got } = await tx.run({
          sql: `INSERT INTO ${table} (${columns}) VALUES ${values.join(', ')}${returning}`,
          parameters: params,
        })
        if (mode.returning && !pg) {
          const again = await tx.run({
            sql: `SELECT ${list} FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`,
            parameters: ids,
          })
          out.push(...again.rows.map(map))
        } else out.push(...got.map(map))
      })
    }
    return out
  }

  return { get, listOlder, create, change, getAsOf, listAsOf, bulkInsert }
}
