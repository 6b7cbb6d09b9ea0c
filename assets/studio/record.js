// A record: its state (at the slider's instant), audit trail or versions, compare, and what a user changed.
import { useEffect, useState } from 'preact/hooks'
import { api, fmtTime, html, post, short, show } from './util.js'

export function RecordView({ meta, model, tenant, id, asOf, setAsOf, fail, bump, refresh }) {
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

export function UserChanges({ model, tenant, fail, onOpen }) {
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
