import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticator } from 'otplib';
import { create as createQr } from 'qrcode';
import type { Browser, Page } from 'playwright-core';
import { createTestTenant, insertTestMessage, TestTenant, waitFor, withDb } from '../../support/factories';
import { AppProcess, freePort } from '../../support/processes';
import { createAdmin, TestAdmin } from '../../support/admin-api';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';
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
      ...twilioDriverEnv(standin),
      CREDENTIAL_HMAC_SECRET: 'admin-console-e2e-secret-admin-console-e2e',
      SWEEP_INTERVAL_MS: '300',
      REPLAY_TICK_MS: '100',
      STATIC_ROUTES: '*=127.0.0.1:9',
      // Tenants of other test files have dead upstreams; this test is not about the circuit breaker.
      BREAKER_MIN_FAILING_TENANTS: '1000000',
      // Every sign-in of this file comes from 127.0.0.1; the limit has tests of its own.
      ADMIN_LOGIN_ATTEMPTS_PER_IP: '1000',
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

  async function signIn(page: Page, who: TestAdmin = admin, password = who.password): Promise<void> {
    // A code is accepted once; the tests sign in more often than every 30 s.
    await withDb((db) => db.query(`UPDATE admin_users SET totp_last_step = NULL WHERE id = $1`, [who.id]));
    await page.goto(`${base}/`);
    await page.getByLabel('E-mail address').fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('6-digit code').fill(authenticator.generate(who.totpSecret!));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('mode').waitFor();
  }

  /** Console errors the browser reports for answers a test asked for on purpose. */
  const unexpected = (errors: string[], expected: RegExp[] = []) =>
    errors.filter((e) => ![/status of 401 .*\/api\/auth\/(session|login)\)$/, ...expected].some((re) => re.test(e)));
  const scimUsers = (token: string) => fetch(`${base}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

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

  it('makes a SCIM token that is shown once with the base URL and works, revokes it only after confirming; viewers are not offered the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    const seen = watchPage(page, base);
    await signIn(page);
    await page.getByRole('link', { name: 'SCIM', exact: true }).click();
    await page.getByRole('heading', { name: 'SCIM provisioning (Entra ID, Okta)' }).waitFor();

    await page.getByLabel('Name of the token (for example the identity provider)').fill('Entra ID');
    await page.getByRole('button', { name: 'Create token' }).click();
    const created = page.getByTestId('scim-created');
    await created.getByText('Copy the token now: it is shown only this once.').waitFor();
    const secret = await page.getByLabel('Secret token', { exact: true }).inputValue();
    expect(secret).toMatch(/^mcscim_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByLabel('SCIM base URL', { exact: true }).inputValue()).toBe(`${base}/scim/v2`);
    // The focus lands on the one-time panel, and the copy button puts the token on the clipboard.
    expect(await page.evaluate(`document.activeElement?.getAttribute('data-testid')`)).toBe('scim-created');
    await page.getByRole('button', { name: 'Copy: Secret token' }).click();
    await created.getByText('Copied.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    expect(await scimUsers(secret)).toBe(200);
    expect(await a11yProblems(page)).toEqual([]);
    await page.screenshot({ path: join(screenshotDir(), 'admin-scim-token-desktop.png'), fullPage: true });

    // The list names it without the secret; once hidden, or after a reload, the secret is nowhere on the page.
    const row = page.getByTestId('scim-tokens').getByRole('row').filter({ hasText: 'Entra ID' });
    await row.getByText(`${secret.slice(0, 13)}…`).waitFor();
    await page.getByRole('button', { name: 'I have copied it: hide the token' }).click();
    await created.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // Revoking asks first: cancelling keeps the token working.
    await row.getByRole('button', { name: 'Revoke: Entra ID' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the token "Entra ID"?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await scimUsers(secret)).toBe(200);
    await row.getByRole('button', { name: 'Revoke: Entra ID' }).click();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('status').filter({ hasText: 'Token "Entra ID" is revoked.' }).waitFor();
    await row.getByText(/^revoked /).waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await scimUsers(secret)).toBe(401);
    const audit = await withDb((db) => db.query(`SELECT action FROM admin_audit_log WHERE tenant_id = $1 AND action LIKE 'scim_token.%' ORDER BY id`, [tenant.id]));
    expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(['scim_token.create', 'scim_token.revoke']);

    // On a phone, with a new token on screen, nothing is wider than the screen; in German too.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'de-DE', isMobile: true, hasTouch: true });
    const phonePage = await phone.newPage();
    await withDb((db) => db.query(`UPDATE admin_users SET totp_last_step = NULL WHERE id = $1`, [admin.id]));
    await phonePage.goto(`${base}/console/#/${tenant.id}/scim`);
    await phonePage.getByLabel('E-Mail-Adresse').fill(admin.email);
    await phonePage.getByLabel('Passwort').fill(admin.password);
    await phonePage.getByRole('button', { name: 'Anmelden' }).click();
    await phonePage.getByLabel('6-stelliger Code').fill(authenticator.generate(admin.totpSecret!));
    await phonePage.getByRole('button', { name: 'Bestätigen' }).click();
    await phonePage.getByRole('heading', { name: 'SCIM-Bereitstellung (Entra ID, Okta)' }).waitFor();
    await phonePage.getByLabel('Name des Tokens (z. B. der Identitätsanbieter)').fill('Okta');
    await phonePage.getByRole('button', { name: 'Token erzeugen' }).click();
    await phonePage.getByText('Kopieren Sie das Token jetzt: es wird nur dieses eine Mal angezeigt.').waitFor();
    const okta = await phonePage.getByLabel('Geheimes Token', { exact: true }).inputValue();
    expect(await scimUsers(okta)).toBe(200);
    expect(await phonePage.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await a11yProblems(phonePage)).toEqual([]);
    await phonePage.screenshot({ path: join(screenshotDir(), 'admin-scim-token-phone.png'), fullPage: true });
    await phone.close();

    // A viewer cannot read the tokens (the API says 403), so the console offers no SCIM page.
    const viewer = await createAdmin({ role: 'viewer', tenantId: tenant.id, name: 'Vera Viewer' });
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const viewerPage = await viewerContext.newPage();
    await signIn(viewerPage, viewer);
    expect(await viewerPage.getByRole('link', { name: 'SCIM', exact: true }).count()).toBe(0);
    await viewerPage.goto(`${base}/console/#/${tenant.id}/scim`);
    await viewerPage.getByText('Only the tenant’s admins manage SCIM tokens.').waitFor();
    expect(await viewerPage.evaluate(`fetch('/api/tenants/${tenant.id}/scim-tokens').then((r) => r.status)`)).toBe(403);
    await viewerContext.close();
    expect(unexpected(seen.errors)).toEqual([]);
    await context.close();
  });

  it('changes the password with the server naming what is wrong, ends the other sessions, and the new password signs in', async () => {
    const who = await createAdmin({ role: 'admin', tenantId: tenant.id, name: 'Paul Password' });
    const newPassword = 'four words make a passphrase';
    // A second session of the same account, in another browser.
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const otherPage = await other.newPage();
    await signIn(otherPage, who);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const seen = watchPage(page, base);
    await signIn(page, who);
    await page.getByRole('link', { name: 'Your account' }).click();
    const form = page.getByRole('form', { name: 'Change your password' });
    await form.waitFor();
    await page.getByText('every other session of your account (other browsers and devices) is signed out', { exact: false }).waitFor();
    await form.getByText('At least 12 characters, at most 256.').waitFor();
    const current = form.getByLabel('Current password');
    const fresh = form.getByLabel('New password', { exact: true });
    const again = form.getByLabel('New password again');
    const submit = form.getByRole('button', { name: 'Change password' });
    const alert = form.getByRole('alert');

    // The server's reasons, each in the reader's words.
    await current.fill('not my password at all');
    await fresh.fill(newPassword);
    await again.fill(newPassword);
    await submit.click();
    await alert.filter({ hasText: 'The current password is wrong.' }).waitFor();
    expect(await current.getAttribute('aria-invalid')).toBe('true');
    await current.fill(who.password);
    await fresh.fill('too short');
    await again.fill('too short');
    await submit.click();
    await alert.filter({ hasText: 'The new password is too short: it needs at least 12 characters.' }).waitFor();
    await fresh.fill('x'.repeat(20));
    await again.fill('x'.repeat(20));
    await submit.click();
    await alert.filter({ hasText: 'The new password must not be one character repeated.' }).waitFor();
    // Two different new passwords never reach the server.
    await fresh.fill(newPassword);
    await again.fill(`${newPassword}!`);
    await submit.click();
    await alert.filter({ hasText: 'The two new passwords are not the same.' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await a11yProblems(page)).toEqual([]);
    await page.screenshot({ path: join(screenshotDir(), 'admin-password-phone.png'), fullPage: true });

    await again.fill(newPassword);
    await submit.click();
    await form.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    expect(await current.inputValue()).toBe('');
    const audit = await withDb((db) => db.query(`SELECT count(*)::int AS n FROM admin_audit_log WHERE action = 'auth.password_changed' AND target = $1`, [who.id]));
    expect(audit.rows[0].n).toBe(1);

    // This session goes on; the other one is signed out.
    await page.getByRole('link', { name: 'Status' }).click();
    await page.getByTestId('mode').waitFor();
    await otherPage.reload();
    await otherPage.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();

    // The old password is refused, the new one signs in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail address').fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The e-mail address or the password is wrong.').waitFor();
    await signIn(page, who, newPassword);
    await page.getByTestId('mode').waitFor();
    expect(unexpected(seen.errors, [/status of (400|403) .*\/api\/auth\/password\)$/])).toEqual([]);
    await other.close();
    await context.close();
  });

  it('shows a QR code of the otpauth URI beside the setup key at enrolment, drawn in the page, and the app code it leads to finishes enrolment', async () => {
    const fresh = await createAdmin({ role: 'admin', tenantId: tenant.id, name: 'Nina New', totp: false });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const seen = watchPage(page, base);
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:')) elsewhere.push(r.url());
    });
    await page.goto(`${base}/console/`);
    await page.getByLabel('E-mail address').fill(fresh.email);
    await page.getByLabel('Password', { exact: true }).fill(fresh.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await page.getByRole('button', { name: 'Show the QR code and setup key' }).click();

    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    const otpauth = (await page.getByRole('link', { name: 'Or open this link on your phone' }).getAttribute('href'))!;
    expect(otpauth).toMatch(/^otpauth:\/\/totp\//);
    const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s+/g, '');
    expect(new URL(otpauth).searchParams.get('secret')).toBe(secret);
    // The dark squares drawn are exactly the modules of the QR symbol of that URI (4 modules of quiet zone around).
    const d = (await qr.locator('path').getAttribute('d'))!;
    const drawn = new Set([...d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((m) => `${Number(m[1]) - 4},${Number(m[2]) - 4}`));
    const { modules } = createQr(otpauth, { errorCorrectionLevel: 'M' });
    const expected = new Set<string>();
    for (let row = 0; row < modules.size; row++) for (let col = 0; col < modules.size; col++) if (modules.get(row, col)) expected.add(`${col},${row}`);
    expect(drawn.size).toBeGreaterThan(100);
    expect(drawn).toEqual(expected);
    expect(await qr.getAttribute('viewBox')).toBe(`0 0 ${modules.size + 8} ${modules.size + 8}`);
    // Fits the phone, readable, and the secret went nowhere but our own server.
    const box = (await qr.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(150);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await a11yProblems(page)).toEqual([]);
    await page.screenshot({ path: join(screenshotDir(), 'admin-totp-enrolment-phone.png'), fullPage: true });
    expect(elsewhere).toEqual([]);

    // What an authenticator app makes of that secret finishes the enrolment.
    await page.getByLabel('6-digit code').fill(authenticator.generate(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('mode').waitFor();
    const row = await withDb((db) => db.query(`SELECT totp_enabled_at FROM admin_users WHERE id = $1`, [fresh.id]));
    expect(row.rows[0].totp_enabled_at).not.toBeNull();
    expect(unexpected(seen.errors)).toEqual([]);
    await context.close();
  });
});
