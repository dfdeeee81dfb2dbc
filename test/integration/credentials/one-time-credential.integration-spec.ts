import { CredentialsService } from '@app/credentials';
import { createTestTenant, uniqueLabel, waitFor, withDb, TestTenant } from '../../support/factories';
import { freePort } from '../../support/processes';
import { twilioSignature } from '../../../infra/twilio-standin/twilio-standin';
import {
  credentialRowsOf, RunningApi, RunningWebmail, secretsOf, setMobile, settleTenant, smsRowsOf, smsTestConfig, SmsWorker, startApi, startSmsWorker, startTwilioStandin, startWebmail, TwilioStandin,
} from '../sms/sms-harness';

jest.setTimeout(60_000);

/**
 * A one-time credential works once, expires, is refused after too many
 * tries, and survives a link preview's GET — driven over HTTP against
 * apps/webmail, with the texts sent by the worker through the Twilio SDK.
 */
describe('one-time credentials at the webmail sign-in', () => {
  let standin: TwilioStandin;
  let worker: SmsWorker;
  let webmail: RunningWebmail;
  let shortLived: RunningWebmail;
  let api: RunningApi;
  let base: string;
  let tenant: TestTenant;
  let credentials: CredentialsService;
  const MAX = 3;
  const credentialUsedAt = (id: string) => withDb(async (db) => (await db.query(`SELECT used_at FROM credentials WHERE id = $1`, [id])).rows[0].used_at);

  const json = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  /** A browser's form post: the page's hidden CSRF field and its cookie go along. */
  const form = (path: string, body: Record<string, string>, page: { cookie: string; csrf: string }) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', Cookie: page.cookie },
      body: new URLSearchParams({ ...body, _csrf: page.csrf }).toString(),
      redirect: 'manual',
    });

  /** Has the worker text a new credential to the mailbox and returns what the employee reads. */
  async function textTo(local: string): Promise<{ code: string; token: string }> {
    const mb = tenant.mailboxes[local];
    const to = (await withDb((db) => db.query(`SELECT mobile_e164 FROM mailboxes WHERE id = $1`, [mb.id]))).rows[0].mobile_e164;
    const before = standin.messages.filter((m) => m.to === to).length;
    await credentials.sendToMailboxes(tenant.id, [mb.id]);
    const text = await waitFor(() => standin.messages.filter((m) => m.to === to)[before], { what: `text to ${local}` });
    return secretsOf(text.body);
  }

  beforeAll(async () => {
    standin = await startTwilioStandin();
    const apiPort = await freePort();
    const cfg = smsTestConfig(standin, {
      CREDENTIAL_MAX_ATTEMPTS: String(MAX),
      PUBLIC_API_URL: `http://127.0.0.1:${apiPort}`,
      API_HTTP_PORT: String(apiPort),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-credentials`,
    });
    worker = await startSmsWorker(cfg);
    credentials = worker.app.get(CredentialsService);
    webmail = await startWebmail(cfg);
    base = `http://127.0.0.1:${webmail.httpPort}`;
    shortLived = await startWebmail(smsTestConfig(standin, { CREDENTIAL_LIFETIME_HOURS: '0.0005', CREDENTIAL_MAX_ATTEMPTS: String(MAX), REDIS_PREFIX: cfg.REDIS_PREFIX }));
    api = await startApi(cfg);
    tenant = await createTestTenant({ mailboxes: ['once', 'preview', 'guess', 'late', 'self'] });
    // The webmail is open outside an outage only where the tenant lets employees practise.
    await withDb((db) => db.query(`UPDATE tenants SET webmail_practice_signin = true WHERE id = $1`, [tenant.id]));
    let n = 10;
    for (const l of Object.keys(tenant.mailboxes)) await setMobile(tenant.mailboxes[l].id, `+49160${Date.now() % 1000000}${n++}`);
    await setMobile(tenant.mailboxes.self.id, '+4916099900001', `self-${uniqueLabel()}@private.example`);
  });

  afterAll(async () => {
    if (tenant) await settleTenant(tenant.id);
    await worker?.stop();
    await webmail?.stop();
    await shortLived?.stop();
    await api?.stop();
    await standin?.close();
  });

  it('works once', async () => {
    const { code, token } = await textTo('once');
    const ok = await json('/signin/code', { address: tenant.mailboxes.once.address.toUpperCase(), code: `${code.slice(0, 4)} ${code.slice(4)}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'accepted', address: tenant.mailboxes.once.address, next: 'set-password' });

    const again = await json('/signin/code', { address: tenant.mailboxes.once.address, code });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ statusCode: 401, code: 'credential_invalid', message: expect.any(String) });
    const link = await json('/signin/link', { t: token });
    expect(link.status).toBe(410);
    expect(await link.json()).toMatchObject({ statusCode: 410, code: 'credential_used' });
  });

  it("survives a link preview's GET: only the POST behind the button uses it", async () => {
    const { token } = await textTo('preview');
    let browser = { cookie: '', csrf: '' };
    for (let i = 0; i < 3; i++) {
      const page = await fetch(`${base}/signin/link?t=${encodeURIComponent(token)}`, { headers: { 'User-Agent': 'WhatsApp/2.23 link preview' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toContain('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toContain('method="post"');
      expect(html).toContain(token);
      browser = { cookie: page.headers.getSetCookie()[0].split(';')[0], csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1] };
    }
    const creds = await credentialRowsOf(tenant.mailboxes.preview.id);
    expect(creds.filter((c) => c.used_at === null && c.superseded_at === null)).toHaveLength(1);

    // Without the page's form token the POST is refused and the link stays unused.
    const forged = await form('/signin/link', { t: token }, { cookie: '', csrf: 'x'.repeat(32) });
    expect(forged.status).toBe(403);
    expect((await credentialRowsOf(tenant.mailboxes.preview.id)).filter((c) => c.used_at === null && c.superseded_at === null)).toHaveLength(1);

    const accepted = await form('/signin/link', { t: token }, browser);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/signin/set-password');
    expect(accepted.headers.get('cache-control')).toContain('no-store');
    const second = await form('/signin/link', { t: token }, browser);
    expect(second.status).toBe(410);
    expect(await second.text()).toContain('already been used');
  });

  it('is refused after too many tries, even with the right code, until a new one is sent', async () => {
    const { code } = await textTo('guess');
    const wrong = code === '00000000' ? '11111111' : '00000000';
    // Every refusal is the same answer: it must not tell how many tries are left, nor that a code is locked.
    const refused = { statusCode: 401, code: 'credential_invalid', message: expect.stringContaining('ask for a new code') };
    for (let i = 1; i <= MAX; i++) {
      const r = await json('/signin/code', { address: tenant.mailboxes.guess.address, code: wrong });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual(refused);
    }
    expect((await credentialRowsOf(tenant.mailboxes.guess.id)).filter((c) => !c.used_at && !c.superseded_at).map((c) => c.attempts)).toEqual([MAX]);
    const locked = await json('/signin/code', { address: tenant.mailboxes.guess.address, code });
    expect(locked.status).toBe(401);
    expect(await locked.json()).toEqual(refused);

    const fresh = await textTo('guess');
    const ok = await json('/signin/code', { address: tenant.mailboxes.guess.address, code: fresh.code });
    expect(ok.status).toBe(200);
  });

  it('expires after its lifetime', async () => {
    // Issued by a process configured with a lifetime of 1.8 s; redeemed through the normal one.
    const issued = await shortLived.app.get(CredentialsService).issue(tenant.id, tenant.mailboxes.late.id, 'sms', null);
    await waitFor(async () => (await withDb((db) => db.query(`SELECT expires_at < now() AS gone FROM credentials WHERE id = $1`, [issued.id]))).rows[0].gone, { what: 'expiry', timeoutMs: 10_000 });
    // By code: the same answer as any wrong code (it must not tell that the address had one).
    const r = await json('/signin/code', { address: tenant.mailboxes.late.address, code: issued.code });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ statusCode: 401, code: 'credential_invalid', message: expect.any(String) });
    expect(await credentialUsedAt(issued.id)).toBeNull();
    // The link is a secret of its own: its holder is told why.
    const viaLink = await json('/signin/link', { t: new URL(issued.link).searchParams.get('t') });
    expect(viaLink.status).toBe(410);
    expect(await viaLink.json()).toMatchObject({ code: 'credential_expired' });
  });

  it("answers an employee's own request the same whether the address exists or not, by text and alternate e-mail, rate-limited per address", async () => {
    const known = await json('/signin/request', { address: tenant.mailboxes.self.address });
    const unknown = await json('/signin/request', { address: `nobody@${tenant.domain}` });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());
    const text = await waitFor(() => standin.messages.find((m) => m.to === '+4916099900001'), { what: 'requested text' });
    expect(secretsOf(text.body).code).toMatch(/^\d{8}$/);
    // Sent after the answer (its timing must not tell either): waited for, not assumed.
    const mails = await waitFor(
      async () => {
        const rows = (await withDb((db) => db.query(`SELECT rcpt_to FROM messages WHERE tenant_id = $1 AND direction = 'outbound'`, [tenant.id]))).rows;
        return rows.length ? rows : null;
      },
      { what: 'mail to the alternate address' },
    );
    expect(mails.map((m) => m.rcpt_to[0])).toEqual([expect.stringMatching(/^self-.*@private\.example$/)]);
    // The e-mail carries a credential of its own: the text's does not void it.
    const live = (await credentialRowsOf(tenant.mailboxes.self.id)).filter((c) => !c.used_at && !c.superseded_at);
    expect(live.map((c) => c.channel).sort()).toEqual(['email', 'sms']);

    // Over the per-address limit (3 per hour): the same answer, nothing more sent.
    for (let i = 0; i < 3; i++) expect((await json('/signin/request', { address: tenant.mailboxes.self.address })).status).toBe(202);
    await waitFor(async () => (await smsRowsOf(tenant.id)).filter((r) => r.to_e164 === '+4916099900001').length >= 3, { what: 'rows of allowed requests' });
    expect((await smsRowsOf(tenant.id)).filter((r) => r.to_e164 === '+4916099900001')).toHaveLength(3);
  });

  it('takes Twilio status callbacks only with a valid signature', async () => {
    const [row] = await smsRowsOf(tenant.id);
    const url = `http://127.0.0.1:${api.httpPort}/twilio/status`;
    const params = { MessageSid: row.provider_sid as string, MessageStatus: 'undelivered', ErrorCode: '30005', AccountSid: standin.accountSid };
    const post = (sig: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig }, body: new URLSearchParams(params).toString() });

    const forged = await post(twilioSignature('not-the-token', url, params));
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ statusCode: 403, code: 'invalid_signature', message: expect.any(String) });
    const missing = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    expect(missing.status).toBe(403);
    expect((await smsRowsOf(tenant.id))[0].state).toBe('sent');

    const genuine = await post(twilioSignature(standin.authToken, url, params));
    expect(genuine.status).toBe(204);
    const after = (await smsRowsOf(tenant.id)).find((r) => r.id === row.id);
    expect(after?.state).toBe('undelivered');
    expect(after?.last_error).toContain('30005');
  });
});
