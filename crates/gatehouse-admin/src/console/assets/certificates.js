// Certificates: upload PFX (with password), PEM, DER or CER; the list with expiry marked;
// and the CA store that Verify() and validate-client-certificate use.

import { h, heading, replace, field, errorBox, table, badge, toast, dateTime, daysUntil } from './dom.js';
import { api, nameOf } from './http.js';

const EXPIRING_DAYS = 30;

export async function render(main) {
  const [certificates, authorities] = await Promise.all([
    api('GET', '/certificates'),
    api('GET', '/certificateAuthorities').catch(() => ({ value: [] })),
  ]);
  const inStore = new Map(authorities.value.map((a) => [nameOf(a), a.properties]));
  replace(main,
    heading('Certificates', 'Client certificates that policies compare against (context.Deployment.Certificates), and the CA store.'),
    uploadForm(() => render(main)),
    h('h2', {}, 'Uploaded certificates'),
    certificateTable(certificates.value, inStore, () => render(main)),
    h('h2', {}, 'CA store'),
    caForm(certificates.value, () => render(main)));
}

function uploadForm(reload) {
  const file = h('input', { type: 'file', name: 'file', accept: '.pfx,.p12,.pem,.crt,.cer,.der', required: true });
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z][A-Za-z0-9\\-]{0,79}', placeholder: 'client-a' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'off' });
  const status = h('div', { 'aria-live': 'polite' });
  file.addEventListener('change', () => {
    if (!id.value && file.files[0]) id.value = idFrom(file.files[0].name);
  });
  const upload = async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const properties = { data: base64(await chosen.arrayBuffer()) };
    if (password.value) properties.password = password.value;
    try {
      const saved = await api('PUT', `/certificates/${encodeURIComponent(id.value)}`, { properties });
      toast(`Uploaded ${id.value}: thumbprint ${saved.properties.thumbprint}`);
      reload();
    } catch (error) {
      replace(status, errorBox(error));
    }
  };
  return h('form', { class: 'card', onsubmit: upload },
    h('h2', {}, 'Upload'),
    h('div', { class: 'row' },
      field('File (PFX, PEM, DER or CER)', file),
      field('Certificate id', id, 'Letters, digits and hyphens.'),
      field('Password', password, 'For a PFX, or an encrypted PEM key.')),
    h('button', { type: 'submit', class: 'primary' }, 'Upload'),
    status);
}

function certificateTable(certificates, inStore, reload) {
  const rows = certificates.map((c) => {
    const p = c.properties;
    const id = nameOf(c);
    const authority = inStore.get(id);
    return [
      h('strong', {}, id),
      h('span', { class: 'break' }, p.subject),
      h('span', { class: 'break' }, p.issuer || ''),
      h('code', { class: 'thumbprint' }, p.thumbprint),
      h('span', {}, dateTime(p.expirationDate), ' ', expiry(p.expirationDate)),
      p.hasPrivateKey ? badge('yes', 'ok') : badge('no'),
      authority ? badge(authority.isTrusted ? 'trusted root' : 'intermediate', 'ok') : '—',
      h('button', { type: 'button', class: 'quiet small', onclick: () => remove(`/certificates/${encodeURIComponent(id)}`, id, reload) }, 'Delete'),
    ];
  });
  return table(['Id', 'Subject', 'Issuer', 'Thumbprint', 'Expires', 'Private key', 'CA store', ''], rows, 'No certificates uploaded.');
}

/** Expired, expiring soon, or valid. */
export function expiry(date) {
  const days = daysUntil(date);
  if (days < 0) return badge('expired', 'bad');
  if (days < EXPIRING_DAYS) return badge(`expires in ${days} day${days === 1 ? '' : 's'}`, 'warn');
  return badge('valid', 'ok');
}

function caForm(certificates, reload) {
  const certificate = h('select', { name: 'ca' }, certificates.map((c) => h('option', {}, nameOf(c))));
  const kind = h('select', { name: 'kind' }, h('option', { value: 'root' }, 'trusted root'), h('option', { value: 'intermediate' }, 'intermediate'));
  const status = h('div', { 'aria-live': 'polite' });
  const add = async (event) => {
    event.preventDefault();
    try {
      await api('PUT', `/certificateAuthorities/${encodeURIComponent(certificate.value)}`, { properties: { isTrusted: kind.value === 'root' } });
      reload();
    } catch (error) {
      replace(status, errorBox(error));
    }
  };
  const removeButton = h('button', { type: 'button', class: 'quiet', onclick: () => remove(`/certificateAuthorities/${encodeURIComponent(certificate.value)}`, `${certificate.value} from the CA store`, reload) }, 'Remove from the CA store');
  return h('form', { class: 'card', onsubmit: add },
    h('p', {}, 'An uploaded certificate in the CA store is what context.Request.Certificate.Verify() and validate-client-certificate chain client certificates to.'),
    h('div', { class: 'row' }, field('Certificate', certificate), field('As', kind)),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add to the CA store'), removeButton),
    status);
}

async function remove(path, what, reload) {
  if (!confirm(`Delete ${what}?`)) return;
  try {
    await api('DELETE', path);
    toast(`Deleted ${what}`);
    reload();
  } catch (error) {
    toast(error.message, 'bad');
  }
}

function idFrom(fileName) {
  const base = fileName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9-]+/g, '-').replace(/^[^A-Za-z]+/, '');
  return (base || 'certificate').slice(0, 80);
}

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
