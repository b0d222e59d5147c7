// One operation: the Test tab (build a call, send it with a chosen client certificate, read
// the response and its trace) and the Effective policy tab.

import { h, replace, field, errorBox, pretty, table, badge } from './dom.js';
import { api, nameOf, fetchTrace } from './http.js';
import { methodBadge } from './apis.js';
import { renderTrace, rememberTrace } from './trace.js';
import { effectivePolicyView } from './policies.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const DEFAULT_KEY_HEADER = 'Ocp-Apim-Subscription-Key';

export async function render(main, [apiId, operationId], params) {
  const enc = encodeURIComponent;
  const [apiResource, operation, subscriptions, certificates, gateway] = await Promise.all([
    api('GET', `/apis/${enc(apiId)}`),
    api('GET', `/apis/${enc(apiId)}/operations/${enc(operationId)}`),
    api('GET', '/subscriptions'),
    api('GET', '/certificates'),
    api('GET', '/gateway'),
  ]);
  const context = { apiId, operationId, api: apiResource.properties, operation: operation.properties, subscriptions: subscriptions.value, certificates: certificates.value, gatewayUrl: gateway.gatewayUrl };
  const tab = params.get('tab') === 'policy' ? 'policy' : 'test';
  const base = `#/apis/${enc(apiId)}/operations/${enc(operationId)}`;
  const panel = h('div', { role: 'tabpanel', id: 'op-panel' });
  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/apis' }, 'APIs'), ' / ', h('a', { href: `#/apis/${enc(apiId)}` }, context.api.displayName || apiId), ' / ', context.operation.displayName || operationId),
    h('h1', {}, methodBadge(context.operation.method), ' ', context.operation.displayName || operationId),
    h('div', { class: 'tabs', role: 'tablist' },
      tabLink('Test', base, tab === 'test'),
      tabLink('Effective policy', `${base}?tab=policy`, tab === 'policy')),
    panel);
  if (tab === 'policy') {
    replace(panel, await effectivePolicyView(apiId, operationId));
  } else {
    replace(panel, testForm(context));
  }
}

function tabLink(label, href, selected) {
  return h('a', { href, role: 'tab', 'aria-selected': selected ? 'true' : 'false', class: selected ? 'tab current' : 'tab' }, label);
}

/** The Test tab's form and the place its response appears. */
function testForm(c) {
  const keyHeader = (c.api.subscriptionKeyParameterNames || {}).header || DEFAULT_KEY_HEADER;
  const template = c.operation.urlTemplate || '/';
  const method = h('select', { name: 'method' }, METHODS.map((m) => h('option', { selected: m === c.operation.method }, m)));
  const parameters = templateParameters(template).map((name) => ({ name, input: h('input', { name: `param-${name}`, value: '', placeholder: name }) }));
  const query = h('input', { name: 'query', value: defaultQuery(c.operation), placeholder: 'name=value&other=value' });
  const url = h('input', { name: 'url', class: 'mono wide', spellcheck: 'false' });
  const rebuild = () => { url.value = buildUrl(c, template, parameters, query.value); };
  [...parameters.map((p) => p.input), query].forEach((input) => input.addEventListener('input', rebuild));
  rebuild();

  const headers = headerEditor(keyHeader);
  const subscription = h('select', { name: 'subscription', onchange: () => fillKey(subscription.value, headers, keyHeader, status) },
    h('option', { value: '' }, '(no key)'),
    usableSubscriptions(c).map((s) => h('option', { value: nameOf(s) }, `${s.properties.displayName || nameOf(s)} (${s.properties.scope})`)));
  const tracing = h('input', { type: 'checkbox', name: 'trace', checked: true });
  const body = h('textarea', { name: 'body', rows: 5, class: 'mono', spellcheck: 'false', placeholder: 'Request body (not sent with GET or HEAD)' });
  const certificate = h('select', { name: 'certificate' },
    h('option', { value: '' }, '(no client certificate)'),
    c.certificates.map((cert) => h('option', { value: nameOf(cert), disabled: !cert.properties.hasPrivateKey },
      `${nameOf(cert)} — ${cert.properties.subject} — ${cert.properties.thumbprint.slice(0, 12)}…${cert.properties.hasPrivateKey ? '' : ' (no private key)'}`)));
  const viaConsole = h('input', { type: 'radio', name: 'mode', value: 'console', checked: true });
  const direct = h('input', { type: 'radio', name: 'mode', value: 'direct' });
  const chooseMode = () => { certificate.disabled = direct.checked; };
  viaConsole.addEventListener('change', chooseMode);
  direct.addEventListener('change', chooseMode);
  const status = h('div', { 'aria-live': 'polite' });
  const result = h('section', { class: 'response', 'aria-live': 'polite', 'aria-label': 'Response' });

  const send = async (event) => {
    event.preventDefault();
    const request = { method: method.value, url: url.value, headers: headers.values(), body: ['GET', 'HEAD'].includes(method.value) ? '' : body.value };
    if (tracing.checked) request.headers.push({ name: 'Ocp-Apim-Trace', value: 'true' });
    replace(result, h('p', { class: 'loading' }, 'Sending…'));
    try {
      const response = direct.checked ? await sendDirect(request) : await api('POST', '/gateway/send', { ...request, certificateId: certificate.value || null });
      showResponse(result, response, direct.checked);
      result.scrollIntoView({ block: 'start' });
    } catch (error) {
      replace(result, errorBox(error), direct.checked ? directHelp(c) : null);
    }
  };
  const form = h('form', { class: 'card test-form', onsubmit: send, onkeydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e); } },
    h('div', { class: 'row' }, field('Method', method), parameters.map((p) => field(`{${p.name}}`, p.input)), field('Query string', query)),
    field('Request URL', url, 'Built from the URL template and the fields above; you can edit it.'),
    h('div', { class: 'row' },
      field('Subscription key from', subscription, `Fills the ${keyHeader} header from the subscription's keys.`),
      h('label', { class: 'check' }, tracing, ' Trace this call (Ocp-Apim-Trace: true)')),
    h('fieldset', {}, h('legend', {}, 'Headers'), headers.element),
    field('Body', body),
    h('fieldset', {}, h('legend', {}, 'Send'),
      h('label', { class: 'check' }, viaConsole, ' Through the console: the gateway sees the client certificate chosen here'),
      field('Client certificate', certificate, 'Uploaded certificates with a private key; the console presents the stored key.'),
      h('label', { class: 'check' }, direct, ' Directly from the browser (the browser asks you for a certificate)'),
      h('details', {}, h('summary', {}, 'What sending directly from the browser needs'), directHelp(c))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send'), h('span', { class: 'muted' }, 'Ctrl+Enter sends')),
    status);
  return [form, result];
}

