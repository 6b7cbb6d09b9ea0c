// ff-storage history studio: Preact + htm, served as plain ESM (no build step, nothing from a CDN).
import htm from 'htm'
import { h, render } from 'preact'
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'

const html = htm.bind(h)

async function api(path, params = {}, init = {}) {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v))
  const res = await fetch(`./api/${path}${qs.size ? `?${qs}` : ''}`, init)
  const body = await res.json()
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
  return body
}
const post = (path, params) => api(path, params, { method: 'POST', headers: { 'x-ff-studio': '1', 'content-type': 'application/json' }, body: '{}' })

const isDate = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)
const fmtTime = (v) => new Date(v).toISOString().replace('T', ' ').replace('Z', '')
function show(v) {
  if (v === null || v === undefined) return '∅'
  if (isDate(v)) return fmtTime(v)
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
const short = (id) => (typeof id === 'string' && id.length > 12 ? `${id.slice(0, 8)}…` : show(id))
const SYSTEM_HIDDEN = new Set(['tenantId', 'createdBy', 'updatedBy', 'deletedBy', 'validTo'])
const OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'isNull']

function coerce(kind, op, text) {
  if (op === 'isNull') return text !== 'false'
  if (['integer', 'float'].includes(kind)) return Number(text)
  if (kind === 'boolean') return text === 'true'
  return text
}

function App() {
  const [meta, setMeta] = useState(null)
  const [error, setError] = useState(null)
  const [tenant, setTenant] = useState('')
  const [table, setTable] = useState('')
  const [counts, setCounts] = useState({})
  const [range, setRange] = useState(null)
  const [asOf, setAsOf] = useState(null) // null: now
  const [selected, setSelected] = useState(null)
  const [refresh, setRefresh] = useState(0)

  const fail = useCallback((e) => setError(e.message), [])
  useEffect(() => {
    api('meta')
      .then((m) => {
        setMeta(m)
        setTenant(m.tenants[0] ?? '')
        setTable((m.models.find((x) => x.temporal !== 'none') ?? m.models[0])?.table ?? '')
      })
      .catch(fail)
  }, [])
  const model = meta?.models.find((m) => m.table === table)
  const needsTenant = model?.multiTenant
  useEffect(() => {
    if (meta) api('counts', { tenant }).then(setCounts).catch(fail)
  }, [meta, tenant, refresh])
  useEffect(() => {
    setSelected(null)
    setAsOf(null)
    if (model && (!needsTenant || tenant))
      api(`models/${table}/range`, { tenant })
        .then((r) => setRange({ from: r.from ? Date.parse(r.from) : Date.now(), to: Date.parse(r.to) }))
        .catch(fail)
  }, [table, tenant])

  if (!meta) return html`${error ? html`<div class="error">${error}</div>` : html`<p class="loading">Loading…</p>`}`
  const temporal = model?.temporal
  const timeTravel = temporal === 'scd2' || temporal === 'copy_on_change'
  const ctx = { meta, model, tenant, asOf, setAsOf, fail, refresh, bump: () => setRefresh((n) => n + 1) }
  return html`
    <header>
      <h1>ff-storage studio</h1>
      <label>Model
        <select data-testid="model-select" value=${table} onChange=${(e) => setTable(e.currentTarget.value)}>
          ${meta.models.map((m) => html`<option value=${m.table}>${m.table}</option>`)}
        </select>
      </label>
      <label>Tenant
        <select data-testid="tenant-select" value=${tenant} onChange=${(e) => setTenant(e.currentTarget.value)}>
          ${meta.tenants.map((t) => html`<option value=${t}>${t}</option>`)}
        </select>
      </label>
      ${
        timeTravel && range
          ? html`<div class="slider">
              <span class="muted">As of</span>
              <input type="range" data-testid="time-slider" min=${range.from} max=${range.to} step="1"
                value=${asOf ?? range.to}
                onInput=${(e) => {
                  const v = Number(e.currentTarget.value)
                  setAsOf(v >= range.to ? null : v)
                }} />
              <span class="when" data-testid="as-of">${asOf === null ? 'now' : fmtTime(asOf)}</span>
              <button data-testid="now" disabled=${asOf === null} onClick=${() => setAsOf(null)}>Now</button>
            </div>`
          : html`<span class="muted">${model ? `${temporal}: no history to travel` : ''}</span>`
      }
      <span class="badge ${meta.allowWrites ? 'rw' : 'ro'}" data-testid="mode">${meta.allowWrites ? `writes as ${short(meta.actor)}` : 'read-only'}</span>
    </header>
    ${error ? html`<div class="error" data-testid="error" onClick=${() => setError(null)}>${error}</div>` : null}
    <main>
      <section class="models">
        <h2>Models</h2>
        ${meta.models.map(
          (m) => html`<button data-testid=${`model-${m.table}`} class=${m.table === table ? 'active' : ''} onClick=${() => setTable(m.table)}>
            <span>${m.table}<br /><span class="strategy">${m.temporal}</span></span>
            <span class="badge" data-testid=${`count-${m.table}`}>${counts[m.table] ?? '–'}</span>
          </button>`,
        )}
        ${model?.temporal === 'copy_on_change' ? html`<${UserChanges} ...${ctx} onOpen=${setSelected} />` : null}
      </section>
      ${model && (!needsTenant || tenant) ? html`<${RecordList} key=${`${table}:${tenant}`} ...${ctx} selected=${selected} onOpen=${setSelected} />` : html`<section>Pick a tenant.</section>`}
      ${selected ? html`<${RecordView} key=${`${table}:${selected}`} ...${ctx} id=${selected} />` : html`<section class="muted">Open a record to see its state and history.</section>`}
    </main>`
}

