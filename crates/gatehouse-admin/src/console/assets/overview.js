// Overview: what the gateway answered lately and why, from its own bounded ring of recent
// requests (no keys, no bodies, paths without query strings).

import { h, heading, replace, table, badge } from './dom.js';
import { api } from './http.js';

const REFRESH_MS = 5000;

/** Decision labels, for people, and how alarming each is. */
const DECISIONS = {
  allowed: ['allowed', 'ok'],
  certificate_refused: ['certificate refused', 'bad'],
  key_missing: ['key missing', 'warn'],
  key_invalid: ['key invalid', 'warn'],
  rate_limited: ['rate limited', 'warn'],
  denied: ['denied', 'warn'],
  error: ['error', 'bad'],
  not_found: ['not found', 'muted'],
  body_refused: ['body refused', 'warn'],
  bad_request: ['bad request', 'warn'],
};

export async function render(main) {
  const counters = h('div', { class: 'counters' });
  const list = h('div');
  const stamp = h('span', { class: 'muted' });
  const refresh = async () => {
    const recent = await api('GET', '/gateway/requests');
    replace(counters, countCards(recent));
    replace(list, requestTable(recent.value));
    stamp.textContent = `updated ${new Date().toLocaleTimeString()}`;
  };
  replace(main,
    heading('Overview', 'The requests the gateway answered lately, and why it refused the ones it refused.'),
    counters,
    h('div', { class: 'toolbar' },
      h('h2', {}, 'Recent requests'),
      h('button', { type: 'button', onclick: refresh }, 'Refresh'),
      stamp),
    list);
  await refresh();
  const timer = setInterval(() => { if (!document.hidden) refresh().catch(() => {}); }, REFRESH_MS);
  return () => clearInterval(timer);
}

function countCards(recent) {
  const count = (name) => recent.counts[name] || 0;
  const cards = [
    ['Requests', recent.total, 'muted'],
    ['Allowed', count('allowed'), 'ok'],
    ['Certificate refused', count('certificate_refused'), 'bad'],
    ['Key missing or invalid', count('key_missing') + count('key_invalid'), 'warn'],
    ['Rate limited', count('rate_limited'), 'warn'],
    ['Denied by a policy', count('denied'), 'warn'],
    ['Errors', count('error'), 'bad'],
    // The rest, so the cards add up to the total: no route, refused bodies, malformed requests.
    ['Not found or malformed', count('not_found') + count('body_refused') + count('bad_request'), 'muted'],
  ];
  return cards.map(([label, value, kind]) =>
    h('div', { class: `counter ${value > 0 ? kind : 'muted'}` }, h('strong', {}, String(value)), h('span', {}, label)));
}

function requestTable(requests) {
  const rows = requests.map((r) => {
    const [label, kind] = DECISIONS[r.decision] || [r.decision, 'muted'];
    return [
      h('time', { datetime: r.at }, new Date(r.at).toLocaleTimeString()),
      h('code', {}, r.method),
      h('code', {}, r.path),
      r.apiId ? `${r.apiId}${r.operationId ? ` / ${r.operationId}` : ''}` : '—',
      r.subscriptionId || '—',
      r.clientCertificateThumbprint
        ? h('code', { title: r.clientCertificateThumbprint }, `${r.clientCertificateThumbprint.slice(0, 8)}…`)
        : h('span', { class: 'muted' }, 'none'),
      h('strong', { class: r.status >= 400 ? 'status-bad' : 'status-ok' }, String(r.status)),
      h('span', {}, badge(label, kind), ' ', r.reason && r.decision !== 'allowed' ? r.reason : ''),
      `${(r.elapsedMicroseconds / 1000).toFixed(1)} ms`,
    ];
  });
  return table(['Time', 'Method', 'Path', 'API / operation', 'Subscription', 'Client certificate', 'Status', 'Reason', 'Time taken'],
    rows, 'No requests yet. Call the gateway, or use the Test tab of an operation.');
}
