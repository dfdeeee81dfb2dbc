/** The console's one way to the server: same-origin JSON, the session's CSRF token on every change. */

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string, readonly body?: unknown) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthenticated: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token ?? '';
}

/** What to do when the session is gone (show the sign-in form). */
export function whenSignedOut(fn: () => void): void {
  onUnauthenticated = fn;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: string | undefined;
  if (body !== undefined) {
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
  if (res.status === 401 && !path.startsWith('/api/auth/login') && !path.startsWith('/api/auth/totp')) onUnauthenticated();
  if (!res.ok) throw new ApiError(res.status, String(json?.code ?? 'error'), String(json?.message ?? res.statusText), json?.field ? String(json.field) : undefined, json);
  return json as T;
}

export const get = <T,>(path: string) => api<T>('GET', path);
export const post = <T,>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T,>(path: string, body?: unknown) => api<T>('PATCH', path, body ?? {});
export const del = <T,>(path: string) => api<T>('DELETE', path);

export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
