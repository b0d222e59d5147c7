// Policies: an editor per scope that compiles as you type and shows every error at its line
// and column before anything is saved; and the effective policy of an operation.

import { h, heading, replace, field, errorBox, toast } from './dom.js';
import { api, nameOf } from './http.js';

const CHECK_DELAY_MS = 600;

const EMPTY = `<policies>
    <inbound>
        <base />
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
`;

const REQUIRE_UPLOADED_CERTIFICATE = `<choose>
            <when condition="@(context.Request.Certificate == null || !context.Deployment.Certificates.Any(c => c.Value.Thumbprint == context.Request.Certificate.Thumbprint))">
                <return-response>
                    <set-status code="403" reason="Invalid client certificate" />
                </return-response>
            </when>
        </choose>`;

export async function render(main, _captures, params) {
  const [apis, products] = await Promise.all([api('GET', '/apis'), api('GET', '/products')]);
  const scopes = [{ path: '', label: 'Global (all APIs)' }];
  for (const p of products.value) scopes.push({ path: `products/${nameOf(p)}`, label: `Product ${nameOf(p)}` });
  for (const a of apis.value) {
    scopes.push({ path: `apis/${nameOf(a)}`, label: `API ${nameOf(a)}` });
    const operations = await api('GET', `/apis/${encodeURIComponent(nameOf(a))}/operations`);
    for (const o of operations.value) scopes.push({ path: `apis/${nameOf(a)}/operations/${nameOf(o)}`, label: `Operation ${nameOf(a)} / ${nameOf(o)}` });
  }
  const wanted = params.get('scope') || '';
  const picker = h('select', { name: 'scope', onchange: () => { location.hash = `#/policies?scope=${encodeURIComponent(picker.value)}`; } },
    scopes.map((s) => h('option', { value: s.path, selected: s.path === wanted }, s.label)));
  const editorBox = h('div');
  replace(main,
    heading('Policies', 'Each scope\'s document; <base /> inserts the broader scope\'s section. Errors show as you type, before saving.'),
    h('div', { class: 'row' }, field('Scope', picker)),
    editorBox);
  replace(editorBox, await editor(wanted));
}

