import { CredentialsService } from '@app/credentials';
import { SmsSweeper } from '@app/sms';
import { TransitionRecord } from '@app/continuity';
import { freePort } from '../../support/processes';
import { createTestTenant, uniqueLabel, waitFor, withDb, TestTenant } from '../../support/factories';
import {
  addTenantAdmin, credentialRowsOf, RunningApi, secretsOf, setMobile, settleTenant, smsRowsOf, smsTestConfig, SmsWorker, startApi, startSmsWorker, startTwilioStandin, TwilioStandin,
} from './sms-harness';

jest.setTimeout(60_000);

/**
 * Credentials by SMS through the real `twilio` SDK to the local stand-in:
 * sending, retries that replace the credential, permanent refusals, the
 * per-tenant cap, German texts, logs without secrets and delivery receipts
 * through apps/api.
 */
describe('credentials by SMS', () => {
  let standin: TwilioStandin;
  let worker: SmsWorker;
  let api: RunningApi;
  let credentials: CredentialsService;
  const tenants: TestTenant[] = [];
  const CAP = 1000;

  async function tenantWith(locals: string[], language: 'en' | 'de' = 'en'): Promise<TestTenant> {
    const t = await createTestTenant({ mailboxes: locals });
    tenants.push(t);
    await withDb((db) => db.query(`UPDATE tenants SET language = $2 WHERE id = $1`, [t.id, language]));
    let n = 0;
    for (const l of locals) await setMobile(t.mailboxes[l].id, `+4917${Date.now() % 100000000}${n++}`.slice(0, 15));
    return t;
  }

  const textsTo = (to: string) => standin.messages.filter((m) => m.to === to);

  beforeAll(async () => {
    standin = await startTwilioStandin({ autoDeliver: true });
    // The api checks signatures against the URL Twilio calls; the worker tells Twilio that URL.
    const port = await freePort();
    const cfg = smsTestConfig(standin, { PUBLIC_API_URL: `http://127.0.0.1:${port}`, API_HTTP_PORT: String(port), SMS_TENANT_CAP_PER_HOUR: String(CAP), REDIS_PREFIX: `${process.env.REDIS_PREFIX}-sms` });
    api = await startApi(cfg);
    worker = await startSmsWorker(cfg);
    credentials = worker.app.get(CredentialsService);
  });

  afterAll(async () => {
    for (const t of tenants) await settleTenant(t.id);
    await worker?.stop();
    await api?.stop();
    await standin?.close();
  });

  it('texts a working code and link through the Twilio SDK, stores neither, and records the delivery receipt', async () => {
    const t = await tenantWith(['anna']);
    const mb = t.mailboxes.anna;
    const [row] = await credentials.sendToMailboxes(t.id, [mb.id]);
    const to = (await smsRowsOf(t.id))[0].to_e164;
    const [text] = await waitFor(() => textsTo(to).length === 1 && textsTo(to), { what: 'the text at the stand-in' });
    expect(text.from).toBe('+15005550006');
    expect(text.statusCallback).toBe(`http://127.0.0.1:${api.httpPort}/twilio/status`);
    const { code, token } = secretsOf(text.body);
    expect(text.body).toContain(t.slug); // tenant name starts the text

    // Delivery receipt: the stand-in reports 'sent' then 'delivered', signed; apps/api records it.
    await waitFor(async () => (await smsRowsOf(t.id)).find((r) => r.id === row.id && r.state === 'delivered'), { what: 'delivered state' });
    const stored = (await smsRowsOf(t.id))[0];
    expect(stored.provider_sid).toBe(text.sid);

    // Neither the code nor the token is stored anywhere in plaintext.
    const creds = await credentialRowsOf(mb.id);
    expect(creds).toHaveLength(1);
    const dump = JSON.stringify({ stored, creds });
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(token);

    await expect(credentials.redeem(mb.address, code)).resolves.toMatchObject({ mailboxId: mb.id, address: mb.address });

    // A second request: the link works too.
    await credentials.sendToMailboxes(t.id, [mb.id]);
    const second = await waitFor(() => textsTo(to).length === 2 && textsTo(to)[1], { what: 'second text' });
    await expect(credentials.redeemLink(secretsOf(second.body).token)).resolves.toMatchObject({ mailboxId: mb.id });
  });

  it('retries after a 429 with a new credential: the code of the failed attempt is refused, the new one works', async () => {
    const t = await tenantWith(['bert']);
    const mb = t.mailboxes.bert;
    standin.failNext('rate-limit');
    await credentials.sendToMailboxes(t.id, [mb.id]);
    const to = (await smsRowsOf(t.id))[0].to_e164;
    const text = await waitFor(() => textsTo(to)[0], { what: 'the retried text', timeoutMs: 20_000 });
    const failed = standin.rejected.find((r) => r.to === to);
    expect(failed?.failure).toBe('rate-limit');
    const oldCode = secretsOf(failed!.body).code;
    const newCode = secretsOf(text.body).code;
    expect(newCode).not.toBe(oldCode);

    // The stand-in records the text before it answers; the row is updated once the worker has the answer.
    const row = await waitFor(async () => (await smsRowsOf(t.id)).find((r) => r.state !== 'queued' && r.state !== 'sending'), { what: 'the row after the retry' });
    expect(row.attempts).toBe(2);
    const creds = await credentialRowsOf(mb.id);
    expect(creds).toHaveLength(2);
    expect(creds[0].superseded_at).not.toBeNull();

    await expect(credentials.redeem(mb.address, oldCode)).rejects.toMatchObject({ code: 'credential_invalid' });
    await expect(credentials.redeem(mb.address, newCode)).resolves.toMatchObject({ mailboxId: mb.id });
  });

  it('does not retry a permanent refusal (invalid number)', async () => {
    const t = await tenantWith(['cleo']);
    const mb = t.mailboxes.cleo;
    standin.failNext('invalid-number');
    await credentials.sendToMailboxes(t.id, [mb.id]);
    const row = await waitFor(async () => (await smsRowsOf(t.id)).find((r) => r.state === 'failed'), { what: 'failed row' });
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('21211');
    const requestsBefore = standin.requests;
    await worker.app.get(SmsSweeper).sweepOnce();
    expect(standin.requests).toBe(requestsBefore);
    expect((await smsRowsOf(t.id))[0].state).toBe('failed');
    const creds = await credentialRowsOf(mb.id);
    expect(creds.every((c) => c.superseded_at !== null)).toBe(true);
  });

  it('stops at the tenant cap: rows are marked capped and the admins are alerted once', async () => {
    const t = await tenantWith(['d1', 'd2', 'd3', 'd4']);
    await addTenantAdmin(t.id, { name: 'Admin', mobile: '+4915100000001', email: `admin@${uniqueLabel('ext')}.example` });
    // Two places left in this hour.
    await withDb((db) => db.query(`INSERT INTO sms_cap_windows (tenant_id, window_start, used) VALUES ($1, date_trunc('hour', now()), $2)`, [t.id, CAP - 2]));
    await credentials.sendToMailboxes(t.id, null);
    const rows = await waitFor(
      async () => {
        const r = (await smsRowsOf(t.id)).filter((x) => x.kind === 'credentials');
        return r.length === 4 && r.every((x) => ['sent', 'delivered', 'capped'].includes(x.state)) && r;
      },
      { what: 'all rows settled' },
    );
    expect(rows.filter((r) => r.state === 'capped')).toHaveLength(2);
    expect(rows.filter((r) => r.state !== 'capped')).toHaveLength(2);
    expect(rows.find((r) => r.state === 'capped')?.last_error).toContain('cap');
    const alert = await waitFor(() => standin.messages.find((m) => m.to === '+4915100000001'), { what: 'cap alert to the admin' });
    expect(alert.body).toContain(`${CAP}/h`);

    // More texts in the same hour: capped too, but no second alert.
    await credentials.sendToMailboxes(t.id, null);
    await waitFor(async () => (await smsRowsOf(t.id)).filter((x) => x.state === 'capped').length === 6, { what: 'second batch capped' });
    const alerts = (await smsRowsOf(t.id)).filter((x) => x.kind === 'admin-alert');
    expect(alerts).toHaveLength(1);
    const mails = await withDb(async (db) => (await db.query(`SELECT rcpt_to FROM messages WHERE tenant_id = $1 AND direction = 'outbound'`, [t.id])).rows);
    expect(mails).toHaveLength(1);
  });

  it('writes in German for a German tenant', async () => {
    const t = await tenantWith(['emil'], 'de');
    await credentials.sendToMailboxes(t.id, [t.mailboxes.emil.id]);
    const to = (await smsRowsOf(t.id))[0].to_e164;
    const text = await waitFor(() => textsTo(to)[0], { what: 'German text' });
    expect(text.body).toContain('Webmail-Code');
    expect(text.body).toContain('Std. gültig');
    expect((await smsRowsOf(t.id))[0].language).toBe('de');
  });

  it('keeps codes and tokens out of the logs', async () => {
    const sent = standin.messages.filter((m) => /\d{8}/.test(m.body));
    expect(sent.length).toBeGreaterThan(0);
    const log = worker.logLines.join('');
    expect(log).toContain('text handed to the SMS provider');
    for (const m of [...sent, ...standin.rejected]) {
      const { code, token } = secretsOf(m.body);
      expect(log).not.toContain(code);
      expect(log).not.toContain(token);
    }
  });

  it('on activation texts every active user mailbox with a mobile number, once, and tells the admins; back to normal at the end', async () => {
    const t = await tenantWith(['f1', 'f2', 'f3']);
    await setMobile(t.mailboxes.f3.id, null); // no number, no text
    await addTenantAdmin(t.id, { name: 'Boss', mobile: '+4915100000002', email: `boss@${uniqueLabel('ext')}.example`, language: 'de' });
    const activation: TransitionRecord = { id: '00000000-0000-4000-8000-' + Date.now().toString().padStart(12, '0').slice(-12), tenantId: t.id, fromMode: 'normal', toMode: 'active', event: 'activate', actor: 'cli:test', reason: 'Exchange down', drillMailboxIds: null, createdAt: new Date() };
    const byName = new Map(worker.effects.all().map((e) => [e.name, e]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['credentials', 'announce-admins']));
    for (let i = 0; i < 2; i++) for (const e of byName.values()) if (e.name === 'credentials' || e.name === 'announce-admins') await e.apply(activation);
    const rows = await waitFor(async () => {
      const r = await smsRowsOf(t.id);
      return r.length === 3 && r.every((x) => x.state === 'sent' || x.state === 'delivered') && r;
    }, { what: 'activation texts sent' });
    expect(rows.filter((r) => r.kind === 'credentials').map((r) => r.mailbox_id).sort()).toEqual([t.mailboxes.f1.id, t.mailboxes.f2.id].sort());
    const adminText = standin.messages.find((m) => m.to === '+4915100000002');
    expect(adminText?.body).toContain('Notbetrieb');
    const mails = await withDb(async (db) => (await db.query(`SELECT m.rcpt_to, d.route_kind FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE m.tenant_id = $1 AND m.direction = 'outbound'`, [t.id])).rows);
    expect(mails).toHaveLength(1);
    expect(mails[0].route_kind).toBe('internet');

    const end: TransitionRecord = { ...activation, id: activation.id.replace(/.$/, (c) => (c === '1' ? '2' : '1')), fromMode: 'recovering', toMode: 'normal', event: 'replay-finished', createdAt: new Date() };
    await byName.get('credentials')!.apply(end);
    const back = await waitFor(async () => {
      const r = (await smsRowsOf(t.id)).filter((x) => x.kind === 'back-to-normal');
      return r.length === 2 && r.every((x) => x.state !== 'queued' && x.state !== 'sending') && r;
    }, { what: 'back-to-normal texts' });
    expect(back).toHaveLength(2);
    const creds = await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM credentials WHERE tenant_id = $1 AND used_at IS NULL AND superseded_at IS NULL`, [t.id])).rows[0].n);
    expect(creds).toBe(0);
  });
});
