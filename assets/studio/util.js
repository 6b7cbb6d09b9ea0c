// Shared by the studio's modules: the API client and how values are shown.
import htm from 'htm'
import { h } from 'preact'

export const html = htm.bind(h)

export async function api(path, params = {}, init = {}) {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v))
  const res = await fetch(`./api/${path}${qs.size ? `?${qs}` : ''}`, init)
  const body = await res.json()
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
  return body
}
export const post = (path, params) => api(path, params, { method: 'POST', headers: { 'x-ff-studio': '1', 'content-type': 'application/json' }, body: '{}' })

const isDate = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)
export const fmtTime = (v) => new Date(v).toISOString().replace('T', ' ').replace('Z', '')
export function show(v) {
  if (v === null || v === undefined) return '∅'
  if (isDate(v)) return fmtTime(v)
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
/** A performance mark set once, after the render that first shows what it marks (bench/studio.ts reads them). */
export const mark = (name, shown) => {
  if (shown && performance.getEntriesByName(name).length === 0) performance.mark(name)
}
export const short = (id) => (typeof id === 'string' && id.length > 12 ? `${id.slice(0, 8)}…` : show(id))
