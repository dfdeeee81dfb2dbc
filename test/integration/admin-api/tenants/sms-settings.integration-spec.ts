import { CredentialsService } from '@app/credentials';
import { createTestTenant, TestTenant, waitFor, withDb } from '../../../support/factories';
import { ApiClient, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';
import { setMobile, settleTenant, smsRowsOf, smsTestConfig, SmsWorker, startSmsWorker, startTwilioStandin, TwilioStandin } from '../../sms/sms-harness';

jest.setTimeout(60_000);

/**
 * What an admin sets under /settings reaches the texts: the tenant's own
 * sender, its template in the tenant's language, and its hourly cap instead
 * of the configured one.
 */
describe('admin API: SMS settings take effect', () => {
  let standin: TwilioStandin;
  let worker: SmsWorker;
  let api: TestApi;
  let admin: ApiClient;
  let credentials: CredentialsService;
  let t: TestTenant;

  beforeAll(async () => {
    standin = await startTwilioStandin({ autoDeliver: false });
    const cfg = smsTestConfig(standin, { SMS_TENANT_CAP_PER_HOUR: '1000', REDIS_PREFIX: `${process.env.REDIS_PREFIX}-smsset` });
    worker = await startSmsWorker(cfg);
    credentials = worker.app.get(CredentialsService);
    api = await startTestApi({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}-smsset` });
    t = await createTestTenant({ mailboxes: ['anna', 'ben'] });
    await setMobile(t.mailboxes.anna.id, '+491510000101');
    await setMobile(t.mailboxes.ben.id, '+491510000102');
    admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: t.id }));
  });

  afterAll(async () => {
    if (t) await settleTenant(t.id);
    await worker?.stop();
    await api?.stop();
    await standin?.close();
  });

  it("texts from the tenant's sender with its German template, and stops at its own cap", async () => {
    const res = await admin.patch(`/api/tenants/${t.id}/settings`, {
      language: 'de',
      sms: { sender: 'DemoCorp', capPerHour: 1, templates: { de: { credentials: 'Notfall-Mail {tenant}: Code {code} unter {link} ({lifetime})' } } },
    });
    expect(res.status).toBe(200);

    await credentials.sendToMailboxes(t.id, [t.mailboxes.anna.id], 'activation');
    const [text] = await waitFor(() => standin.messages.filter((m) => m.to === '+491510000101').length === 1 && standin.messages.filter((m) => m.to === '+491510000101'), { what: 'the text at the stand-in' });
    expect(text.from).toBe('DemoCorp');
    expect(text.body).toMatch(new RegExp(`^Notfall-Mail ${t.slug}: Code \\d{8} unter \\S+ \\(\\d+ (Std\\.|Min\\.)\\)$`));
    const code = /Code (\d{8})/.exec(text.body)?.[1] ?? '';
    await expect(credentials.redeem(t.mailboxes.anna.address, code)).resolves.toMatchObject({ mailboxId: t.mailboxes.anna.id });

    // The tenant's cap of 1 per hour, not the configured 1000.
    await credentials.sendToMailboxes(t.id, [t.mailboxes.ben.id], 'activation');
    const capped = await waitFor(async () => (await smsRowsOf(t.id)).find((r) => r.mailbox_id === t.mailboxes.ben.id && r.state === 'capped'), { what: 'the second text capped' });
    expect(capped.last_error).toContain('cap of 1 ');
    expect(standin.messages.filter((m) => m.to === '+491510000102')).toHaveLength(0);
  });

  it('goes back to the configured sender and built-in text when the settings are cleared', async () => {
    await admin.patch(`/api/tenants/${t.id}/settings`, { language: 'en', sms: { sender: null, capPerHour: null, templates: null } });
    await withDb((db) => db.query(`DELETE FROM sms_cap_windows WHERE tenant_id = $1`, [t.id]));
    await credentials.sendToMailboxes(t.id, [t.mailboxes.ben.id], 'request');
    const [text] = await waitFor(() => standin.messages.filter((m) => m.to === '+491510000102').length === 1 && standin.messages.filter((m) => m.to === '+491510000102'), { what: 'the text at the stand-in' });
    expect(text.from).toBe('+15005550006');
    expect(text.body).toContain('Webmail code:');
  });
});
