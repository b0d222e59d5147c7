// Trace viewer: the client certificate as a card, then a timeline of every step by section
// with its elapsed time, and the raw JSON one click away.

import { h, heading, replace, field, errorBox, copyButton, badge, dateTime, daysUntil } from './dom.js';
import { fetchTrace } from './http.js';

const SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'];
const RECENT_KEY = 'gatehouse.recentTraces';

export async function render(main, [id]) {
  const input = h('input', { name: 'trace', class: 'mono wide', value: id || '', placeholder: 'trace id or Ocp-Apim-Trace-Location URL', spellcheck: 'false' });
  const view = h('div');
  const open = (event) => {
    event.preventDefault();
    const value = input.value.trim().split('/').pop();
    if (value) location.hash = `#/trace/${encodeURIComponent(value)}`;
  };
  replace(main,
    heading('Trace viewer', 'What each policy step did to one request. Traces are kept for an hour.'),
    h('form', { class: 'inline-form', onsubmit: open }, field('Trace', input), h('button', { type: 'submit', class: 'primary' }, 'Open')),
    view);
  if (!id) {
    replace(view, recentList());
    return;
  }
  try {
    replace(view, renderTrace(await fetchTrace(id)));
  } catch (error) {
    replace(view, errorBox(error));
  }
}

/** Remembers a trace made from this tab, for the viewer's list. */
export function rememberTrace(id, label) {
  const recent = JSON.parse(sessionStorage.getItem(RECENT_KEY) || '[]').filter((t) => t.id !== id);
  recent.unshift({ id, label, at: new Date().toISOString() });
  sessionStorage.setItem(RECENT_KEY, JSON.stringify(recent.slice(0, 20)));
}

function recentList() {
  const recent = JSON.parse(sessionStorage.getItem(RECENT_KEY) || '[]');
  if (recent.length === 0) return h('p', { class: 'empty' }, 'Traces of calls sent from this tab appear here.');
  return [h('h2', {}, 'Traced from this tab'),
    h('ul', { class: 'plain' }, recent.map((t) => h('li', {},
      h('a', { href: `#/trace/${t.id}` }, h('code', {}, t.id)), ' ', t.label, ' ', h('span', { class: 'muted' }, dateTime(t.at)))))];
}

/** A trace document as a certificate card, a timeline and a raw JSON toggle. */
export function renderTrace(trace) {
  const entries = trace.traceEntries || {};
  const all = SECTIONS.flatMap((s) => entries[s] || []);
  const total = Math.max(0, ...all.map((e) => seconds(e.elapsed)));
  const raw = h('pre', { class: 'code raw', hidden: true }, JSON.stringify(trace, null, 2));
  const toggle = h('button', {
    type: 'button', 'aria-expanded': 'false',
    onclick: () => {
      raw.hidden = !raw.hidden;
      toggle.setAttribute('aria-expanded', String(!raw.hidden));
      toggle.textContent = raw.hidden ? 'Raw JSON' : 'Hide raw JSON';
    },
  }, 'Raw JSON');
  return h('div', { class: 'trace' },
    certificateCard(entries.inbound || []),
    h('div', { class: 'toolbar' },
      h('span', {}, 'Trace ', h('code', {}, trace.traceId || ''), ` · ${all.length} steps · ${(total * 1000).toFixed(2)} ms`),
      toggle, copyButton(() => JSON.stringify(trace, null, 2), 'Copy JSON')),
    raw,
    SECTIONS.filter((s) => entries[s]).map((s) => section(s, entries[s], total)));
}

function certificateCard(inbound) {
  const entry = inbound.find((e) => e.source === 'client-certificate');
  if (!entry) return null;
  const data = entry.data || {};
  if (!data.thumbprint) {
    return h('section', { class: 'card cert-card none', 'aria-label': 'Client certificate' },
      h('h3', {}, 'Client certificate'), h('p', {}, data.message || 'No client certificate was presented.'));
  }
  // Dates only: whether the chain is trusted or revoked is the policies' verdict, shown in
  // their steps below, so this badge never says more than "in date".
  const days = daysUntil(data.notAfter);
  const early = new Date(data.notBefore).getTime() > Date.now();
  const validity = early ? badge('not yet valid', 'bad')
    : days < 0 ? badge('expired', 'bad')
      : days < 30 ? badge(`in date, expires in ${days} days`, 'warn')
        : badge('in date', 'ok');
  return h('section', { class: 'card cert-card', 'aria-label': 'Client certificate' },
    h('h3', {}, 'Client certificate ', validity),
    h('dl', {},
      h('dt', {}, 'Thumbprint'), h('dd', {}, h('code', { class: 'thumbprint', 'data-testid': 'thumbprint' }, data.thumbprint), ' ', copyButton(() => data.thumbprint)),
      h('dt', {}, 'Subject'), h('dd', {}, data.subject),
      h('dt', {}, 'Issuer'), h('dd', {}, data.issuer),
      data.serialNumber ? [h('dt', {}, 'Serial number'), h('dd', {}, h('code', {}, data.serialNumber))] : null,
      h('dt', {}, 'Valid'), h('dd', {}, `${dateTime(data.notBefore)} to ${dateTime(data.notAfter)}`)));
}

function section(name, entries, total) {
  return h('section', { class: `trace-section s-${name}` },
    h('h3', {}, name),
    h('ol', { class: 'timeline' }, entries.map((e) => step(e, total))));
}

function step(entry, total) {
  const at = seconds(entry.elapsed);
  const [summary, details] = describe(entry.data);
  const bar = h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: null }));
  bar.firstChild.style.width = `${Math.max(1, Math.round((at / Math.max(total, 1e-7)) * 100))}%`;
  return h('li', { class: 'step' },
    h('span', { class: 'elapsed', title: entry.elapsed }, `${(at * 1000).toFixed(2)} ms`),
    bar,
    h('span', { class: 'source' }, entry.source),
    h('div', { class: 'what' },
      h('span', {}, summary),
      details.length ? h('dl', { class: 'details' }, details.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, v))])) : null));
}

/** A step's data as a summary line and the details worth their own line. */
function describe(data) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [text(data), []];
  let summary = text(data.message);
  // The certificate card shows the rest of a client-certificate step.
  if (data.thumbprint) return [`${summary} ${data.thumbprint}`, []];
  if (data.response && data.response.status) {
    const status = data.response.status;
    const answer = `${status.code} ${status.reason || ''}`.trim();
    return [summary ? `${summary}: ${answer}` : `response ${answer}`, []];
  }
  if (data.request) summary = `${data.request.method} ${data.request.url}`;
  if (data.configuration) {
    const c = data.configuration;
    summary = [`api ${c.api && c.api.id}`, `operation ${c.operation && c.operation.id}`, c.subscription && `subscription ${c.subscription}`, c.product && `product ${c.product}`].filter(Boolean).join(', ');
  }
  const details = Object.entries(data)
    .filter(([k]) => !['message', 'request', 'configuration'].includes(k))
    .map(([k, v]) => [k, text(v)]);
  return [summary, details];
}

function text(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('; ');
  return JSON.stringify(value);
}

/** `00:00:00.0012345` in seconds. */
function seconds(elapsed) {
  return String(elapsed || '0').split(':').reduce((total, part) => total * 60 + (parseFloat(part) || 0), 0);
}
