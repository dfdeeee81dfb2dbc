import { createTestTenant, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { signInEmployee, startTestWebmail, TestWebmail } from '../../support/webmail';
import { Browser, credentialUsed, issueCode, json, setMode, setPractice } from './harness';

jest.setTimeout(60_000);

/**
 * The webmail is open to a tenant only while it is in continuity mode, in a
 * drill (for the drill's mailboxes), or when it lets employees practise;
 * otherwise sign-in answers "only open during an outage" in the tenant's
 * language, the same for every address, and sessions stop working.
 */
describe('webmail access by continuity mode', () => {
  let webmail: TestWebmail;

  beforeAll(async () => {
    webmail = await startTestWebmail();
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  async function tenantWith(locals: string[], language: 'en' | 'de' = 'en'): Promise<TestTenant> {
    const t = await createTestTenant({ mailboxes: locals });
    await withDb((db) => db.query(`UPDATE tenants SET language = $2 WHERE id = $1`, [t.id, language]));
    return t;
  }

  it('is closed in normal mode: the same answer for known and unknown addresses, and the code stays unused', async () => {
    const t = await tenantWith(['anna']);
    const { code, id } = await issueCode(webmail, t.id, t.mailboxes.anna.id);
    const known = await json(webmail, '/signin/code', { address: t.mailboxes.anna.address, code });
    const unknown = await json(webmail, '/signin/code', { address: `nobody-${uniqueLabel()}@${t.domain}`, code });
    expect(known.status).toBe(403);
    const body = await known.json();
    expect(body).toEqual({ statusCode: 403, code: 'webmail_closed', message: 'the webmail is only open during an outage' });
    expect(await unknown.json()).toEqual(body);
    expect(await credentialUsed(id)).toBe(false);
    const pw = await json(webmail, '/signin/password', { address: t.mailboxes.anna.address, password: 'whatever it may be' });
    expect(pw.status).toBe(403);

    // The browser gets a clear page; a link of the tenant shows it at once, without being used.
    const b = new Browser(webmail);
    await b.get('/signin');
    const page = await b.post('/signin/code', { address: t.mailboxes.anna.address, code });
    expect(page.res.status).toBe(403);
    expect(page.html).toContain('only open during an outage');
    const { token, id: linkId } = await issueCode(webmail, t.id, t.mailboxes.anna.id);
    const link = await b.get(`/signin/link?t=${encodeURIComponent(token)}`);
    expect(link.res.status).toBe(403);
    expect(link.html).toContain('only open during an outage');
    const post = await b.post('/signin/link', { t: token });
    expect(post.res.status).toBe(403);
    expect(await credentialUsed(linkId)).toBe(false);

    // Once the outage starts, the same code works.
    await setMode(t.id, 'active');
    expect((await json(webmail, '/signin/code', { address: t.mailboxes.anna.address, code: (await issueCode(webmail, t.id, t.mailboxes.anna.id)).code })).status).toBe(200);
  });

  it("says so in the tenant's language, with its branding", async () => {
    const t = await tenantWith(['jonas'], 'de');
    await withDb((db) => db.query(`UPDATE tenants SET webmail_brand_name = 'Müller GmbH', webmail_primary_color = '#aa0000' WHERE id = $1`, [t.id]));
    const b = new Browser(webmail, 'en');
    await b.get('/signin');
    const page = await b.post('/signin/password', { address: t.mailboxes.jonas.address, password: 'irgendein passwort' });
    expect(page.res.status).toBe(403);
    expect(page.html).toContain('nur während eines Ausfalls');
    expect(page.html).toContain('Müller GmbH');
    expect(page.html).toContain('#aa0000');
    expect(page.html).toContain('lang="de"');
  });

  it('is open in continuity mode (active) and with practice sign-in', async () => {
    const t = await tenantWith(['anna', 'ben']);
    await setMode(t.id, 'active');
    const anna = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.anna.id, open: false });
    const s = await anna.get('/api/session');
    expect(s.status).toBe(200);
    expect(((await s.json()) as { tenant: { mode: string } }).tenant.mode).toBe('active');

    const p = await tenantWith(['carla']);
    await setPractice(p.id, true);
    const carla = await signInEmployee(webmail, { tenantId: p.id, mailboxId: p.mailboxes.carla.id, open: false });
    expect((await carla.get('/api/session')).status).toBe(200);
  });

  it('is open in a drill only for the drill’s mailboxes', async () => {
    const t = await tenantWith(['inside', 'outside']);
    await setMode(t.id, 'drill', [t.mailboxes.inside.id]);
    const inside = await signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.inside.id, open: false });
    expect((await inside.get('/api/session')).status).toBe(200);
    await expect(signInEmployee(webmail, { tenantId: t.id, mailboxId: t.mailboxes.outside.id, open: false })).rejects.toThrow(/403.*webmail_closed/);

    // The outside mailbox got no password; a password sign-in of a drill mailbox works.
    expect((await json(webmail, '/signin/password', { address: inside.address, password: inside.password })).status).toBe(200);

    // The drill ends: the session of the drill mailbox stops working at once and is deleted.
    await setMode(t.id, 'normal');
    const after = await inside.get('/api/session');
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ statusCode: 401, code: 'unauthenticated' });
    const left = await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM webmail_sessions WHERE tenant_id = $1`, [t.id])).rows[0].n);
    expect(left).toBe(0);
  });

  it('ends sessions when the tenant returns to normal (and practice is off), within the access cache time', async () => {
    const cached = await startTestWebmail({ WEBMAIL_ACCESS_CACHE_MS: '300' });
    try {
      const t = await tenantWith(['anna']);
      await setMode(t.id, 'active');
      const anna = await signInEmployee(cached, { tenantId: t.id, mailboxId: t.mailboxes.anna.id, open: false });
      expect((await anna.get('/api/session')).status).toBe(200);
      await setMode(t.id, 'recovering');
      await setMode(t.id, 'normal');
      const { waitFor } = await import('../../support/factories');
      await waitFor(async () => (await anna.get('/api/session')).status === 401, { what: 'session refused after the outage' });
      // Switching practice on later does not revive it: the session was deleted.
      await setPractice(t.id, true);
      expect((await anna.get('/api/session')).status).toBe(401);
    } finally {
      await cached.stop();
    }
  });

  it('does not send new codes while the webmail is closed, and answers the same', async () => {
    const t = await tenantWith(['anna']);
    await withDb((db) => db.query(`UPDATE mailboxes SET mobile_e164 = '+4916012345678' WHERE id = $1`, [t.mailboxes.anna.id]));
    const closed = await json(webmail, '/signin/request', { address: t.mailboxes.anna.address });
    const unknown = await json(webmail, '/signin/request', { address: `nobody@${t.domain}` });
    expect(closed.status).toBe(202);
    expect(await closed.json()).toEqual(await unknown.json());
    const texts = await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM sms_messages WHERE tenant_id = $1`, [t.id])).rows[0].n);
    expect(texts).toBe(0);
    await setMode(t.id, 'active');
    expect((await json(webmail, '/signin/request', { address: t.mailboxes.anna.address })).status).toBe(202);
    // The text is queued after the answer has gone (its timing must not tell whether the address exists).
    await waitFor(async () => (await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM sms_messages WHERE tenant_id = $1`, [t.id])).rows[0].n)) === 1, { what: 'the requested text' });
    await withDb((db) => db.query(`UPDATE sms_messages SET state = 'failed', last_error = 'test over' WHERE tenant_id = $1`, [t.id]));
  });
});
