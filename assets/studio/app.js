// ff-storage history studio: Preact + htm, served as plain ESM (no build step, nothing from a CDN).
import { render } from 'preact'
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { RecordView, UserChanges } from './record.js'
import { api, fmtTime, html, mark, short, show } from './util.js'

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
    // the meta comes inlined in the page (a JSON data block), or from the API
    const inline = document.getElementById('ff-studio-meta')
    ;(inline ? Promise.resolve(JSON.parse(inline.textContent)) : api('meta'))
      .then((m) => {
        setMeta(m)
        setTenant(m.tenants?.[0] ?? '')
        setTable((m.models.find((x) => x.temporal !== 'none') ?? m.models[0])?.table ?? '')
      })
      .catch(fail)
  }, [])
  const model = meta?.models.find((m) => m.table === table)
  const needsTenant = model?.multiTenant
  // the first page of records first: counts and the slider's range are fetched once it is shown
  const [listShown, setListShown] = useState(false)
  useEffect(() => {
    if (meta && listShown) api('counts', { tenant }).then(setCounts).catch(fail)
  }, [meta, tenant, refresh, listShown])
  useEffect(() => mark('ff-studio:counts', Object.keys(counts).length > 0), [counts])
  useEffect(() => {
    setSelected(null)
    setAsOf(null)
    if (model && (!needsTenant || tenant) && listShown)
      api(`models/${table}/range`, { tenant })
        .then((r) => setRange({ from: r.from ? Date.parse(r.from) : Date.now(), to: Date.parse(r.to) }))
        .catch(fail)
  }, [table, tenant, listShown])

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
      <${TenantPicker} tenants=${meta.tenants} tenant=${tenant} setTenant=${setTenant} />
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
            <span class="badge" data-testid=${`count-${m.table}`}>${typeof counts[m.table] === 'number' ? counts[m.table] : '–'}</span>
          </button>`,
        )}
        ${model?.temporal === 'copy_on_change' ? html`<${UserChanges} ...${ctx} onOpen=${setSelected} />` : null}
      </section>
      ${model && (!needsTenant || tenant) ? html`<${RecordList} key=${`${table}:${tenant}`} ...${ctx} selected=${selected} onOpen=${setSelected} onShown=${() => setListShown(true)} />` : html`<section data-testid="no-tenant">${meta.tenants ? 'Pick a tenant.' : 'Type a tenant id above and open it.'}</section>`}
      ${selected ? html`<${RecordView} key=${`${table}:${selected}`} ...${ctx} id=${selected} />` : html`<section class="muted">Open a record to see its state and history.</section>`}
    </main>`
}

/** The tenants the studio was started for; without a list, a tenant id typed in (never read from the tables). */
function TenantPicker({ tenants, tenant, setTenant }) {
  const [typed, setTyped] = useState(tenant)
  if (tenants)
    return html`<label>Tenant
      <select data-testid="tenant-select" value=${tenant} onChange=${(e) => setTenant(e.currentTarget.value)}>
        ${tenants.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
    </label>`
  const open = (e) => {
    e.preventDefault()
    setTenant(typed.trim())
  }
  return html`<form class="filters" onSubmit=${open}>
    <label>Tenant id <input type="text" data-testid="tenant-input" size="38" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} /></label>
    <button data-testid="tenant-open" type="submit">Open</button>
  </form>`
}

function RecordList({ model, tenant, asOf, fail, selected, onOpen, onShown, refresh }) {
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
    }, asOf === null ? 0 : 60) // a slider drag asks once it rests
    return () => clearTimeout(t)
  }, [after, where, includeDeleted, asOf, refresh])
  useEffect(() => {
    if (page === null) return
    mark('ff-studio:list', true)
    onShown()
  }, [page])
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

render(html`<${App} />`, document.getElementById('app'))
