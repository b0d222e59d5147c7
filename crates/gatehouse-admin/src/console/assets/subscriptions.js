// Subscriptions: scope, state and tracing; keys shown only on request (listSecrets) and
// regenerated on request.

import { h, heading, replace, field, errorBox, table, badge, toast, copyButton } from './dom.js';
import { api, nameOf } from './http.js';

const STATES = ['active', 'suspended', 'submitted', 'rejected', 'cancelled', 'expired'];

export async function render(main) {
  const [subscriptions, apis, products] = await Promise.all([api('GET', '/subscriptions'), api('GET', '/apis'), api('GET', '/products')]);
  const scopes = ['/apis', ...products.value.map((p) => `/products/${nameOf(p)}`), ...apis.value.map((a) => `/apis/${nameOf(a)}`)];
  const reload = () => render(main);
  replace(main,
    heading('Subscriptions', 'Keys open APIs: all of them (/apis), one API, or a product\'s. Keys are shown only when asked for.'),
    table(['Id', 'Name', 'Scope', 'State', 'Tracing', 'Keys'], subscriptions.value.map((s) => row(s, reload)), 'No subscriptions.'),
    createForm(scopes, reload));
}

function row(subscription, reload) {
  const id = nameOf(subscription);
  const p = subscription.properties;
  const keys = h('div', { class: 'keys' });
  const tracing = h('input', { type: 'checkbox', checked: p.allowTracing, 'aria-label': `Allow tracing for ${id}`, onchange: () => update(id, p, { allowTracing: tracing.checked }, reload) });
  const state = h('select', { 'aria-label': `State of ${id}`, onchange: () => update(id, p, { state: state.value }, reload) },
    STATES.map((s) => h('option', { selected: s === p.state }, s)));
  return [
    h('strong', {}, id),
    p.displayName || '',
    h('code', {}, p.scope),
    h('span', {}, state, ' ', p.state === 'active' ? badge('works', 'ok') : badge('keys refused', 'warn')),
    h('label', { class: 'check' }, tracing, ' allow'),
    h('div', {}, h('button', { type: 'button', class: 'small', onclick: () => showKeys(id, keys) }, 'Show keys'), keys),
  ];
}

async function update(id, current, change, reload) {
  const { createdDate, ...properties } = current;
  try {
    await api('PUT', `/subscriptions/${encodeURIComponent(id)}`, { properties: { ...properties, ...change } });
    toast(`Saved ${id}`);
  } catch (error) {
    toast(error.message, 'bad');
  }
  reload();
}

async function showKeys(id, box) {
  try {
    const secrets = await api('POST', `/subscriptions/${encodeURIComponent(id)}/listSecrets`);
    replace(box,
      keyLine('Primary', secrets.primaryKey, () => regenerate(id, 'Primary', box)),
      keyLine('Secondary', secrets.secondaryKey, () => regenerate(id, 'Secondary', box)),
      h('button', { type: 'button', class: 'quiet small', onclick: () => replace(box) }, 'Hide keys'));
  } catch (error) {
    replace(box, errorBox(error));
  }
}

function keyLine(label, key, onRegenerate) {
  return h('div', { class: 'key-line' },
    h('span', { class: 'muted' }, label), ' ', h('code', { 'data-testid': `key-${label.toLowerCase()}` }, key || '—'), ' ',
    copyButton(() => key), ' ',
    h('button', { type: 'button', class: 'quiet small', onclick: onRegenerate }, 'Regenerate'));
}

async function regenerate(id, which, box) {
  if (!confirm(`Regenerate the ${which.toLowerCase()} key of ${id}? Callers using the old key are refused from now on.`)) return;
  try {
    await api('POST', `/subscriptions/${encodeURIComponent(id)}/regenerate${which}Key`);
    toast(`New ${which.toLowerCase()} key for ${id}`);
    showKeys(id, box);
  } catch (error) {
    replace(box, errorBox(error));
  }
}

function createForm(scopes, reload) {
  const id = h('input', { name: 'id', required: true, placeholder: 'team-a' });
  const name = h('input', { name: 'displayName', placeholder: 'Team A' });
  const scope = h('select', { name: 'scope' }, scopes.map((s) => h('option', {}, s)));
  const tracing = h('input', { type: 'checkbox', name: 'allowTracing' });
  const status = h('div', { 'aria-live': 'polite' });
  const create = async (event) => {
    event.preventDefault();
    const properties = { scope: scope.value, displayName: name.value || undefined, state: 'active', allowTracing: tracing.checked };
    try {
      await api('PUT', `/subscriptions/${encodeURIComponent(id.value)}`, { properties });
      toast(`Created ${id.value}; its keys were generated`);
      reload();
    } catch (error) {
      replace(status, errorBox(error));
    }
  };
  return h('form', { class: 'card', onsubmit: create },
    h('h2', {}, 'New subscription'),
    h('div', { class: 'row' }, field('Id', id), field('Name', name), field('Scope', scope), h('label', { class: 'check' }, tracing, ' Allow tracing')),
    h('button', { type: 'submit', class: 'primary' }, 'Create'),
    status);
}