/** `name=default&...` from the operation's documented query parameters. */
function defaultQuery(operation) {
  const documented = (operation.request && operation.request.queryParameters) || [];
  return documented
    .filter((p) => p.name && (p.defaultValue !== undefined || p.required))
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.defaultValue ?? '')}`)
    .join('&');
}

function templateParameters(template) {
  return [...template.matchAll(/\{\*?([^}]+)\}/g)].map((m) => m[1]);
}

function buildUrl(c, template, parameters, query) {
  let path = template;
  for (const p of parameters) {
    path = path.replace(new RegExp(`\\{\\*?${p.name}\\}`), p.input.value ? encodeURIComponent(p.input.value) : `{${p.name}}`);
  }
  const apiPath = c.api.path ? `/${c.api.path}` : '';
  const suffix = query.trim() ? `?${query.trim().replace(/^\?/, '')}` : '';
  return `${c.gatewayUrl.replace(/\/$/, '')}${apiPath}${path === '/' && apiPath ? '' : path}${suffix}`;
}

/** Subscriptions whose keys open this API: all APIs, this API, or a product holding it. */
function usableSubscriptions(c) {
  return c.subscriptions.filter((s) => {
    const scope = s.properties.scope;
    return scope === '/apis' || scope === `/apis/${c.apiId}` || scope.startsWith('/products/');
  });
}

async function fillKey(subscription, headers, keyHeader, status) {
  if (!subscription) {
    headers.remove(keyHeader);
    return;
  }
  try {
    const secrets = await api('POST', `/subscriptions/${encodeURIComponent(subscription)}/listSecrets`);
    headers.set(keyHeader, secrets.primaryKey);
    replace(status);
  } catch (error) {
    replace(status, errorBox(error));
  }
}

/** Rows of name and value; a subscription key's value is masked until shown. */
function headerEditor(keyHeader) {
  const rows = h('div', { class: 'headers' });
  const isKey = (name) => name.trim().toLowerCase() === keyHeader.toLowerCase();
  const addRow = (name = '', value = '') => {
    const nameInput = h('input', { value: name, placeholder: 'Header name', 'aria-label': 'Header name', class: 'mono' });
    const valueInput = h('input', { value, placeholder: 'Value', 'aria-label': 'Header value', class: 'mono', type: isKey(name) ? 'password' : 'text', autocomplete: 'off' });
    const show = h('button', { type: 'button', class: 'quiet small', onclick: () => { valueInput.type = valueInput.type === 'password' ? 'text' : 'password'; } }, 'Show');
    nameInput.addEventListener('input', () => { valueInput.type = isKey(nameInput.value) ? 'password' : 'text'; });
    const row = h('div', { class: 'header-row' }, nameInput, valueInput, show,
      h('button', { type: 'button', class: 'quiet small', 'aria-label': 'Remove header', onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
    return row;
  };
  const find = (name) => [...rows.children].find((row) => row.children[0].value.trim().toLowerCase() === name.toLowerCase());
  return {
    element: h('div', {}, rows, h('button', { type: 'button', class: 'quiet small', onclick: () => addRow().querySelector('input').focus() }, 'Add header')),
    values: () => [...rows.children].map((row) => ({ name: row.children[0].value.trim(), value: row.children[1].value })).filter((x) => x.name),
    set: (name, value) => {
      const row = find(name) || addRow(name, '');
      row.children[1].value = value;
      row.children[1].type = 'password';
    },
    remove: (name) => { const row = find(name); if (row) row.remove(); },
  };
}

/** The browser calls the gateway itself: CORS applies, and the certificate is the browser's. */
async function sendDirect(request) {
  const started = performance.now();
  const headers = Object.fromEntries(request.headers.map((x) => [x.name, x.value]));
  const response = await fetch(request.url, { method: request.method, headers, body: request.body || undefined, credentials: 'include', mode: 'cors', cache: 'no-store' })
    .catch((error) => { throw new Error(`The browser could not complete the call (${error.message}). See what sending directly needs, below.`); });
  const text = await response.text();
  const elapsedMs = performance.now() - started;
  const location = response.headers.get('Ocp-Apim-Trace-Location');
  const traceId = location ? location.split('/').pop() : null;
  return {
    status: response.status, reason: response.statusText, headers: [...response.headers].map(([name, value]) => ({ name, value })),
    body: text, bodyEncoding: 'utf-8', elapsedMs, traceId, trace: traceId ? await fetchTrace(traceId).catch(() => null) : null,
  };
}

function directHelp(c) {
  const origin = location.origin;
  const keyHeader = (c.api.subscriptionKeyParameterNames || {}).header || DEFAULT_KEY_HEADER;
  const policy = `<cors allow-credentials="true">
    <allowed-origins><origin>${origin}</origin></allowed-origins>
    <allowed-methods><method>${c.operation.method}</method></allowed-methods>
    <allowed-headers><header>${keyHeader}</header><header>Ocp-Apim-Trace</header><header>Content-Type</header></allowed-headers>
    <expose-headers><header>Ocp-Apim-Trace-Location</header></expose-headers>
