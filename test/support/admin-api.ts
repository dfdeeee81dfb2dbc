import { createHash, randomBytes } from 'node:crypto';
import { authenticator } from 'otplib';
import { AppConfig, loadConfig } from '@app/config';
import { startApi, RunningApi } from '../../apps/api/src/api.bootstrap';
import { hashPassword } from '@app/admin-access';
import { encryptTotpSecret, totpKeyFrom } from '@app/admin-access';
import { AdminRole } from '../../apps/api/src/auth/principal';
import { uniqueLabel, withDb } from './factories';

/**
 * The admin API in-process for integration tests, and clients for it: an
 * admin signed in with password and TOTP (cookie and CSRF handled), an API
 * key, or nobody.
 */
export interface TestApi extends RunningApi {
  url: string;
  cfg: AppConfig;
}

/** Sign-in and change limits are lifted (every test signs in from 127.0.0.1); a test of the limits sets its own. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const cfg = loadConfig({
    ...process.env,
    API_HTTP_PORT: '0',
    ADMIN_LOGIN_ATTEMPTS_PER_IP: '1000000',
    ADMIN_MUTATIONS_PER_MINUTE: '1000000',
    // Notification mail must not wander onto the internet from a test.
    STATIC_ROUTES: '*=127.0.0.1:9',
    ...overrides,
  });
  const api = await startApi(cfg);
  return { ...api, cfg, url: `http://127.0.0.1:${api.httpPort}` };
}

export interface TestAdmin {
  id: string;
  email: string;
  name: string;
  password: string;
  /** base32; `totpCode(admin)` gives the current code. */
  totpSecret: string | null;
  role: AdminRole;
  tenantId: string | null;
}

/**
 * An admin straight in the database, TOTP already enrolled (unless
 * `totp: false`). Operators have no tenant; others need `tenantId`.
 */