function RecordList({ model, tenant, asOf, fail, selected, onOpen, refresh }) {
  const [filter, setFilter] = useState({ field: '', op: 'eq', value: '' })
  const [where, setWhere] = useState(undefined)
  const [includeDeleted, setIncludeDeleted] = useState(false)
  const [cursors, setCursors] = useState([null]) // the cursor of each page shown so far
  const [page, setPage] = useState(null)
  const after = cursors[cursors.length - 1]
  const columns = useMemo(() => model.fields.filter((f) => !SYSTEM_HIDDEN.has(f.name) && f.name !== 'id').slice(0, 6), [model])
  useEffect(() => setCursors([null]), [where, includeDeleted, asOf])
  useEffect(() => {
    const t = setTimeout(() => {
      api(`models/${model.table}/records`, {
        tenant,
        after,
        limit: 25,
        where: where && JSON.stringify(where),
        includeDeleted: includeDeleted || undefined,
        asOf: asOf === null ? undefined : new Date(asOf).toISOString(),
      })
        .then(setPage)
        .catch(fail)
    }, 60)
    return () => clearTimeout(t)
  }, [after, where, includeDeleted, asOf, refresh])
  const apply = (e) => {
    e.preventDefault()
    if (!filter.field) return setWhere(undefined)
    const kind = model.fields.find((f) => f.name === filter.field)?.kind
    setWhere({ [filter.field]: { [filter.op]: coerce(kind, filter.op, filter.value) } })
  }
  return html`<section>
    <h2>Records ${asOf !== null ? html`<span class="badge" data-testid="list-as-of">as of ${fmtTime(asOf)}</span>` : null}</h2>
    <form class="filters" onSubmit=${apply}>
      <select data-testid="filter-field" value=${filter.field} onChange=${(e) => setFilter({ ...filter, field: e.currentTarget.value })}>
        <option value="">(no filter)</option>
        ${model.fields.filter((f) => !['json', 'array'].includes(f.kind)).map((f) => html`<option value=${f.name}>${f.name}</option>`)}
      </select>
      <select data-testid="filter-op" value=${filter.op} onChange=${(e) => setFilter({ ...filter, op: e.currentTarget.value })}>
        ${OPS.map((o) => html`<option value=${o}>${o}</option>`)}
      </select>
      <input type="text" data-testid="filter-value" placeholder="value" value=${filter.value} onInput=${(e) => setFilter({ ...filter, value: e.currentTarget.value })} />
      <button class="primary" data-testid="filter-apply" type="submit">Filter</button>
      ${model.softDelete ? html`<label class="muted"><input type="checkbox" data-testid="include-deleted" checked=${includeDeleted} onChange=${(e) => setIncludeDeleted(e.currentTarget.checked)} /> deleted too</label>` : null}
    </form>
    <table data-testid="records">
      <thead><tr><th>id</th>${columns.map((c) => html`<th>${c.name}</th>`)}</tr></thead>
      <tbody>
        ${(page?.records ?? []).map(
          (r) => html`<tr data-testid="record-row" data-id=${r.id} class="rec ${r.id === selected ? 'active' : ''} ${r.deletedAt ? 'deleted' : ''}" onClick=${() => onOpen(r.id)}>
            <td><code>${short(r.id)}</code></td>
            ${columns.map((c) => html`<td>${show(r[c.name])}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
    ${page && page.records.length === 0 ? html`<p class="muted" data-testid="no-records">No records.</p>` : null}
    <div class="pager">
      <button data-testid="page-first" disabled=${cursors.length === 1} onClick=${() => setCursors([null])}>First</button>
      <button data-testid="page-prev" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
      <span data-testid="page-number">page ${cursors.length}</span>
      <button data-testid="page-next" disabled=${!page?.next} onClick=${() => setCursors([...cursors, page.next])}>Next</button>
    </div>
  </section>`
}

function RecordView({ meta, model, tenant, id, asOf, setAsOf, fail, bump, refresh }) {
  const [record, setRecord] = useState(undefined)
  const [tab, setTab] = useState(model.temporal === 'scd2' ? 'versions' : model.temporal === 'copy_on_change' ? 'audit' : 'state')
  const [history, setHistory] = useState(null)
  const [message, setMessage] = useState(null)
  const at = asOf === null ? undefined : new Date(asOf).toISOString()
  useEffect(() => {
    const t = setTimeout(() => api(`models/${model.table}/records/${id}`, { tenant, asOf: at }).then((b) => setRecord(b.record)).catch(fail), 60)
    return () => clearTimeout(t)
  }, [id, at, refresh])
  useEffect(() => {
    if (model.temporal === 'copy_on_change') api(`models/${model.table}/records/${id}/audit`, { tenant }).then((b) => setHistory(b.transactions)).catch(fail)
    if (model.temporal === 'scd2') api(`models/${model.table}/records/${id}/versions`, { tenant }).then((b) => setHistory(b.versions)).catch(fail)
  }, [id, refresh])
  const write = (path, params, done) =>
    post(`models/${model.table}/records/${id}/${path}`, { tenant, ...params })
      .then(() => {
        setMessage(done)
        bump()
      })
      .catch(fail)
  const fields = model.fields.filter((f) => f.name !== 'tenantId')
  return html`<section data-testid="record-view">
    <h2>Record <code>${id}</code> ${asOf !== null ? html`<span class="badge">as of ${fmtTime(asOf)}</span>` : null}</h2>
    ${message ? html`<p class="badge rw" data-testid="write-done">${message}</p>` : null}
    ${
      record === null
        ? html`<p class="muted" data-testid="record-absent">The record did not exist at this instant.</p>`
        : record
          ? html`<table data-testid="record-state"><tbody>
              ${fields.map((f) => html`<tr data-field=${f.name}><th>${f.name}</th><td data-testid=${`value-${f.name}`}>${show(record[f.name])}</td></tr>`)}
            </tbody></table>`
          : html`<p class="loading">Loading…</p>`
    }
    ${
      meta.allowWrites && record?.deletedAt && asOf === null
        ? html`<p><button class="primary" data-testid="restore" onClick=${() => write('restore', {}, 'Restored')}>Restore</button></p>`
        : null
    }
    <div class="tabs">
      ${model.temporal === 'copy_on_change' ? html`<button data-testid="tab-audit" class=${tab === 'audit' ? 'active' : ''} onClick=${() => setTab('audit')}>Audit trail</button>` : null}
      ${model.temporal === 'scd2' ? html`<button data-testid="tab-versions" class=${tab === 'versions' ? 'active' : ''} onClick=${() => setTab('versions')}>Versions</button>` : null}
      ${model.temporal !== 'none' ? html`<button data-testid="tab-compare" class=${tab === 'compare' ? 'active' : ''} onClick=${() => setTab('compare')}>Compare</button>` : null}
    </div>
    ${tab === 'audit' && history ? html`<${AuditTimeline} transactions=${history} setAsOf=${setAsOf} />` : null}
    ${
      tab === 'versions' && history
        ? html`<${Versions} versions=${history} record=${record} setAsOf=${setAsOf}
            onRevert=${meta.allowWrites ? (v) => write('revert', { version: v }, `Reverted to version ${v}`) : null} />`
        : null
    }
    ${tab === 'compare' && history ? html`<${Compare} model=${model} tenant=${tenant} id=${id} history=${history} fail=${fail} />` : null}
  </section>`
}

function Changes({ entries }) {
  return html`<table><tbody>
    ${entries.map(
      (e) => html`<tr data-testid="change">
        <td><span class="op">${e.operation}</span></td>
        <td>${e.fieldName ?? ''}</td>
        <td>${e.operation === 'INSERT' ? null : html`<span class="old">${show(e.oldValue)}</span> → `}<span class="new">${show(e.newValue)}</span></td>
      </tr>`,
    )}
  </tbody></table>`
}

function AuditTimeline({ transactions, setAsOf }) {
  return html`<div data-testid="audit-timeline">
    ${transactions.map(
      (t) => html`<div class="tx" data-testid="transaction">
        <div class="head">
          <a href="#" onClick=${(e) => { e.preventDefault(); setAsOf(Date.parse(t.changedAt)) }}>${fmtTime(t.changedAt)}</a>
          · by <code data-testid="changed-by">${t.changedBy ?? '∅'}</code> · tx <code>${short(t.transactionId)}</code>
        </div>
        <${Changes} entries=${t.entries} />
      </div>`,
    )}
  </div>`
}

function Versions({ versions, record, setAsOf, onRevert }) {
  const latest = versions[versions.length - 1]?.version
  return html`<div class="versions" data-testid="versions-timeline">
    ${versions.map(
      (v) => html`<div data-testid="version" data-version=${v.version}
          class="version ${v.validTo === null ? 'current' : ''} ${v.deletedAt ? 'deleted' : ''} ${record && record.version === v.version ? 'shown' : ''}"
          onClick=${() => setAsOf(Date.parse(v.validFrom))}>
        <strong>v${v.version}</strong> ${v.deletedAt ? html`<span class="badge">deleted</span>` : null}
        <small>${fmtTime(v.validFrom)}</small>
        <small>→ ${v.validTo ? fmtTime(v.validTo) : 'current'}</small>
        <small>by ${short(v.updatedBy)}</small>
        ${onRevert && v.version !== latest ? html`<button data-testid=${`revert-${v.version}`} onClick=${(e) => { e.stopPropagation(); onRevert(v.version) }}>Revert to v${v.version}</button>` : null}
      </div>`,
    )}
  </div>`
}

function Compare({ model, tenant, id, history, fail }) {
  // scd2: version numbers; copy_on_change: the instants of its transactions
  const points =
    model.temporal === 'scd2'
      ? history.map((v) => ({ key: String(v.version), label: `v${v.version}` }))
      : history.map((t, i) => ({ key: t.changedAt, label: `#${i + 1} ${fmtTime(t.changedAt)}` }))
  const [a, setA] = useState(points[0]?.key ?? '')
  const [b, setB] = useState(points[points.length - 1]?.key ?? '')
  const [result, setResult] = useState(null)
  const run = () => api(`models/${model.table}/records/${id}/compare`, { tenant, a, b }).then((r) => setResult(r.fields)).catch(fail)
  return html`<div data-testid="compare">
    <div class="filters">
      <select data-testid="compare-a" value=${a} onChange=${(e) => setA(e.currentTarget.value)}>${points.map((p) => html`<option value=${p.key}>${p.label}</option>`)}</select>
      <select data-testid="compare-b" value=${b} onChange=${(e) => setB(e.currentTarget.value)}>${points.map((p) => html`<option value=${p.key}>${p.label}</option>`)}</select>
      <button class="primary" data-testid="compare-run" onClick=${run}>Compare</button>
    </div>
    ${
      result
        ? html`<table data-testid="compare-table"><thead><tr><th>field</th><th>${points.find((p) => p.key === a)?.label}</th><th>${points.find((p) => p.key === b)?.label}</th></tr></thead><tbody>
            ${Object.entries(result).map(([name, d]) => html`<tr data-testid="compare-row" data-field=${name} class=${d.changed ? 'changed' : ''}><th>${name}</th><td>${show(d.old)}</td><td>${show(d.new)}</td></tr>`)}
          </tbody></table>`
        : null
    }
  </div>`
}

function UserChanges({ model, tenant, fail, onOpen }) {
  const [user, setUser] = useState('')
  const [result, setResult] = useState(null)
  const run = (e) => {
    e.preventDefault()
    api(`models/${model.table}/changes`, { tenant, user }).then((r) => setResult(r.transactions)).catch(fail)
  }
  return html`<div data-testid="user-changes">
    <h2 class="spaced">What a user changed</h2>
    <form onSubmit=${run} class="filters">
      <input type="text" data-testid="user-id" placeholder="user id" value=${user} onInput=${(e) => setUser(e.currentTarget.value)} />
      <button class="primary" data-testid="user-run" type="submit">Show</button>
    </form>
    ${result ? html`<p class="muted" data-testid="user-count">${result.length} transaction(s)</p>` : null}
    ${(result ?? []).map(
      (t) => html`<div class="tx" data-testid="user-transaction">
        <div class="head">${fmtTime(t.changedAt)} · <a href="#" onClick=${(e) => { e.preventDefault(); onOpen(t.entries[0].recordId) }}><code>${short(t.entries[0].recordId)}</code></a></div>
        <${Changes} entries=${t.entries} />
      </div>`,
    )}
  </div>`
}

render(html`<${App} />`, document.getElementById('app'))
