import { createTestTenant } from '../../support/factories';
import { signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';

jest.setTimeout(60_000);

/**
 * Every route of the running webmail needs an employee session, except the
 * few listed here. The routes are read from the Express router, so a new
 * route that forgets the guard (or is marked @Public() without being listed)
 * fails this test.
 */
const PUBLIC_ROUTES = new Set([
  // sign-in pages (their form posts carry their own CSRF token)
  'GET /signin',
  'GET /signin/link',
  'POST /signin/link',
  'POST /signin/code',
  'GET /signin/set-password',
  'POST /signin/set-password',
  'POST /signin/password',
  'POST /signin/request',
  // sign-out form: ends the session it finds (checking its CSRF token), else just goes back to sign-in
  'POST /signout',
  // liveness, readiness, metrics
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
]);

/**
 * Public routes of the single-page app (its index page and static assets):
 * served without a session so the browser can load the app, which then asks
 * GET /api/session. Listed by their exact path pattern.
 */
const PUBLIC_APP_ROUTES = new Set<string>(['GET /assets/:name', 'GET /favicon.ico']);

interface RouteEntry { method: string; path: string }

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; name?: string; handle?: { stack?: Layer[] } };

function routesOf(webmail: TestWebmail): RouteEntry[] {
  const express = webmail.app.getHttpAdapter().getInstance() as { router?: { stack: Layer[] }; _router?: { stack: Layer[] } };
  const stack = (express.router ?? express._router)?.stack;
  if (!stack) throw new Error('no Express router stack');
  const out: RouteEntry[] = [];
  const walk = (layers: Layer[]) => {
    for (const l of layers) {
      if (l.route) {
        for (const path of Array.isArray(l.route.path) ? l.route.path : [l.route.path]) {
          for (const [m, on] of Object.entries(l.route.methods)) if (on && m !== '_all') out.push({ method: m.toUpperCase(), path });
        }
      } else if (l.handle?.stack) walk(l.handle.stack);
    }
  };
  walk(stack);
  return out;
}

/** A concrete URL for a route pattern: every parameter a well-formed id, wildcards a plain segment. */
function concrete(path: string): string {
  return path
    .replace(/\{\/?\*\w+\}/g, '/x')
    .replace(/\*\w*/g, 'x')
    .replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000')
    .replace(/[{}]/g, '');
}

describe('every webmail route needs a session', () => {
  let webmail: TestWebmail;
  let routes: RouteEntry[];

  beforeAll(async () => {
    webmail = await startTestWebmail();
    routes = routesOf(webmail);
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  const key = (r: RouteEntry) => `${r.method} ${r.path}`;
  const guarded = () => routes.filter((r) => !PUBLIC_ROUTES.has(key(r)) && !PUBLIC_APP_ROUTES.has(key(r)));

  it('finds the routes, including the public ones listed', () => {
    const all = new Set(routes.map(key));
    for (const p of PUBLIC_ROUTES) expect(all).toContain(p);
    expect(all).toContain('GET /api/session');
    expect(all).toContain('POST /api/session/logout');
    expect(all).toContain('POST /api/session/password');
  });

  it('answers 401 unauthenticated (JSON) without a session on every other route', async () => {
    const wrong: string[] = [];
    for (const r of guarded()) {
      const res = await fetch(`${webmail.baseUrl}${concrete(r.path)}`, {
        method: r.method,
        headers: { Accept: 'application/json', ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { 'Content-Type': 'application/json' }) },
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : '{}',
        redirect: 'manual',
      });
      const body = r.method === 'HEAD' ? null : ((await res.json().catch(() => null)) as { code?: string } | null);
      if (res.status !== 401 || (body && body.code !== 'unauthenticated')) wrong.push(`${key(r)} → ${res.status} ${JSON.stringify(body)}`);
    }
    expect(wrong).toEqual([]);
    expect(guarded().length).toBeGreaterThanOrEqual(3);
  });

  it('sends a browser without a session from a page to /signin', async () => {
    const pages = guarded().filter((r) => r.method === 'GET' && !r.path.startsWith('/api/'));
    for (const r of pages) {
      const res = await fetch(`${webmail.baseUrl}${concrete(r.path)}`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
      expect([key(r), res.status, res.headers.get('location')]).toEqual([key(r), 302, '/signin']);
    }
  });

  it('refuses every change without the CSRF token even with a session (403 csrf_failed)', async () => {
    const t = await createTestTenant({ mailboxes: ['anna'] });
    const anna = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.anna.id });
    const wrong: string[] = [];
    for (const r of guarded().filter((x) => !['GET', 'HEAD', 'OPTIONS'].includes(x.method))) {
      const res = await anna.fetch(concrete(r.path), { method: r.method, headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, body: '{}' });
      const body = (await res.json().catch(() => null)) as { code?: string } | null;
      if (res.status !== 403 || body?.code !== 'csrf_failed') wrong.push(`${key(r)} → ${res.status} ${JSON.stringify(body)}`);
    }
    expect(wrong).toEqual([]);
    expect((await anna.get('/api/session')).status).toBe(200);
  });
});
