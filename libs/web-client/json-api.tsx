/**
 * The browser side of our JSON APIs, shared by the console and the webmail
 * front ends (bundled into each; server code never imports it): same-origin
 * requests, the session's CSRF token on every change, the server's error body
 * `{statusCode, code, message, field?}` as an ApiError.
 */

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string, readonly body?: unknown) {
    super(message);
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JsonApiOptions {
  /** Called when the server answers 401 (the session is gone); the ApiError is thrown after it. */
  onUnauthenticated(path: string): void;
}

export interface JsonApi {
  setCsrfToken(token: string | null): void;
  /** `body`: JSON-encoded, a FormData as it is, or (with `contentType`) sent as that type's text. */
  api<T>(method: Method, path: string, body?: unknown, contentType?: string): Promise<T>;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
}

export function jsonApi(opts: JsonApiOptions): JsonApi {
  let csrfToken = '';
  async function api<T>(method: Method, path: string, body?: unknown, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      payload = contentType ? String(body) : JSON.stringify(body);
    }
    if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'network', 'network');
    }
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.status === 401) opts.onUnauthenticated(path);
    if (!res.ok) throw new ApiError(res.status, String(json?.code ?? 'error'), String(json?.message ?? res.statusText), json?.field ? String(json.field) : undefined, json);
    return json as T;
  }
  return {
    setCsrfToken: (token) => {
      csrfToken = token ?? '';
    },
    api,
    get: (path) => api('GET', path),
    post: (path, body) => api('POST', path, body ?? {}),
    put: (path, body) => api('PUT', path, body ?? {}),
    patch: (path, body) => api('PATCH', path, body ?? {}),
    del: (path) => api('DELETE', path),
  };
}

/** `?a=1&b=x` of the parameters that have a value; '' when none has. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