</cors>`;
  return h('div', { class: 'help' },
    h('p', {}, 'The browser then connects to the gateway itself, like APIM\'s "Bypass CORS proxy". Three things must hold:'),
    h('ol', {},
      h('li', {}, 'The browser trusts the gateway\'s certificate: import ', h('code', {}, 'gatehouse-data/tls/ca.pem'), ' as a trusted authority.'),
      h('li', {}, 'The browser holds the client certificate: import the PFX into the browser or the operating system; the browser asks which one to send. The choice above is not used.'),
      h('li', {}, `The call crosses origins (${origin} to ${c.gatewayUrl}), so the browser first sends a preflight OPTIONS request without key or certificate, and reads the response only if the API answers with CORS headers. The API needs a cors policy in its inbound section, with credentials allowed because client certificates count as credentials:`)),
    h('pre', { class: 'code' }, policy),
    h('p', { class: 'muted' }, 'Paste it into the API\'s inbound section, after <base />, on the Policies page; the gateway then answers the preflight itself.'));
}

/** Status, headers, body and trace of a sent request. */
function showResponse(result, response, direct) {
  const ok = response.status < 400;
  const presented = response.certificatePresented;
  const notes = [];
  if (!direct && presented && !response.certificateRequested) notes.push(h('p', { class: 'warning' }, 'The gateway never asked for a client certificate, so none was sent.'));
  if (presented) notes.push(h('p', { class: 'muted' }, 'Presented ', h('strong', {}, presented.id), ` (${presented.subject}, thumbprint `, h('code', {}, presented.thumbprint), ').'));
  if (!direct && !presented) notes.push(h('p', { class: 'muted' }, 'No client certificate was presented.'));
  if (direct) notes.push(h('p', { class: 'muted' }, 'Sent by the browser itself, with the certificate it chose; the trace shows which.'));
  const traceSection = response.trace
    ? [h('h3', {}, 'Trace ', h('a', { href: `#/trace/${response.traceId}`, class: 'small' }, 'open in the trace viewer')), renderTrace(response.trace)]
    : response.traceId ? [h('p', {}, h('a', { href: `#/trace/${response.traceId}` }, 'Open the trace'))]
    : [h('p', { class: 'muted' }, 'No trace: ask for one with the Trace checkbox, using the key of a subscription that allows tracing.')];
  if (response.traceId) rememberTrace(response.traceId, `${response.status} ${response.reason}`);
  replace(result,
    h('h2', {}, 'Response'),
    h('p', { class: 'status-line' },
      h('strong', { class: ok ? 'status-ok' : 'status-bad', 'data-testid': 'status' }, `${response.status} ${response.reason}`),
      ' ', badge(`${response.elapsedMs.toFixed(1)} ms`)),
    notes,
    h('details', {}, h('summary', {}, `Headers (${response.headers.length})`),
      table(['Name', 'Value'], response.headers.map((x) => [h('code', {}, x.name), h('code', { class: 'break' }, x.value)]))),
    h('pre', { class: 'code body' }, response.bodyEncoding === 'base64' ? `(binary, base64) ${response.body}` : pretty(response.body) || '(empty body)'),
    traceSection);
}
