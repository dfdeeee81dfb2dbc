import { anonymous, startTestApi, TestApi } from '../../support/admin-api';

/** The console is served with a strict policy: its own script and styles only, no inline script, not framed. */
describe('admin console page', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('sends / to the console and serves the page (or says it is not built) with a strict CSP', async () => {
    const root = await anonymous(api).request('GET', '/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const page = await anonymous(api).request('GET', '/console/');
    if (page.status === 503) {
      // Not built in this checkout (npm run build makes it); the answer says so.
      expect(page.body.code).toBe('console_not_built');
      return;
    }
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = String(page.body);
    // No inline script: every <script> has a src under /console/assets/.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/console\/assets\/app-[A-Z0-9]+\.js"/);
      expect(body.trim()).toBe('');
    }
    const src = /src="([^"]+)"/.exec(scripts[0][1])![1];
    const js = await anonymous(api).request('GET', src);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await anonymous(api).request('GET', '/console/assets/..%2Fetc%2Fpasswd')).status).toBe(404);
  });
});
