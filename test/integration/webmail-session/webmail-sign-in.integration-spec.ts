import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../support/factories';
import { cookiesOf, signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';
import { Browser, credentialUsed, issueCode, json, setMode, setPractice } from './harness';

jest.setTimeout(60_000);

/**
 * An employee's way into the webmail over HTTP: the one-time credential from
 * the text (code or link), a password of their own, then a session; later
 * sign-ins with the password; lockout and throttling; and the webmail open
 * only while the tenant is in an outage, a drill (its mailboxes) or practice.
 */
describe('webmail sign-in', () => {
  let webmail: TestWebmail;
  let tenant: TestTenant;
  const LOCK_AFTER = 3;

  beforeAll(async () => {
    webmail = await startTestWebmail({ WEBMAIL_LOCKOUT_AFTER_FAILURES: String(LOCK_AFTER) });
    tenant = await createTestTenant({ mailboxes: ['anna', 'ben', 'carla', 'dora', 'emil', 'fritz'] });
    await setPractice(tenant.id, true);
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  const signinsOf = (mailboxId: string) =>
    withDb(async (db) => (await db.query(`SELECT method FROM webmail_signins WHERE mailbox_id = $1 ORDER BY created_at`, [mailboxId])).rows.map((r) => r.method));
  const accountOf = (mailboxId: string) =>
    withDb(async (db) => (await db.query(`SELECT * FROM webmail_accounts WHERE mailbox_id = $1`, [mailboxId])).rows[0]);

  it('code from the text → set your password (no JavaScript) → signed in with a session cookie', async () => {
    const anna = tenant.mailboxes.anna;
    const { code, id } = await issueCode(webmail, tenant.id, anna.id);
    const b = new Browser(webmail);
    const page = await b.get('/signin');
    expect(page.res.status).toBe(200);
    expect(page.html).not.toMatch(/<script/i);
    expect(b.csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const redeemed = await b.post('/signin/code', { address: anna.address, code });
    expect(redeemed.res.status).toBe(303);
    expect(redeemed.res.headers.get('location')).toBe('/signin/set-password');
    expect(await credentialUsed(id)).toBe(true);

    const form = await b.get('/signin/set-password');
    expect(form.res.status).toBe(200);
    expect(form.html).toContain(anna.address);
    expect(form.html).toContain('autocomplete="new-password"');

    const weak = await b.post('/signin/set-password', { password: 'short', confirm: 'short' });
    expect(weak.res.status).toBe(400);
    expect(weak.html).toContain('at least 10 characters');
    const mismatch = await b.post('/signin/set-password', { password: 'blue horse battery', confirm: 'blue horse batter' });
    expect(mismatch.res.status).toBe(400);
    expect(mismatch.html).toContain('not the same');

    const done = await b.post('/signin/set-password', { password: 'blue horse battery', confirm: 'blue horse battery' });
    expect(done.res.status).toBe(303);
    expect(done.res.headers.get('location')).toBe('/');
    const setCookie = done.res.headers.getSetCookie().find((c) => c.startsWith('mc_webmail='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i); // PUBLIC_WEBMAIL_URL is http in tests

    const s = await b.session();
    expect(s.status).toBe(200);
    const body = (await s.json()) as { csrfToken: string };
    expect(body).toMatchObject({
      employee: { address: anna.address, displayName: 'anna', mailboxId: anna.id },
      tenant: { name: tenant.slug, language: 'en', brandName: null, logoDataUrl: null, primaryColor: null, mode: 'normal' },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      sharedMailboxes: [],
    });

    // Only a hash of the token is stored; the sign-in is recorded for the readiness report.
    const rows = await withDb(async (db) => (await db.query(`SELECT token_sha256, csrf_token, ip, user_agent FROM webmail_sessions WHERE mailbox_id = $1`, [anna.id])).rows);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_sha256.toString('hex')).not.toContain(b.jar.get('mc_webmail'));
    expect(rows[0].csrf_token).toBe(body.csrfToken);
    expect(await signinsOf(anna.id)).toEqual(['code']);
    const account = await accountOf(anna.id);
    expect(account.password_hash).toMatch(/^\$argon2id\$/);
    expect(account.last_signin_at).not.toBeNull();
    expect(account.tenant_id).toBe(tenant.id);

    // The setup step is used up.
    const again = await b.get('/signin/set-password');
    expect(again.res.status).toBe(303);
    // Signed in, the sign-in page sends the browser on to the webmail.
    const signin = await b.get('/signin');
    expect(signin.res.status).toBe(303);
    expect(signin.res.headers.get('location')).toBe('/');
  });

  it('link from the text: the GET page does not use it, the POST does (with the page’s form token)', async () => {
    const ben = tenant.mailboxes.ben;
    const { token, id } = await issueCode(webmail, tenant.id, ben.id);
    const b = new Browser(webmail);
    for (let i = 0; i < 2; i++) {
      const page = await b.get(`/signin/link?t=${encodeURIComponent(token)}`);
      expect(page.res.status).toBe(200);
      expect(page.html).toContain('method="post"');
    }
    expect(await credentialUsed(id)).toBe(false);
    const noToken = await b.post('/signin/link', { t: token }, false);
    expect(noToken.res.status).toBe(403);
    expect(await credentialUsed(id)).toBe(false);

    const used = await b.post('/signin/link', { t: token });
    expect(used.res.status).toBe(303);
    expect(used.res.headers.get('location')).toBe('/signin/set-password');
    expect(await credentialUsed(id)).toBe(true);
    const set = await b.post('/signin/set-password', { password: 'green tea at noon', confirm: 'green tea at noon' });
    expect(set.res.status).toBe(303);
    expect((await b.session()).status).toBe(200);
    expect(await signinsOf(ben.id)).toEqual(['link']);
  });

  it('refuses weak passwords with a message that says why (JSON)', async () => {
    const carla = tenant.mailboxes.carla;
    const { code } = await issueCode(webmail, tenant.id, carla.id);
    const r = await json(webmail, '/signin/code', { address: carla.address, code });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'accepted', address: carla.address, next: 'set-password' });
    const setup = `mc_webmail_setup=${cookiesOf(r).mc_webmail_setup}`;
    for (const [password, says] of [
      ['abc', 'at least 10'],
      [carla.address, 'e-mail address'],
      ['Passwort123', 'most common'],
      ['1234567890', 'most common'],
    ]) {
      const weak = await json(webmail, '/signin/set-password', { password }, setup);
      expect(weak.status).toBe(400);
      const body = (await weak.json()) as { message: string };
      expect(body).toMatchObject({ statusCode: 400, code: 'weak_password', field: 'password' });
      expect(body.message).toContain(says);
    }
    const ok = await json(webmail, '/signin/set-password', { password: 'a long enough phrase' }, setup);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'signed-in', csrfToken: expect.any(String) });
  });

  it('later sign-ins use address and password; a wrong password answers exactly like an unknown address', async () => {
    const dora = tenant.mailboxes.dora;
    await signInEmployee(webmail, { tenantId: tenant.id, mailboxId: dora.id, password: 'river stones in june' });

    const ok = await json(webmail, '/signin/password', { address: dora.address.toUpperCase(), password: 'river stones in june' });
    expect(ok.status).toBe(200);
    const cookie = `mc_webmail=${cookiesOf(ok).mc_webmail}`;
    const s = await fetch(`${webmail.baseUrl}/api/session`, { headers: { Cookie: cookie } });
    expect(s.status).toBe(200);
    expect(((await s.json()) as { employee: { mailboxId: string } }).employee.mailboxId).toBe(dora.id);
    expect(await signinsOf(dora.id)).toEqual(['code', 'password']);

    const wrong = await json(webmail, '/signin/password', { address: dora.address, password: 'river stones in july' });
    const unknown = await json(webmail, '/signin/password', { address: `nobody-${uniqueLabel()}@${tenant.domain}`, password: 'river stones in july' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());

    // The browser form: back to / with the cookie.
    const b = new Browser(webmail);
    await b.get('/signin');
    const form = await b.post('/signin/password', { address: dora.address, password: 'river stones in june' });
    expect(form.res.status).toBe(303);
    expect(form.res.headers.get('location')).toBe('/');
    expect((await b.session()).status).toBe(200);
    const bad = await b.post('/signin/password', { address: dora.address, password: 'nope nope nope' });
    expect(bad.res.status).toBe(401);
    expect(bad.html).toContain('The address or the password is not right.');
  });

  it('locks an account after repeated wrong passwords (unknown addresses alike) and says so; a new code still gets in', async () => {
    const emil = tenant.mailboxes.emil;
    await signInEmployee(webmail, { tenantId: tenant.id, mailboxId: emil.id, password: 'seven silent owls' });
    const ghost = `ghost-${uniqueLabel()}@${tenant.domain}`;
    const answers: Array<[number, number]> = [];
    for (let i = 1; i <= LOCK_AFTER; i++) {
      const known = await json(webmail, '/signin/password', { address: emil.address, password: `wrong guess ${i}` });
      const unknown = await json(webmail, '/signin/password', { address: ghost, password: `wrong guess ${i}` });
      answers.push([known.status, unknown.status]);
      if (i === LOCK_AFTER) {
        const [k, u] = [(await known.json()) as { message: string }, await unknown.json()];
        expect(k).toMatchObject({ statusCode: 429, code: 'account_locked', details: { retryAfterSeconds: 60 } });
        expect(u).toMatchObject({ statusCode: 429, code: 'account_locked' });
        expect(k.message).toContain('too many wrong passwords');
      }
    }
    expect(answers).toEqual([[401, 401], [401, 401], [429, 429]]);
    // Locked: even the right password is refused, with the reason.
    const right = await json(webmail, '/signin/password', { address: emil.address, password: 'seven silent owls' });
    expect(right.status).toBe(429);
    expect(((await right.json()) as { code: string }).code).toBe('account_locked');
    const b = new Browser(webmail);
    await b.get('/signin');
    const page = await b.post('/signin/password', { address: emil.address, password: 'seven silent owls' });
    expect(page.res.status).toBe(429);
    expect(page.html).toContain('Too many wrong passwords');
    expect(page.html).toContain('new code');

    // Once the lock has passed, the right password works and the count starts over.
    await withDb((db) => db.query(`UPDATE webmail_accounts SET locked_until = now() - interval '1 second' WHERE mailbox_id = $1`, [emil.id]));
    const after = await json(webmail, '/signin/password', { address: emil.address, password: 'seven silent owls' });
    expect(after.status).toBe(200);
    expect((await accountOf(emil.id)).failed_attempts).toBe(0);

    // A new code resets the password and lifts a lock.
    for (let i = 0; i < LOCK_AFTER; i++) await json(webmail, '/signin/password', { address: emil.address, password: `wrong again ${i}` });
    expect((await accountOf(emil.id)).locked_until).not.toBeNull();
    await signInEmployee(webmail, { tenantId: tenant.id, mailboxId: emil.id, password: 'eight silent owls' });
    expect((await json(webmail, '/signin/password', { address: emil.address, password: 'eight silent owls' })).status).toBe(200);
  });

  it('throttles sign-in attempts per client address and per e-mail address (429)', async () => {
    const perIp = await startTestWebmail({ WEBMAIL_SIGNIN_ATTEMPTS_PER_IP_PER_HOUR: '3', REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${uniqueLabel('ip')}` });
    const perAddress = await startTestWebmail({ WEBMAIL_SIGNIN_ATTEMPTS_PER_ADDRESS_PER_HOUR: '2', REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${uniqueLabel('ad')}` });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await json(perIp, '/signin/code', { address: `x${i}@${tenant.domain}`, code: '12345678' })).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const limited = await json(perIp, '/signin/password', { address: tenant.mailboxes.dora.address, password: 'river stones in june' });
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ statusCode: 429, code: 'rate_limited', message: 'too many sign-in attempts; try again later' });

      const byAddress: number[] = [];
      for (let i = 0; i < 3; i++) byAddress.push((await json(perAddress, '/signin/password', { address: tenant.mailboxes.fritz.address, password: `guess number ${i}` })).status);
      expect(byAddress).toEqual([401, 401, 429]);
      // Another address from the same client is not affected.
      expect((await json(perAddress, '/signin/password', { address: tenant.mailboxes.carla.address, password: 'not it at all' })).status).toBe(401);
    } finally {
      await perIp.stop();
      await perAddress.stop();
    }
  });

  it('sends security headers on the sign-in pages: no inline script, no framing, no caching, no referrer', async () => {
    for (const path of ['/signin', '/signin/link?t=abc']) {
      const r = await fetch(`${webmail.baseUrl}${path}`);
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const api = await fetch(`${webmail.baseUrl}/api/session`);
    expect(api.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(api.headers.get('cache-control')).toContain('no-store');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-powered-by')).toBeNull();
  });
});