/** The editor for the policy at `scope` (a resource path prefix, '' for global). */
async function editor(scope) {
  const resource = `${scope ? `/${scope}` : ''}/policies/policy`;
  let stored = null;
  try {
    stored = (await api('GET', resource)).properties.value;
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const area = h('textarea', { class: 'mono editor', spellcheck: 'false', rows: 24, 'aria-label': 'Policy document', wrap: 'off' });
  area.value = stored ?? EMPTY;
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const problems = h('div', { class: 'problems', 'aria-live': 'polite' });
  const verdict = h('span', { class: 'verdict', 'data-testid': 'verdict' });
  let errors = [];
  let timer = null;

  const paintGutter = () => {
    const bad = new Set(errors.map((e) => e.line));
    const count = area.value.split('\n').length;
    replace(gutter, Array.from({ length: count }, (_, i) => [
      h('span', { class: bad.has(i + 1) ? 'bad-line' : null }, `${bad.has(i + 1) ? '●' : ' '}${String(i + 1).padStart(4)}`), '\n']));
    gutter.scrollTop = area.scrollTop;
  };
  const check = async () => {
    const result = await api('POST', `${resource}/validate`, { properties: { format: 'rawxml', value: area.value } });
    errors = result.errors;
    const warnings = result.warnings ?? [];
    const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
    verdict.className = `verdict ${result.valid ? (warnings.length ? 'warn' : 'ok') : 'bad'}`;
    verdict.textContent = result.valid
      ? (warnings.length ? `Compiles, ${plural(warnings.length, 'warning')}` : 'Compiles')
      : plural(errors.length, 'error');
    const item = (e, kind) => h('li', { class: `is-${kind}` },
      h('button', { type: 'button', class: 'link', onclick: () => goTo(area, e.line, e.column) }, `Line ${e.line}, column ${e.column}`),
      `: ${kind === 'warning' ? 'warning: ' : ''}${e.message}`);
    const listed = [...errors.map((e) => item(e, 'error')), ...warnings.map((w) => item(w, 'warning'))];
    replace(problems, listed.length ? h('ol', { class: 'problem-list' }, listed) : null);
    paintGutter();
    return result.valid;
  };
  const save = async () => {
    if (!(await check())) {
      toast('Not saved: the policy does not compile', 'bad');
      return;
    }
    try {
      await api('PUT', resource, { properties: { format: 'rawxml', value: area.value } });
      stored = area.value;
      toast('Saved; the gateway uses it from the next request');
    } catch (error) {
      replace(problems, errorBox(error));
    }
  };
  const remove = async () => {
    if (!confirm('Delete this scope\'s policy? The broader scopes then apply unchanged.')) return;
    await api('DELETE', resource);
    area.value = EMPTY;
    stored = null;
    toast('Deleted');
    check();
  };
  area.addEventListener('input', () => {
    paintGutter();
    clearTimeout(timer);
    timer = setTimeout(() => check().catch(() => {}), CHECK_DELAY_MS);
  });
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener('keydown', (e) => {
    if (e.key === 's' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      save();
    }
  });
  const insert = () => insertAtInbound(area, REQUIRE_UPLOADED_CERTIFICATE);
  await check();
  const operation = scope.match(/^apis\/([^/]+)\/operations\/([^/]+)$/);
  return [
    h('div', { class: 'toolbar' },
      h('strong', {}, resource), verdict,
      h('button', { type: 'button', class: 'primary', onclick: save }, 'Save'),
      h('button', { type: 'button', onclick: () => check() }, 'Check'),
      h('button', { type: 'button', onclick: () => { area.value = stored ?? EMPTY; check(); } }, 'Revert'),
      h('button', { type: 'button', class: 'quiet', onclick: insert, title: 'Adds a check that the caller presented one of the uploaded certificates' }, 'Insert: require an uploaded certificate'),
      stored === null ? h('span', { class: 'muted' }, 'No policy stored at this scope yet') : h('button', { type: 'button', class: 'quiet', onclick: remove }, 'Delete')),
    h('div', { class: 'editor-wrap' }, gutter, area),
    h('p', { class: 'muted' }, 'Ctrl+S saves. Click an error to jump to it.'),
    problems,
    operation ? [h('h2', {}, 'Effective policy'), await effectivePolicyView(operation[1], operation[2])] : null,
  ];
}

/** Moves the caret to `line`:`column` (1-based) and scrolls it into view. */
function goTo(area, line, column) {
  const lines = area.value.split('\n');
  const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, column - 1);
  area.focus();
  area.setSelectionRange(offset, Math.min(area.value.length, offset + 1));
  const lineHeight = area.scrollHeight / Math.max(1, lines.length);
  area.scrollTop = Math.max(0, (line - 5) * lineHeight);
}

function insertAtInbound(area, snippet) {
  const at = area.value.search(/<inbound>\s*(<base\s*\/>)?/);
  if (at < 0) return;
  const match = area.value.slice(at).match(/<inbound>\s*(<base\s*\/>)?/)[0];
  const position = at + match.length;
  area.value = `${area.value.slice(0, position)}\n        ${snippet}${area.value.slice(position)}`;
  area.dispatchEvent(new Event('input'));
}

/** The operation's policy with <base /> resolved, as called through a product or not. */
export async function effectivePolicyView(apiId, operationId) {
  const links = await api('GET', '/products');
  const products = [];
  for (const p of links.value) {
    const apis = await api('GET', `/products/${encodeURIComponent(nameOf(p))}/apis`);
    if (apis.value.some((a) => nameOf(a) === apiId)) products.push(nameOf(p));
  }
  const product = h('select', { name: 'product' },
    h('option', { value: '' }, '(no product: an API or all-APIs key)'),
    products.map((p) => h('option', { value: p }, `product ${p}`)));
  const output = h('pre', { class: 'code effective', 'data-testid': 'effective-policy' });
  const show = async () => {
    const query = product.value ? `?productId=${encodeURIComponent(product.value)}` : '';
    const result = await api('GET', `/apis/${encodeURIComponent(apiId)}/operations/${encodeURIComponent(operationId)}/effectivePolicy${query}`);
    output.textContent = result.properties.value;
  };
  product.addEventListener('change', () => show().catch((error) => { output.textContent = error.message; }));
  await show();
  return h('div', { class: 'effective-view' },
    h('p', {}, 'What the operation runs, every <base /> replaced by the broader scope. Product policies apply only to keys of that product\'s subscriptions.'),
    field('As called with a key of', product),
    output);
}
