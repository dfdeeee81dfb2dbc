import { INestApplication } from '@nestjs/common';
import { AppConfig, loadConfig } from '@app/config';
import { CredentialsService } from '@app/credentials';
import { startWebmail } from '../../apps/webmail/src/webmail.bootstrap';
import { withDb } from './factories';

/** apps/webmail running in this process on a free port. */
export interface TestWebmail {
  app: INestApplication;
  cfg: AppConfig;
  httpPort: number;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts apps/webmail in-process (port 0). `overrides` are environment
 * strings as in .env. Defaults for tests: the access cache is off (a mode
 * change applies to the next request), sign-in limits are high (many tests
 * sign in from 127.0.0.1 within the same Redis prefix), notification mail
 * cannot leave the machine.
 */
export async function startTestWebmail(overrides: Record<string, string> = {}): Promise<TestWebmail> {
  const cfg = loadConfig({
    ...process.env,
    WEBMAIL_HTTP_PORT: '0',
    WEBMAIL_ACCESS_CACHE_MS: '0',
    WEBMAIL_SIGNIN_ATTEMPTS_PER_IP_PER_HOUR: '1000000',
    WEBMAIL_SIGNIN_ATTEMPTS_PER_ADDRESS_PER_HOUR: '100000',
    SIGNIN_REQUESTS_PER_IP_PER_HOUR: '100000',
    SHUTDOWN_GRACE_MS: '5000',
    STATIC_ROUTES: '*=127.0.0.1:9',
    ...overrides,
  });
  const running = await startWebmail(cfg);
  return { app: running.app, cfg, httpPort: running.httpPort, baseUrl: `http://127.0.0.1:${running.httpPort}`, stop: running.stop };
}

type Body = Record<string, unknown> | unknown[] | FormData | string | Buffer | Uint8Array | URLSearchParams | null | undefined;

/** A signed-in employee: every call carries the session cookie and (for changes) the CSRF token. Answers are fetch Responses. */
export interface EmployeeClient {
  tenantId: string;
  mailboxId: string;
  address: string;
  password: string;
  /** `mc_webmail=<token>`, for a Cookie header. */
  cookie: string;
  csrfToken: string;
  get(path: string): Promise<Response>;
  post(path: string, body?: Body): Promise<Response>;
  put(path: string, body?: Body): Promise<Response>;
  patch(path: string, body?: Body): Promise<Response>;
  delete(path: string, body?: Body): Promise<Response>;
  /** Raw fetch with only the session cookie added. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** `name=value` of the cookies a response sets (the values only, without attributes). */
export function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/** A client for an existing session cookie and CSRF token. */
export function employeeClient(webmail: Pick<TestWebmail, 'baseUrl'>, s: Omit<EmployeeClient, 'get' | 'post' | 'put' | 'patch' | 'delete' | 'fetch'>): EmployeeClient {
  const raw = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const have = headers.get('cookie');
    headers.set('cookie', have ? `${have}; ${s.cookie}` : s.cookie);
    return fetch(`${webmail.baseUrl}${path}`, { ...init, headers, redirect: 'manual' });
  };
  const send = (method: string) => (path: string, body?: Body) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = s.csrfToken;
    let payload: RequestInit['body'];
    if (body === undefined || body === null) payload = undefined;
    else if (body instanceof FormData || body instanceof URLSearchParams || typeof body === 'string' || body instanceof Uint8Array) payload = body as RequestInit['body'];
    else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return raw(path, { method, headers, body: payload });
  };
  return { ...s, get: (path) => send('GET')(path), post: send('POST'), put: send('PUT'), patch: send('PATCH'), delete: send('DELETE'), fetch: raw };
}

let counter = 0;

/**
 * Signs an employee in the real way: a one-time credential from
 * CredentialsService.issue, redeemed over HTTP at /signin/code, a password set
 * at /signin/set-password. `open` (default true): when the tenant is neither in
 * continuity mode nor in a drill, practice sign-in is switched on for it so
 * the webmail lets the employee in.
 */
export async function signInEmployee(
  webmail: TestWebmail,
  who: { tenantId: string; mailboxId: string; password?: string; open?: boolean },
): Promise<EmployeeClient> {
  const row = await withDb(async (db) => {
    if (who.open !== false) {
      await db.query(`UPDATE tenants SET webmail_practice_signin = true WHERE id = $1 AND mode NOT IN ('active','drill')`, [who.tenantId]);
    }
    return (await db.query(`SELECT address FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [who.tenantId, who.mailboxId])).rows[0];
  });
  if (!row) throw new Error(`signInEmployee: no mailbox ${who.mailboxId} in tenant ${who.tenantId}`);
  const address: string = row.address;
  const password = who.password ?? `practice words ${++counter} ${Math.random().toString(36).slice(2, 10)}`;
  const issued = await webmail.app.get(CredentialsService).issue(who.tenantId, who.mailboxId, 'sms', null);
  const redeemed = await fetch(`${webmail.baseUrl}/signin/code`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ address, code: issued.code }),
  });
  if (redeemed.status !== 200) throw new Error(`signInEmployee: /signin/code answered ${redeemed.status} ${await redeemed.text()}`);
  const setup = cookiesOf(redeemed).mc_webmail_setup;
  const set = await fetch(`${webmail.baseUrl}/signin/set-password`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Cookie: `mc_webmail_setup=${setup}` },
    body: JSON.stringify({ password }),
  });
  if (set.status !== 200) throw new Error(`signInEmployee: /signin/set-password answered ${set.status} ${await set.text()}`);
  const { csrfToken } = (await set.json()) as { csrfToken: string };
  const session = cookiesOf(set).mc_webmail;
  return employeeClient(webmail, { tenantId: who.tenantId, mailboxId: who.mailboxId, address, password, cookie: `mc_webmail=${session}`, csrfToken });
}
