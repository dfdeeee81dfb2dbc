import { authenticator } from 'otplib';
import { createTestTenant, TestTenant, withDb } from '../../support/factories';
import { anonymous, auditRowsOf, createAdmin, signIn, startTestApi, TestApi, totpCode } from '../../support/admin-api';

describe('admin sign-in: password, TOTP, session, CSRF', () => {
  let api: TestApi;
  let tenant: TestTenant;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTestTenant();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('gives the same answer for a wrong password and an unknown e-mail address, and logs both without the password', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const wrong = await anonymous(api).post('/api/auth/login', { email: admin.email, password: 'not-the-password-1' });
    const unknown = await anonymous(api).post('/api/auth/login', { email: `nobody-${admin.email}`, password: 'not-the-password-1' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, code: 'invalid_credentials', message: 'invalid email or password' });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const rows = await auditRowsOf(tenant.id);
    const failed = rows.filter((r) => r.action === 'auth.login_failed' && r.target === admin.id);
    expect(failed).toHaveLength(1);
    expect(failed[0].details).toMatchObject({ email: admin.email, reason: 'wrong_password' });
    expect(JSON.stringify(rows)).not.toContain('not-the-password-1');
  });

  it('answers 400 naming the fields when they are missing', async () => {
    const r = await anonymous(api).post('/api/auth/login', { email: 'x@example.com' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_request');
  });

  it('sets an httpOnly SameSite=Strict cookie and holds the session at the TOTP step until a right code', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const c = anonymous(api);
    const login = await c.post('/api/auth/login', { email: admin.email.toUpperCase(), password: admin.password });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: { id: admin.id, email: admin.email, role: 'admin', tenantId: tenant.id }, mfa: 'pending' });
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^mc_admin=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    // PUBLIC_API_URL is http in tests: no Secure flag, or the browser would drop the cookie.
    expect(setCookie).not.toMatch(/Secure/i);

    const blocked = await c.get(`/api/tenants/${tenant.id}/api-keys`);
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('mfa_required');
    expect((await c.get('/api/auth/session')).body.mfa).toBe('pending');

    const wrongCode = String((Number(totpCode(admin)) + 1) % 1_000_000).padStart(6, '0');
    const bad = await c.post('/api/auth/totp', { code: wrongCode });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('invalid_code');

    const cookieBefore = c.cookie;
    const ok = await c.post('/api/auth/totp', { code: totpCode(admin) });
    expect(ok.status).toBe(200);
    expect(ok.body.mfa).toBe('passed');
    // A new token once the second factor passed; the old one is worthless.
    expect(c.cookie).not.toBe(cookieBefore);
    const stale = await anonymous(api).request('GET', '/api/auth/session', undefined, { headers: { cookie: cookieBefore! } });
    expect(stale.status).toBe(401);
    expect((await c.get(`/api/tenants/${tenant.id}/api-keys`)).status).toBe(200);
    expect((await auditRowsOf(tenant.id)).map((r) => r.action)).toEqual(expect.arrayContaining(['auth.login', 'auth.totp_failed', 'auth.totp_passed']));
  });

  it('takes a TOTP code only once', async () => {
    const admin = await createAdmin({ role: 'viewer', tenantId: tenant.id });
    const code = totpCode(admin);
    const first = anonymous(api);
    await first.post('/api/auth/login', { email: admin.email, password: admin.password });
    expect((await first.post('/api/auth/totp', { code })).status).toBe(200);
    const second = anonymous(api);
    await second.post('/api/auth/login', { email: admin.email, password: admin.password });
    expect((await second.post('/api/auth/totp', { code })).status).toBe(401);
  });

  it('makes an admin without TOTP enrol before anything else', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id, totp: false });
    const c = anonymous(api);
    const login = await c.post('/api/auth/login', { email: admin.email, password: admin.password });
    expect(login.body.mfa).toBe('enrol');
    const blocked = await c.get(`/api/tenants/${tenant.id}/api-keys`);
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('mfa_required');
    expect((await c.post('/api/auth/totp', { code: '123456' })).body.code).toBe('mfa_required');
    const enrol = await c.post('/api/auth/totp/enroll');
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const stored = await withDb(async (db) => (await db.query(`SELECT totp_secret_enc, totp_enabled_at FROM admin_users WHERE id = $1`, [admin.id])).rows[0]);
    expect(stored.totp_secret_enc).not.toContain(enrol.body.secret);
    expect(stored.totp_enabled_at).toBeNull();
    const confirm = await c.post('/api/auth/totp/confirm', { code: authenticator.generate(enrol.body.secret) });
    expect(confirm.status).toBe(200);
    expect(confirm.body.mfa).toBe('passed');
    expect((await c.get(`/api/tenants/${tenant.id}/api-keys`)).status).toBe(200);
    // Enrolled now: a second enrolment would replace the secret without the old factor.
    expect((await c.get('/api/auth/session')).body.mfa).toBe('passed');
  });

  it('refuses a cookie-authenticated change without the CSRF token, and with a wrong one', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const c = await signIn(api, admin);
    const none = await c.request('POST', `/api/tenants/${tenant.id}/api-keys`, { name: 'ci', role: 'viewer' }, { csrf: false });
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('csrf_invalid');
    const wrong = await c.request('POST', `/api/tenants/${tenant.id}/api-keys`, { name: 'ci', role: 'viewer' }, { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(32) } });
    expect(wrong.status).toBe(403);
    expect((await c.post(`/api/tenants/${tenant.id}/api-keys`, { name: 'ci', role: 'viewer' })).status).toBe(201);
  });

  it('ends the session on logout', async () => {
    const admin = await createAdmin({ role: 'viewer', tenantId: tenant.id });
    const c = await signIn(api, admin);
    const cookie = c.cookie!;
    const out = await c.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/mc_admin=;/);
    const after = await anonymous(api).request('GET', '/api/auth/session', undefined, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthenticated');
  });

  it('answers 401 unauthenticated without credentials', async () => {
    const r = await anonymous(api).get('/api/auth/session');
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ statusCode: 401, code: 'unauthenticated' });
  });

  it('serves the OpenAPI document and its UI without credentials', async () => {
    const doc = await anonymous(api).get('/api/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/tenants/{tenantId}/api-keys']));
    expect(doc.body.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
    const ui = await anonymous(api).request('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger-ui');
  });

  it('gives a password-only session ten minutes for its second step', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const c = anonymous(api);
    await c.post('/api/auth/login', { email: admin.email, password: admin.password });
    expect((await c.get('/api/auth/session')).body.mfa).toBe('pending');
    await withDb((db) => db.query(`UPDATE admin_sessions SET created_at = now() - interval '11 minutes' WHERE user_id = $1`, [admin.id]));
    expect((await c.get('/api/auth/session')).status).toBe(401);
    expect((await c.post('/api/auth/totp', { code: totpCode(admin) })).status).toBe(401);
  });

  it('counts wrong current passwords at a password change towards the lockout, and then refuses the change and sign-in alike', async () => {
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const c = await signIn(api, admin);
    const attempt = (currentPassword: string) => c.post('/api/auth/password', { currentPassword, newPassword: 'a brand new passphrase' });
    for (let i = 0; i < 10; i++) expect((await attempt(`not it ${i} at all`)).body).toMatchObject({ statusCode: 403, code: 'wrong_password' });
    // Locked now: even the right password changes nothing.
    const blocked = await attempt(admin.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'rate_limited' });
    const row = await withDb(async (db) => (await db.query(`SELECT failed_attempts, locked_until FROM admin_users WHERE id = $1`, [admin.id])).rows[0]);
    expect(row.failed_attempts).toBe(10);
    expect(new Date(row.locked_until).getTime()).toBeGreaterThan(Date.now());
    expect((await anonymous(api).post('/api/auth/login', { email: admin.email, password: admin.password })).status).toBe(429);
    const actions = (await auditRowsOf(tenant.id)).filter((r) => r.target === admin.id).map((r) => r.action);
    expect(actions.filter((a) => a === 'auth.password_change_refused')).toHaveLength(10);
    expect(actions).toContain('auth.password_change_blocked');
    expect(actions).not.toContain('auth.password_changed');
  });
});
