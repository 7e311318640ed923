// api.js talks to homebell's HTTP API: bearer token, JSON, problem documents as ApiError.

/** ApiError is an RFC 9457 problem document answered by the server. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || '';
    this.title = problem?.title || '';
    this.detail = problem?.detail || '';
    this.errors = problem?.errors || [];
  }
}

/** uuid makes a random UUID (v4) for Idempotency-Key; works outside secure contexts too. */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const TOKEN_KEY = 'homebell.token';

/** Api is a small client; one instance per page. */
export class Api {
  constructor() {
    this.token = localStorage.getItem(TOKEN_KEY) || '';
    this.onUnauthorized = null;
  }

  setToken(t) {
    this.token = t || '';
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
  }

  /** request sends method path with an optional JSON body. opts.create adds an Idempotency-Key. */
  async request(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.create) headers['Idempotency-Key'] = opts.idempotencyKey || uuid();
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { title: 'network', detail: e.message || String(e), code: 'network' });
    }
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 200) }; } }
    if (!res.ok) {
      const err = new ApiError(res.status, data);
      if (res.status === 401 && this.onUnauthorized) this.onUnauthorized(err);
      throw err;
    }
    return data;
  }

  get(path) { return this.request('GET', path); }
  /** post sends a POST; every POST carries a fresh Idempotency-Key so a retried click has one effect. */
  post(path, body = {}, opts = { create: true }) { return this.request('POST', path, body, opts); }
  put(path, body) { return this.request('PUT', path, body); }
  patch(path, body) { return this.request('PATCH', path, body); }
}

/** qs builds a query string from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
