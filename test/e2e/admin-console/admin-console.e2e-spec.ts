import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticator } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { createTestTenant, insertTestMessage, TestTenant, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort } from '../../support/processes';
import { createAdmin, TestAdmin } from '../../support/admin-api';
import { startTwilioStandin, TwilioStandin } from '../../../infra/twilio-standin/twilio-standin';
import { startStandinUpstream, StandinUpstream } from '../../../infra/standin-upstream/standin-upstream';
import { a11yProblems, launchChromium, ROOT, watchPage } from '../webmail/webmail-harness';

jest.setTimeout(180_000);

/** docs/screenshots when asked for (ADMIN_CONSOLE_SCREENSHOTS=1, to commit them), else a temporary directory. */
function screenshotDir(): string {
  const dir = process.env.ADMIN_CONSOLE_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'mc-console-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const modeOf = async (tenantId: string) => (await withDb((db) => db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId]))).rows[0].mode as string;

/**
 * A tenant admin runs an outage from the console in a real browser against
 * the built api and worker: password and TOTP, the status page, activation
 * confirmed by typing the tenant's name, the texts reaching the Twilio
 * stand-in and the page following them, the end of the event and its
 * reconciliation report; the same page on a phone and in German.
 */
describe('admin console in a browser', () => {
  const procs: AppProcess[] = [];
  let standin: TwilioStandin;
  let exchange: StandinUpstream;
  let browser: Browser;
  let tenant: TestTenant;
  let admin: TestAdmin;
  let base: string;
  const phones = ['+491701110001', '+491701110002'];

  beforeAll(async () => {
    standin = await startTwilioStandin({ autoDeliver: true });
    exchange = await startStandinUpstream({ host: '127.0.0.1', hostname: 'exchange.customer.test' });
    const apiPort = await freePort();
    base = `http://127.0.0.1:${apiPort}`;
    const env: Record<string, string> = {
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-console`,
      API_HTTP_PORT: String(apiPort),
      WORKER_HTTP_PORT: String(await freePort()),
      PUBLIC_API_URL: base,
      SMS_DRIVER: 'twilio',
      TWILIO_ACCOUNT_SID: standin.accountSid,
      TWILIO_AUTH_TOKEN: standin.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: standin.url,
      CREDENTIAL_HMAC_SECRET: 'admin-console-e2e-secret-admin-console-e2e',
      SWEEP_INTERVAL_MS: '300',
      REPLAY_TICK_MS: '100',
      STATIC_ROUTES: '*=127.0.0.1:9',
      // Tenants of other test files have dead upstreams; this test is not about the circuit breaker.
      BREAKER_MIN_FAILING_TENANTS: '1000000',
    };
    for (const app of ['api', 'worker']) procs.push(new AppProcess(`dist/apps/${app}/src/main.js`, env, app).start());
    await Promise.all(procs.map((p) => p.waitForLog(/"msg":"listening"/, 120_000)));

    tenant = await createTestTenant({ mailboxes: ['anna', 'ben', 'cara'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    await withDb(async (db) => {
      // The admin decides (no automatic switch on a probe's say-so during the test).
      await db.query(`UPDATE tenants SET continuity_policy = 'manual' WHERE id = $1`, [tenant.id]);
      await db.query(`UPDATE mailboxes SET mobile_e164 = $2 WHERE id = $1`, [tenant.mailboxes.anna.id, phones[0]]);
      await db.query(`UPDATE mailboxes SET mobile_e164 = $2 WHERE id = $1`, [tenant.mailboxes.ben.id, phones[1]]);
    });
    admin = await createAdmin({ role: 'admin', tenantId: tenant.id, name: 'Petra Admin' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (tenant) {
      await withDb(async (db) => {
        await db.query(`UPDATE sms_messages SET state = 'failed', last_error = 'test over' WHERE tenant_id = $1 AND state IN ('queued','sending')`, [tenant.id]);
        await db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1 AND state IN ('queued','deferred','held')`, [tenant.id]);
      });
    }
    for (const p of procs) await p.stop();
    await standin?.close();
    await exchange?.stop();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${base}/`);
    await page.getByLabel('E-mail address').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('6-digit code').fill(authenticator.generate(admin.totpSecret!));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('mode').waitFor();
  }

  it('signs in with password and TOTP, activates after typing the tenant name, follows the texts, ends the event and shows the report', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    const seen = watchPage(page, base);
    const shots = screenshotDir();

    // A wrong password is refused without saying which part was wrong.
    await page.goto(`${base}/console/`);
    await page.getByLabel('E-mail address').fill(admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The e-mail address or the password is wrong.').waitFor();

    await signIn(page);
    await page.getByTestId('mode').filter({ hasText: 'Normal operation' }).waitFor();
    await page.getByTestId('next-action').waitFor();

    // The deliberate step: a reason, and the tenant's name typed out.
    await page.getByRole('button', { name: 'Switch continuity mode ON' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Switch continuity mode on for ${tenant.slug}?`).waitFor();
    const go = dialog.getByRole('button', { name: 'Switch continuity mode ON' });
    await dialog.getByLabel('Reason (goes into the audit log)').fill('Exchange server room flooded');
    await dialog.getByLabel(`Type the tenant name "${tenant.slug}" to confirm`).fill('some other tenant');
    expect(await go.isDisabled()).toBe(true);
    expect(await modeOf(tenant.id)).toBe('normal');
    await dialog.getByLabel(`Type the tenant name "${tenant.slug}" to confirm`).fill(tenant.slug);
    await go.click();

    await page.getByTestId('mode').filter({ hasText: 'Continuity mode is ON' }).waitFor();
    expect(await modeOf(tenant.id)).toBe('active');
    // Both employees with a mobile number get their text, and the page follows the stand-in's receipts.
    await waitFor(() => phones.every((p) => standin.messages.some((m) => m.to === p)), { what: 'texts at the Twilio stand-in', timeoutMs: 60_000 });
    await waitFor(async () => (await page.getByTestId('texts-delivered').textContent()) === '2', { what: 'two texts delivered on the page', timeoutMs: 60_000 });
    await page.getByRole('button', { name: 'End the event (server is back)' }).waitFor();

    // Mail arrives during the outage and is held for the tenant's server.
    await insertTestMessage(tenant, { raw: 'From: x@external.example\r\nSubject: during the outage\r\n\r\nbody\r\n', recipients: [tenant.mailboxes.anna.address], mirrorMailboxIds: [tenant.mailboxes.anna.id] });
    await waitFor(async () => (await page.getByTestId('held').textContent()) === '1', { what: 'one message held on the page', timeoutMs: 30_000 });
    await page.screenshot({ path: join(shots, 'admin-dashboard-desktop.png'), fullPage: true });
    expect(await a11yProblems(page)).toEqual([]);

    // The same page on a phone: nothing wider than the screen, the control in reach.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', isMobile: true, hasTouch: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(`${base}/console/`);
    await phonePage.getByLabel('E-mail address').fill(admin.email);
    await phonePage.getByLabel('Password').fill(admin.password);
    await phonePage.getByRole('button', { name: 'Sign in' }).click();
    await withDb((db) => db.query(`UPDATE admin_users SET totp_last_step = NULL WHERE id = $1`, [admin.id]));
    await phonePage.getByLabel('6-digit code').fill(authenticator.generate(admin.totpSecret!));
    await phonePage.getByRole('button', { name: 'Confirm' }).click();
    await phonePage.getByTestId('mode').filter({ hasText: 'Continuity mode is ON' }).waitFor();
    await phonePage.getByTestId('texts-delivered').waitFor();
    expect(await phonePage.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phonePage.screenshot({ path: join(shots, 'admin-dashboard-phone.png'), fullPage: true });
    // German, by the switch.
    await phonePage.getByRole('button', { name: 'Switch language to German' }).click();
    await phonePage.getByTestId('mode').filter({ hasText: 'Notbetrieb ist AN' }).waitFor();
    await phonePage.getByRole('button', { name: 'Vorfall beenden (Server läuft wieder)' }).waitFor();
    await phone.close();

    // The end: again a reason and the name.
    await page.getByRole('button', { name: 'End the event (server is back)' }).click();
    await dialog.getByText(`End the event for ${tenant.slug}?`).waitFor();
    await dialog.getByLabel('Reason (goes into the audit log)').fill('Exchange is back');
    await dialog.getByLabel(`Type the tenant name "${tenant.slug}" to confirm`).fill(tenant.slug);
    await dialog.getByRole('button', { name: 'End the event (server is back)' }).click();
    await page.locator('[data-testid="mode"]', { hasText: /Recovering|Normal operation/ }).waitFor({ timeout: 30_000 });
    await waitFor(async () => (await modeOf(tenant.id)) === 'normal', { what: 'back to normal after the replay', timeoutMs: 60_000 });
    await page.getByTestId('mode').filter({ hasText: 'Normal operation' }).waitFor({ timeout: 15_000 });

    // The reconciliation report of the event: the held message was received during it and is accounted for.
    await page.getByRole('button', { name: 'Show the report' }).click();
    const report = page.getByTestId('report');
    await report.waitFor();
    await report.getByRole('term').filter({ hasText: 'Received during the event' }).waitFor();
    await report.getByText(tenant.mailboxes.anna.address).waitFor();
    expect(await report.locator('.totals dd').first().textContent()).toBe('1');
    // Replayed to the tenant's own server once the event ended.
    await waitFor(async () => (await exchange.received()).some((m) => m.rcptTo.includes(tenant.mailboxes.anna.address)), { what: 'the held message at the Exchange stand-in', timeoutMs: 30_000 });
    await report.getByText('Every message is accounted for.').waitFor();

    // Both steps are in the audit log with their reasons.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'Exchange server room flooded' }).first().waitFor();
    await page.getByRole('cell', { name: 'Exchange is back' }).first().waitFor();
    // The browser reports the expected 401s (the session probe before sign-in, the wrong password) as console errors.
    expect(seen.errors.filter((e) => !/status of 401 .*\/api\/auth\/(session|login)\)$/.test(e))).toEqual([]);
    await context.close();
  });

  it('imports mailboxes from a CSV file and names the rows it refused; readiness, audit log and settings read well in German', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE' });
    const page = await context.newPage();
    const seen = watchPage(page, base);
    await withDb((db) => db.query(`UPDATE admin_users SET totp_last_step = NULL WHERE id = $1`, [admin.id]));
    await page.goto(`${base}/console/`);
    // The browser's language decides first.
    await page.getByLabel('E-Mail-Adresse').fill(admin.email);
    await page.getByLabel('Passwort').fill(admin.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByLabel('6-stelliger Code').fill(authenticator.generate(admin.totpSecret!));
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByTestId('mode').waitFor();

    await page.getByRole('link', { name: 'Postfächer' }).click();
    const csv = ['address,display_name,mobile,alternate_email', `dora@${tenant.domain},Dora Demo,+491701110003,`, `eve@elsewhere.example,Eve Outside,,`, `fred@${tenant.domain},Fred,not-a-number,`].join('\n') + '\n';
    await page.getByLabel('CSV-Datei').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Importieren' }).click();
    const report = page.getByTestId('import-report');
    await report.waitFor();
    await report.getByText('3 Zeilen: 1 neu, 0 geändert, 0 unverändert, 2 mit Fehlern.').waitFor();
    await report.getByRole('cell', { name: '3', exact: true }).waitFor();
    await report.getByRole('cell', { name: '4', exact: true }).waitFor();
    await report.getByText('(address_outside_tenant)').waitFor();
    await report.getByText('(mobile_invalid)').waitFor();
    await page.getByRole('cell', { name: `dora@${tenant.domain}` }).waitFor();
    expect(await a11yProblems(page)).toEqual([]);

    for (const [link, heading] of [['Bereitschaft', 'Bereitschaft für einen Ausfall'], ['Protokoll', 'Protokoll'], ['Einstellungen', 'Einstellungen']]) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      expect(await a11yProblems(page)).toEqual([]);
    }
    // An API key made in the console works once, shown once.
    await page.getByRole('link', { name: 'Zugänge', exact: true }).click();
    await page.getByLabel('Name des Schlüssels').fill('monitoring');
    await page.getByRole('button', { name: 'Schlüssel erzeugen' }).click();
    const secret = (await page.locator('code.secret').textContent())!.trim();
    expect(secret).toMatch(/^mcak_/);
    const viaKey = await fetch(`${base}/api/tenants/${tenant.id}/continuity`, { headers: { authorization: `Bearer ${secret}` } });
    expect(viaKey.status).toBe(200);
    await page.getByRole('button', { name: 'Widerrufen: monitoring' }).click();
    await page.getByText('widerrufen', { exact: true }).waitFor();
    expect((await fetch(`${base}/api/tenants/${tenant.id}/continuity`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(await a11yProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Protokoll', exact: true }).click();
    await page.getByRole('cell', { name: 'mailbox.import' }).first().waitFor();
    expect(seen.errors.filter((e) => !/status of 401 .*\/api\/auth\/(session|login)\)$/.test(e))).toEqual([]);
    await context.close();
  });
});
