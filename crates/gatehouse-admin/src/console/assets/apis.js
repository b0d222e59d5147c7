// APIs: the list, and one API's operations with links to their Test tab and policies.

import { h, heading, replace, table, badge } from './dom.js';
import { api, nameOf } from './http.js';

export async function renderList(main) {
  const apis = await api('GET', '/apis');
  const rows = apis.value.map((a) => {
    const p = a.properties;
    const id = nameOf(a);
    return [
      h('a', { href: `#/apis/${encodeURIComponent(id)}` }, p.displayName || id),
      h('code', {}, `/${p.path}`),
      h('code', {}, p.serviceUrl || '—'),
      p.subscriptionRequired === false ? badge('no key needed', 'warn') : badge('key required', 'ok'),
      h('a', { href: `#/policies?scope=${encodeURIComponent(`apis/${id}`)}` }, 'Policy'),
    ];
  });
  replace(main,
    heading('APIs', 'Pick an API to see its operations and test them.'),
    table(['API', 'Path', 'Backend', 'Subscription', ''], rows, 'No APIs. Create one with PUT /apis/{apiId}.'));
}

export async function renderApi(main, [apiId]) {
  const [resource, operations] = await Promise.all([
    api('GET', `/apis/${encodeURIComponent(apiId)}`),
    api('GET', `/apis/${encodeURIComponent(apiId)}/operations`),
  ]);
  const p = resource.properties;
  const rows = operations.value.map((o) => {
    const op = o.properties;
    const id = nameOf(o);
    const base = `#/apis/${encodeURIComponent(apiId)}/operations/${encodeURIComponent(id)}`;
    return [
      methodBadge(op.method),
      h('a', { href: base }, op.displayName || id),
      h('code', {}, op.urlTemplate),
      h('span', { class: 'actions' },
        h('a', { href: base, class: 'button small' }, 'Test'),
        h('a', { href: `${base}?tab=policy` }, 'Effective policy')),
    ];
  });
  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/apis' }, 'APIs'), ' / ', p.displayName || apiId),
    heading(p.displayName || apiId, `Path /${p.path} · backend ${p.serviceUrl || '(none)'}`),
    h('p', {}, h('a', { href: `#/policies?scope=${encodeURIComponent(`apis/${apiId}`)}` }, 'Edit the API\'s policy')),
    h('h2', {}, 'Operations'),
    table(['Method', 'Operation', 'URL template', ''], rows, 'No operations.'));
}

/** A method as a coloured tag. */
export function methodBadge(method) {
  return h('span', { class: `method m-${method.toLowerCase()}` }, method);
}
