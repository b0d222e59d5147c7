// The console's shell: sign-in, navigation and the hash router. Each page module exports
// render(main, params) and may return a function to call when the page is left.

import { h, replace, errorBox, field, clearToast } from './dom.js';
import { api, session } from './http.js';
import * as overview from './overview.js';
import * as apis from './apis.js';
import * as test from './test.js';
import * as trace from './trace.js';
import * as certificates from './certificates.js';
import * as subscriptions from './subscriptions.js';
import * as policies from './policies.js';

const routes = [
  [/^\/overview$/, 'overview', overview.render],
  [/^\/apis$/, 'apis', apis.renderList],
  [/^\/apis\/([^/]+)$/, 'apis', apis.renderApi],
  [/^\/apis\/([^/]+)\/operations\/([^/]+)$/, 'apis', test.render],
  [/^\/trace(?:\/([^/]+))?$/, 'trace', trace.render],
  [/^\/certificates$/, 'certificates', certificates.render],
  [/^\/subscriptions$/, 'subscriptions', subscriptions.render],
  [/^\/policies$/, 'policies', policies.render],
];

const main = document.getElementById('main');
let leave = null;

/** Shows the page the location's hash names, or the sign-in form. */
async function route() {
  if (typeof leave === 'function') leave();
  leave = null;
  clearToast();
  if (!session.token()) {
    showSignIn();
    return;
  }
  showChrome(true);
  const [path, query] = (location.hash.slice(1) || '/overview').split('?');
  const params = new URLSearchParams(query || '');
  const match = routes.find(([pattern]) => pattern.test(path));
  if (!match) {
    location.replace('#/overview');
    return;
  }
  const [pattern, page, render] = match;
  markCurrent(page);
  const captures = path.match(pattern).slice(1).map((c) => (c ? decodeURIComponent(c) : c));
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    leave = await render(main, captures, params);
  } catch (error) {
    if (error.status !== 401) replace(main, errorBox(error));
  }
  main.focus({ preventScroll: true });
}

function markCurrent(page) {
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
}

function showSignIn(message) {
  showChrome(false);
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' }, message ? errorBox({ message }) : null);
  const form = h('form', { class: 'card sign-in', onsubmit: (event) => signIn(event, input, status) },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste the admin token. It is in ', h('code', {}, 'gatehouse-data/admin-token'),
      '; the console keeps it in this tab only, until you sign out or close the tab.'),
    field('Admin token', input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status);
  replace(main, form);
  input.focus();
}

async function signIn(event, input, status) {
  event.preventDefault();
  const token = input.value.trim();
  try {
    await api('GET', '/gateway', undefined, token);
  } catch (error) {
    const message = error.status === 401 ? 'That token was refused: copy it again from the admin-token file.' : error.message;
    replace(status, errorBox({ message }));
    input.select();
    return;
  }
  session.signIn(token);
  route();
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  location.hash = '#/overview';
  route();
});

window.addEventListener('gatehouse:unauthorized', () => {
  session.signOut();
  showSignIn('The admin token is no longer accepted: sign in again.');
});
window.addEventListener('hashchange', route);
route();
