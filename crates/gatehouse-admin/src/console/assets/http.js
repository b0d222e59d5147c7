// Calls to the management API with the admin token from sessionStorage. The token is sent
// only in the Authorization header: never in a URL, never logged.

const TOKEN_KEY = 'gatehouse.adminToken';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A management API error: status, message and details from APIM's error shape. */
export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || [];
  }
}

/** Calls the management API; resolves to the parsed JSON body (null when empty). */
export async function api(method, path, body, token = session.token()) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `The management API cannot be reached (${error.message}). Is Gatehouse running?`);
  }
  const text = await response.text();
  const json = parse(text);
  if (response.status === 401 && token === session.token()) {
    window.dispatchEvent(new CustomEvent('gatehouse:unauthorized'));
  }
  if (!response.ok) {
    const error = json && json.error;
    throw new ApiError(response.status, error ? error.message : `${response.status} ${text}`, error && error.details);
  }
  return json;
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A trace document by id; traces need no token, their id is the permission. */
export async function fetchTrace(id) {
  const response = await fetch(`/traces/${encodeURIComponent(id)}`, { cache: 'no-store' });
  if (!response.ok) {
    throw new ApiError(response.status, response.status === 404
      ? `No trace '${id}': traces expire an hour after the call.`
      : `The trace could not be read (${response.status}).`);
  }
  return response.json();
}

/** The resource path of a collection item: `/apis/echo-api` → `echo-api`. */
export function nameOf(resource) {
  return resource.name || resource.id.split('/').pop();
}
