// The only way the UI talks to the server: its public HTTP APIs, with credentials on a 401.

export const V1 = '/kapacitor/v1';
export const PREVIEW = '/kapacitor/v1preview';
const AUTH_KEY = 'kapacitrio.authorization';

let authorization = sessionStorage.getItem(AUTH_KEY) || '';
let signingIn = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorOf(resp) {
  const text = await resp.text();
  let message = text.trim() || `${resp.status} ${resp.statusText}`;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === 'string') message = body.error;
  } catch (_) { /* kkok answers text/plain */ }
  return new ApiError(resp.status, message);
}

/** Ask for credentials (once, however many requests failed) and remember them for the session. */
function signIn(reason) {
  if (signingIn) return signingIn;
  const dialog = document.getElementById('login');
  const form = document.getElementById('login-form');
  document.getElementById('login-reason').textContent = reason || 'The server asks for credentials.';
  signingIn = new Promise((resolve, reject) => {
    dialog.addEventListener('close', () => {
      signingIn = null;
      if (dialog.returnValue !== 'ok') {
        reject(new ApiError(401, 'not signed in'));
        return;
      }
      const user = form.username.value;
      const token = form.token.value.trim();
      authorization = token ? `Bearer ${token}` : `Basic ${btoa(unescape(encodeURIComponent(`${user}:${form.password.value}`)))}`;
      form.password.value = '';
      sessionStorage.setItem(AUTH_KEY, authorization);
      resolve();
    }, { once: true });
    dialog.showModal();
    form.username.focus();
  });
  return signingIn;
}

/** The current Authorization header value ('' when none). */
export function currentAuthorization() {
  return authorization;
}

/**
 * One request. `body` (not a string) is sent as JSON. Returns parsed JSON, text, or null for a
 * 204; with `raw: true` the Response itself (for streams). Throws ApiError on a non-2xx answer.
 */
export async function request(path, { method = 'GET', body, headers = {}, raw = false, signal } = {}) {
  for (;;) {
    const sent = { ...headers };
    if (authorization) sent.Authorization = authorization;
    let payload = body;
    if (body !== undefined && typeof body !== 'string') {
      payload = JSON.stringify(body);
      sent['Content-Type'] = 'application/json';
    }
    const resp = await fetch(path, { method, headers: sent, body: payload, signal, credentials: 'same-origin' });
    if (resp.status === 401) {
      const err = await errorOf(resp);
      authorization = '';
      sessionStorage.removeItem(AUTH_KEY);
      await signIn(err.message);
      continue;
    }
    if (!resp.ok) throw await errorOf(resp);
    if (raw) return resp;
    if (resp.status === 204) return null;
    const type = resp.headers.get('Content-Type') || '';
    return type.includes('json') ? resp.json() : resp.text();
  }
}

export const get = (path, opts) => request(path, opts);
export const post = (path, body, opts) => request(path, { ...opts, method: 'POST', body });
export const put = (path, body, opts) => request(path, { ...opts, method: 'PUT', body });
export const patch = (path, body, opts) => request(path, { ...opts, method: 'PATCH', body });
export const del = (path, opts) => request(path, { ...opts, method: 'DELETE' });

/** A ws:// or wss:// URL on this server. */
export function wsUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

/** `encodeURIComponent` for one path segment. */
export const seg = (text) => encodeURIComponent(text);
