// Small DOM helpers. Everything shown is built with text nodes, never parsed as HTML, so
// values from the gateway (headers, bodies, certificate subjects) cannot inject markup.

/** An element: h('a', {href: '#/x', class: 'c', onclick: f}, 'text', child, [more]). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      element.value = value;
    } else if (name === 'checked' || name === 'disabled' || name === 'selected' || name === 'hidden') {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A page heading with an optional line under it. */
export function heading(title, lead) {
  return [h('h1', {}, title), lead ? h('p', { class: 'lead' }, lead) : null];
}

/** A coloured label: kind is ok, warn, bad or muted. */
export function badge(text, kind = 'muted') {
  return h('span', { class: `badge ${kind}` }, text);
}

/** A labelled form field; `control` is the input. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

/** A table from column titles and rows of cells. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

/** An error box for a failed call. */
export function errorBox(error) {
  const details = (error.details || []).map((d) =>
    h('li', {}, d.line ? `line ${d.line}, column ${d.column}: ${d.message}` : d.message || JSON.stringify(d)));
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, error.message || String(error)),
    details.length ? h('ul', {}, details) : null);
}

/** A button that copies `text()` to the clipboard. */
export function copyButton(text, label = 'Copy') {
  return h('button', {
    type: 'button', class: 'quiet small',
    onclick: async (event) => {
      const button = event.currentTarget;
      try {
        await navigator.clipboard.writeText(text());
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Copy failed';
      }
      setTimeout(() => { button.textContent = label; }, 1500);
    },
  }, label);
}

/** A short message at the bottom of the window. */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toast');
  box.className = `show ${kind}`;
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = ''; }, 3500);
}

/** Hides the toast at once (when the page changes). */
export function clearToast() {
  clearTimeout(toast.timer);
  document.getElementById('toast').className = '';
}

/** `2026-11-01T10:00:00Z` as a local date and time. */
export function dateTime(text) {
  if (!text) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

/** Days from now until `text` (negative when past). */
export function daysUntil(text) {
  return Math.floor((new Date(text).getTime() - Date.now()) / 86400000);
}

/** JSON text pretty-printed when it parses, else as given. */
export function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
