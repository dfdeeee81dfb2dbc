import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess } from '../../support/processes';
import { createTestTenant, TestTenant, withDb } from '../../support/factories';
import { startTwilioStandin, TwilioStandin, twilioSignature, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';

jest.setTimeout(60000);

/**
 * The built apps/api and apps/webmail (`npm run build` first) as operators
 * run them, configured by the environment: they log the port they bound,
 * answer health and their routes over HTTP, and stop cleanly on SIGTERM.
 */
describe('api and webmail processes', () => {
  let standin: TwilioStandin;
  let api: AppProcess;
  let webmail: AppProcess;
  let apiPort: number;
  let webmailPort: number;
  let t: TestTenant;

  beforeAll(async () => {
    standin = await startTwilioStandin();
    t = await createTestTenant({ mailboxes: ['eva'] });
    const env = {
      API_HTTP_PORT: '0',
      WEBMAIL_HTTP_PORT: '0',
      ...twilioDriverEnv(standin),
      DATA_DIR: mkdtempSync(join(process.env.DATA_DIR as string, 'credentials-e2e-')),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-credentials-e2e`,
    };
    api = new AppProcess('dist/apps/api/src/main.js', env, 'api').start();
    webmail = new AppProcess('dist/apps/webmail/src/main.js', env, 'webmail').start();
    apiPort = JSON.parse(await api.waitForLog(/"msg":"listening"/)).httpPort;
    webmailPort = JSON.parse(await webmail.waitForLog(/"msg":"listening"/)).httpPort;
  });

  afterAll(async () => {
    await api?.stop('SIGKILL');
    await webmail?.stop('SIGKILL');
    await standin?.close();
  });

  it('serve health and metrics and are ready', async () => {
    for (const port of [apiPort, webmailPort]) {
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    }
  });

  it('webmail: shows the link page without using it and answers errors as {statusCode, code, message}', async () => {
    const page = await fetch(`http://127.0.0.1:${webmailPort}/signin/link?t=abc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('method="post"');
    const r = await fetch(`http://127.0.0.1:${webmailPort}/signin/code`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ address: t.mailboxes.eva.address, code: '12345678' }) });
    // The tenant is in normal mode: the webmail is closed, the same answer for every address of its domain.
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ statusCode: 403, code: 'webmail_closed', message: expect.any(String) });
    const req = await fetch(`http://127.0.0.1:${webmailPort}/signin/request`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ address: t.mailboxes.eva.address }) });
    expect(req.status).toBe(202);
  });

  it('api: refuses unsigned Twilio callbacks and takes signed ones', async () => {
    const url = `http://localhost:9027/twilio/status`; // PUBLIC_API_URL default: what the signature covers
    const params = { MessageSid: 'SMdoesnotexist', MessageStatus: 'delivered' };
    const post = (sig: string) =>
      fetch(`http://127.0.0.1:${apiPort}/twilio/status`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig }, body: new URLSearchParams(params).toString() });
    const bad = await post('bogus');
    expect(bad.status).toBe(403);
    expect(await bad.json()).toMatchObject({ statusCode: 403, code: 'invalid_signature' });
    expect((await post(twilioSignature(standin.authToken, url, params))).status).toBe(204);
    for (const l of [...api.lines, ...webmail.lines]) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('stop cleanly on SIGTERM', async () => {
    expect(await api.stop('SIGTERM')).toBe(0);
    expect(await webmail.stop('SIGTERM')).toBe(0);
    expect(api.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
    await withDb((db) => db.query(`UPDATE sms_messages SET state = 'failed' WHERE tenant_id = $1 AND state IN ('queued','sending')`, [t.id]));
  });
});
