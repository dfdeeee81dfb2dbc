import { createTestTenant, TestTenant, withDb } from '../../support/factories';
import { employeeClient, signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';
import { Browser, json } from './harness';

jest.setTimeout(60_000);

/** A webmail session: bound to its tenant and mailbox, guarded with CSRF, ended by sign-out, expiry or a password change. */
describe('webmail sessions', () => {
  let webmail: TestWebmail;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    webmail = await startTestWebmail();
    a = await createTestTenant({ mailboxes: ['anna', 'ben', 'carla', 'dora', 'team'] });
    b = await createTestTenant({ mailboxes: ['bob', 'shared'] });
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  const sessionsOf = (mailboxId: string) => withDb(async (db) => (await db.query(`SELECT id FROM webmail_sessions WHERE mailbox_id = $1`, [mailboxId])).rows.length);

  it('lists the shared mailboxes the employee is a member of (of the own tenant only)', async () => {
    await withDb(async (db) => {
      await db.query(`UPDATE mailboxes SET kind = 'shared', display_name = 'Team inbox' WHERE id = $1`, [a.mailboxes.team.id]);
      await db.query(`UPDATE mailboxes SET kind = 'shared' WHERE id = $1`, [b.mailboxes.shared.id]);
      await db.query(`INSERT INTO shared_mailbox_members (tenant_id, shared_mailbox_id, member_mailbox_id, can_send_as) VALUES ($1, $2, $3, false)`, [a.id, a.mailboxes.team.id, a.mailboxes.anna.id]);
    });
    const anna = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.anna.id });
    const s = (await (await anna.get('/api/session')).json()) as { sharedMailboxes: unknown[] };
    expect(s.sharedMailboxes).toEqual([{ mailboxId: a.mailboxes.team.id, address: a.mailboxes.team.address, displayName: 'Team inbox', canSendAs: false }]);
    // A shared mailbox has no sign-in of its own.
    await expect(signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.team.id })).rejects.toThrow(/401/);
  });

  it('needs the CSRF token for every change (403 csrf_failed), not for reads', async () => {
    const ben = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.ben.id });
    const missing = await ben.fetch('/api/session/logout', { method: 'POST', headers: { Accept: 'application/json' } });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ statusCode: 403, code: 'csrf_failed', message: expect.any(String) });
    const wrong = await ben.fetch('/api/session/logout', { method: 'POST', headers: { 'X-CSRF-Token': 'x'.repeat(32) } });
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this one.
    const other = (await (await json(webmail, '/signin/password', { address: ben.address, password: ben.password })).json()) as { csrfToken: string };
    const crossed = await ben.fetch('/api/session/logout', { method: 'POST', headers: { 'X-CSRF-Token': other.csrfToken } });
    expect(crossed.status).toBe(403);
    expect((await ben.get('/api/session')).status).toBe(200);
  });

  it('answers 401 as JSON without a session, with a stale or a forged cookie', async () => {
    for (const cookie of ['', 'mc_webmail=', 'mc_webmail=forged-token-value-that-is-long-enough']) {
      const r = await fetch(`${webmail.baseUrl}/api/session`, { headers: cookie ? { Cookie: cookie } : {} });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String) });
    }
  });

  it('sign-out (API and form) deletes the session', async () => {
    const carla = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.carla.id });
    const out = await carla.post('/api/session/logout');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/mc_webmail=;/);
    expect((await carla.get('/api/session')).status).toBe(401);
    expect(await sessionsOf(a.mailboxes.carla.id)).toBe(0);

    // The plain form post carries the session's token in _csrf.
    const again = await json(webmail, '/signin/password', { address: carla.address, password: carla.password });
    const cookie = again.headers.getSetCookie()[0].split(';')[0];
    const { csrfToken } = (await again.json()) as { csrfToken: string };
    const noToken = await fetch(`${webmail.baseUrl}/signout`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    expect(noToken.status).toBe(403);
    const form = await fetch(`${webmail.baseUrl}/signout`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: new URLSearchParams({ _csrf: csrfToken }).toString(),
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/signin?signedout=1');
    expect(await sessionsOf(a.mailboxes.carla.id)).toBe(0);
    const page = await new Browser(webmail).get('/signin?signedout=1');
    expect(page.html).toContain('You are signed out.');
  });

  it('changing the password ends the other sessions, keeps this one, and refuses a wrong current or weak new password', async () => {
    const dora = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.dora.id, password: 'first long password' });
    const phone = await json(webmail, '/signin/password', { address: dora.address, password: 'first long password' });
    const phoneCookie = phone.headers.getSetCookie()[0].split(';')[0];
    expect(await sessionsOf(a.mailboxes.dora.id)).toBe(2);

    const wrong = await dora.post('/api/session/password', { current: 'not the password', next: 'second long password' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 'wrong_password', field: 'current' });
    const weak = await dora.post('/api/session/password', { current: 'first long password', next: 'password1' });
    expect(weak.status).toBe(400);
    expect(await weak.json()).toMatchObject({ code: 'weak_password', field: 'next', message: expect.stringContaining('10') });
    const invalid = await dora.post('/api/session/password', { current: 'first long password' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'invalid_request', field: 'next' });

    const ok = await dora.post('/api/session/password', { current: 'first long password', next: 'second long password' });
    expect(ok.status).toBe(204);
    expect((await dora.get('/api/session')).status).toBe(200);
    expect((await fetch(`${webmail.baseUrl}/api/session`, { headers: { Cookie: phoneCookie } })).status).toBe(401);
    expect((await json(webmail, '/signin/password', { address: dora.address, password: 'first long password' })).status).toBe(401);
    expect((await json(webmail, '/signin/password', { address: dora.address, password: 'second long password' })).status).toBe(200);
  });

  it('ends after the idle time and after the absolute lifetime', async () => {
    const anna = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.anna.id });
    await withDb((db) => db.query(`UPDATE webmail_sessions SET idle_expires_at = now() - interval '1 second', last_seen_at = now() - interval '2 hours' WHERE mailbox_id = $1`, [anna.mailboxId]));
    expect((await anna.get('/api/session')).status).toBe(401);
    const again = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.anna.id });
    await withDb((db) => db.query(`UPDATE webmail_sessions SET expires_at = now() - interval '1 second' WHERE mailbox_id = $1`, [again.mailboxId]));
    expect((await again.get('/api/session')).status).toBe(401);
  });

  it('is bound to its tenant and mailbox: worthless when pointed at another tenant’s mailbox, and never shows its data', async () => {
    const anna = await signInEmployee(webmail, { tenantId: a.id, mailboxId: a.mailboxes.anna.id });
    const bob = await signInEmployee(webmail, { tenantId: b.id, mailboxId: b.mailboxes.bob.id });
    const seen = (await (await anna.get('/api/session')).json()) as { employee: { mailboxId: string }; sharedMailboxes: Array<{ mailboxId: string }> };
    expect(seen.employee.mailboxId).toBe(a.mailboxes.anna.id);
    expect(JSON.stringify(seen)).not.toContain(b.mailboxes.shared.id);
    expect(JSON.stringify(seen)).not.toContain(b.id);

    // A route with a mailbox in its path: the own mailbox works, tenant B's mailbox is 404 with no data.
    const own = await anna.get(`/api/mailboxes/${a.mailboxes.anna.id}/folders/inbox/messages`);
    expect(own.status).toBe(200);
    const foreign = await anna.get(`/api/mailboxes/${b.mailboxes.bob.id}/folders/inbox/messages`);
    expect(foreign.status).toBe(404);
    const foreignBody = (await foreign.json()) as Record<string, unknown>;
    expect(Object.keys(foreignBody).sort()).toEqual(['code', 'message', 'statusCode']);

    // A session row whose mailbox belongs to another tenant (tampered) is refused outright.
    await withDb((db) => db.query(`UPDATE webmail_sessions SET mailbox_id = $2 WHERE tenant_id = $1 AND mailbox_id = $3`, [a.id, b.mailboxes.bob.id, a.mailboxes.anna.id]));
    expect((await anna.get('/api/session')).status).toBe(401);
    // Tenant B's session is untouched and still its own.
    const bs = (await (await bob.get('/api/session')).json()) as { employee: { mailboxId: string } };
    expect(bs.employee.mailboxId).toBe(b.mailboxes.bob.id);

    // A client built from B's cookie but A's CSRF token gets nowhere with changes.
    const mixed = employeeClient(webmail, { ...bob, csrfToken: anna.csrfToken });
    expect((await mixed.post('/api/session/logout')).status).toBe(403);
  });
});