export async function createAdmin(spec: { role: AdminRole; tenantId?: string | null; email?: string; name?: string; password?: string; totp?: boolean }): Promise<TestAdmin> {
  const tenantId = spec.role === 'operator' ? null : spec.tenantId ?? null;
  if (spec.role !== 'operator' && !tenantId) throw new Error(`createAdmin: a ${spec.role} needs a tenantId`);
  const email = (spec.email ?? `${uniqueLabel(spec.role)}@admins.example`).toLowerCase();
  const password = spec.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const name = spec.name ?? `Test ${spec.role}`;
  const hash = await hashPassword(password);
  const totpSecret = spec.totp === false ? null : authenticator.generateSecret(20);
  const id = await withDb(async (db) => {
    const r = await db.query(`INSERT INTO admin_users (tenant_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [tenantId, email, name, hash, spec.role]);
    const userId: string = r.rows[0].id;
    if (totpSecret) {
      const key = totpKeyFrom(loadConfig(process.env));
      await db.query(`UPDATE admin_users SET totp_secret_enc = $2, totp_enabled_at = now() WHERE id = $1`, [userId, encryptTotpSecret(key, totpSecret, userId)]);
    }
    return userId;
  });
  return { id, email, name, password, totpSecret, role: spec.role, tenantId };
}

/** The current TOTP code of an admin (or a base32 secret). */
export function totpCode(secretOrAdmin: string | Pick<TestAdmin, 'totpSecret'>): string {
  const secret = typeof secretOrAdmin === 'string' ? secretOrAdmin : secretOrAdmin.totpSecret;
  if (!secret) throw new Error('this admin has no TOTP secret');
  return authenticator.generate(secret);
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Any method, with raw options (e.g. a CSV body with its own content type, or without the CSRF header). */
  request<T = any>(method: string, path: string, body?: unknown, opts?: { headers?: Record<string, string>; raw?: boolean; csrf?: boolean }): Promise<ApiResponse<T>>;
  cookie: string | null;
  csrfToken: string | null;
  /** The API key, for apiKeyClient. */
  key?: string;
  admin?: TestAdmin;
}

function makeClient(base: string, auth: { cookie?: string | null; csrfToken?: string | null; bearer?: string }): ApiClient {
  const client: ApiClient = {
    cookie: auth.cookie ?? null,
    csrfToken: auth.csrfToken ?? null,
    key: auth.bearer,
    async request(method, path, body, opts = {}) {
      const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
      if (client.cookie) headers.cookie = client.cookie;
      if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
      const m = method.toUpperCase();
      if (client.csrfToken && m !== 'GET' && m !== 'HEAD' && opts.csrf !== false) headers['x-csrf-token'] = client.csrfToken;
      let payload: string | Buffer | undefined;
      if (body !== undefined) {
        if (opts.raw) payload = body as string | Buffer;
        else {
          payload = JSON.stringify(body);
          headers['content-type'] ??= 'application/json';
        }
      }
      const res = await fetch(new URL(path, base), { method: m, headers, body: payload, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [name, value] = pair.split('=');
        if (name === 'mc_admin') client.cookie = value ? `mc_admin=${value}` : null;
      }
      const text = await res.text();
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed && typeof (parsed as { csrfToken: unknown }).csrfToken === 'string') {
        client.csrfToken = (parsed as { csrfToken: string }).csrfToken;
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    get: (path) => client.request('GET', path),
    post: (path, body) => client.request('POST', path, body),
    patch: (path, body) => client.request('PATCH', path, body),
    put: (path, body) => client.request('PUT', path, body),
    delete: (path, body) => client.request('DELETE', path, body),
  };
  return client;
}

/** A client with no credentials. */
export function anonymous(api: Pick<TestApi, 'url'>): ApiClient {
  return makeClient(api.url, {});
}

/** Password, then TOTP (unless the admin has none: then the session stays in 'enrol'). Throws if sign-in fails. */
export async function signIn(api: Pick<TestApi, 'url'>, admin: TestAdmin): Promise<ApiClient> {
  const c = makeClient(api.url, {});
  c.admin = admin;
  const login = await c.post('/api/auth/login', { email: admin.email, password: admin.password });
  if (login.status !== 200) throw new Error(`sign-in of ${admin.email} failed: ${login.status} ${JSON.stringify(login.body)}`);
  if (admin.totpSecret) {
    // The api takes each code once; tests sign one admin in several times within 30 s.
    await withDb((db) => db.query(`UPDATE admin_users SET totp_last_step = NULL WHERE id = $1`, [admin.id]));
    const t = await c.post('/api/auth/totp', { code: totpCode(admin) });
    if (t.status !== 200) throw new Error(`TOTP of ${admin.email} failed: ${t.status} ${JSON.stringify(t.body)}`);
  }
  return c;
}

/** An API key of the tenant made straight in the database, and a client that sends it. */
export async function apiKeyClient(api: Pick<TestApi, 'url'>, tenantId: string, role: 'admin' | 'viewer', name = `test ${role} key`): Promise<ApiClient & { keyId: string }> {
  const prefix = `mcak_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  const keyId = await withDb(async (db) =>
    (await db.query(
      `INSERT INTO api_keys (tenant_id, name, role, prefix, secret_hash, created_by_name) VALUES ($1, $2, $3, $4, $5, 'test') RETURNING id`,
      [tenantId, name, role, prefix, createHash('sha256').update(key).digest()],
    )).rows[0].id as string,
  );
  return Object.assign(makeClient(api.url, { bearer: key }), { keyId });
}

/** Audit rows of a tenant (null: rows about no tenant), oldest first. */
export async function auditRowsOf(tenantId: string | null): Promise<Array<{ action: string; actor_kind: string; actor_id: string | null; actor_name: string; target: string | null; details: Record<string, unknown>; ip: string | null }>> {
  return withDb(async (db) => (await db.query(`SELECT * FROM admin_audit_log WHERE tenant_id IS NOT DISTINCT FROM $1 ORDER BY id`, [tenantId])).rows);
}
