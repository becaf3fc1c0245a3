// The broker's HTTP API (docs/dashboard.md): JSON in and out, the session
// cookie sent by the browser, the CSRF token added to every POST.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// What /api/session said: tokens (the broker has tokens, so logging out
// means something), role ("read", "admin", or null when this browser is
// not logged in), csrf (sent back with every POST).
export const session = { tokens: false, role: null, csrf: '' };

export function isAdmin() {
  return session.role === 'admin';
}

// Subscribers told when the broker answers 401: the session has expired
// (idle, or the broker restarted) and the login form must come back.
const unauthenticatedListeners = new Set();
export function onUnauthenticated(listener) {
  unauthenticatedListeners.add(listener);
}

async function request(method, path, body, signal) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal };
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    if (session.csrf) {
      headers['X-CSRF-Token'] = session.csrf;
    }
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/login') {
      unauthenticatedListeners.forEach((listener) => listener());
    }
    const message = data && typeof data.error === 'string' ? data.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return data ?? {};
}

// GET path?params; unset and empty parameters are left out.
export function get(path, params = {}, signal = undefined) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      query.set(key, String(value));
    }
  }
  const text = query.toString();
  return request('GET', text ? `${path}?${text}` : path, undefined, signal);
}

export function post(path, body = {}, signal = undefined) {
  return request('POST', path, body, signal);
}

export async function loadSession() {
  const answer = await get('/api/session');
  session.tokens = Boolean(answer.tokens);
  session.role = answer.role ?? null;
  session.csrf = answer.csrf ?? '';
  return session;
}

export async function login(token) {
  await post('/api/login', { token });
  return loadSession();
}

export async function logout() {
  await post('/api/logout');
  return loadSession();
}

// A path segment for a name or id chosen by users (queue, worker).
export function segment(text) {
  return encodeURIComponent(text);
}

// The list in a list route's answer: {"jobs": [...]} or a bare array.
export function listOf(answer, key) {
  if (Array.isArray(answer)) {
    return answer;
  }
  return Array.isArray(answer?.[key]) ? answer[key] : [];
}
