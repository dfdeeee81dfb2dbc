import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { createTestTenant, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import type { AppProcess } from '../../support/processes';
import { startStandinUpstream, StandinUpstream } from '../../../infra/standin-upstream/standin-upstream';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';
import { DnsStandin } from '../../../infra/dns-standin/dns-standin';
import { relay } from '../../integration/outbound/outbound-harness';
import { a11yProblems, baseEnv, cliOk, codeOf, launchChromium, newPage, signInWithCode, startApps, watchPage } from './webmail-harness';

jest.setTimeout(300_000);

/**
 * Answering, forwarding and deleting on a phone (390 px wide), in a real browser
 * against the built processes during an outage: "Reply all" writes to everyone but
 * the employee, the reply goes out and joins the conversation; "Forward" carries the
 * original's attachment to the new recipient; "Delete" moves a message to Trash and
 * "Restore" puts it back in the inbox.
 */
describe('webmail on a phone: reply all, forward, delete and restore', () => {
  const procs: Record<string, AppProcess> = {};
  let internet: StandinUpstream;
  let twilio: TwilioStandin;
  const dns = new DnsStandin();
  let browser: Browser;
  let env: Record<string, string>;
  let baseUrl: string;
  let t: TestTenant;
  const partnerDomain = `${uniqueLabel('partner')}.example`;
  const pat = `pat@${partnerDomain}`;
  const carol = `carol@${partnerDomain}`;
  const dan = `dan@${partnerDomain}`;
  const mobile = '+4915112347777';

  beforeAll(async () => {
    internet = await startStandinUpstream({ host: '127.0.0.1', hostname: 'mx.partner.test' });
    twilio = await startTwilioStandin({ host: '127.0.0.1', port: 0, autoDeliver: false });
    const dnsServer = await dns.start();
    env = {
      ...(await baseEnv('webmail-phone')),
      DNS_SERVERS: dnsServer,
      STATIC_ROUTES: `${partnerDomain}=127.0.0.1:${internet.port}`,
      MTA_STS_ENABLED: 'false',
      ...twilioDriverEnv(twilio),
    };
    baseUrl = `http://127.0.0.1:${env.WEBMAIL_HTTP_PORT}`;
    env.PUBLIC_WEBMAIL_URL = baseUrl;
    t = await createTestTenant({ mailboxes: ['ann', 'bob'] });
    await withDb(async (db) => {
      await db.query(`UPDATE mailboxes SET mobile_e164 = $2, display_name = 'Ann Adler' WHERE id = $1`, [t.mailboxes.ann.id, mobile]);
      await db.query(`UPDATE mailboxes SET display_name = 'Bob Berger' WHERE id = $1`, [t.mailboxes.bob.id]);
      await db.query(`UPDATE tenants SET continuity_policy = 'manual' WHERE id = $1`, [t.id]);
    });
    await startApps(env, ['mx', 'worker', 'webmail'], procs);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    await internet?.stop();
    await twilio?.close();
    await dns.stop();
  });

  async function inbound(headers: string[], body: string): Promise<void> {
    const raw = [...headers, `Date: ${new Date().toUTCString()}`, '', body, ''].join('\r\n');
    const r = await relay({ port: Number(env.MX_SMTP_PORT), from: pat, to: [t.mailboxes.ann.address], raw: Buffer.from(raw), localAddress: '127.0.0.2', tls: 'none' });
    expect(r.response).toMatch(/^250 /);
  }

  async function entryOf(mailboxId: string, folder: string, subject: string): Promise<string> {
    return waitFor(
      async () =>
        (await withDb((db) => db.query(`SELECT e.id FROM mirror_entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = $1 AND e.folder = $2 AND m.subject = $3 AND m.index_state = 'indexed'`, [mailboxId, folder, subject]))).rows[0]?.id as
          | string
          | undefined,
      { what: `"${subject}" indexed in ${folder}`, timeoutMs: 60000 },
    );
  }

  async function openBySubject(page: Page, subject: string): Promise<void> {
    await page.locator('.rows a', { hasText: subject }).first().click();
    await page.locator('.message').first().waitFor();
  }

  async function toFolder(page: Page, name: string): Promise<void> {
    await page.getByRole('button', { name: 'Folders and settings' }).click();
    await page.locator('#sidebar a', { hasText: name }).first().click();
    await page.locator('.list-heading', { hasText: name }).waitFor();
  }

  const chipsOf = async (page: Page, field: string): Promise<string[]> => (await page.locator(`.recipients:has(#${field}) .chip span[title]`).evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''))).sort();

  it('replies to all, forwards with the attachment, and deletes and restores, at 390 px', async () => {
    const { ann, bob } = t.mailboxes;
    const dinnerId = `<${uniqueLabel('dinner')}@${partnerDomain}>`;
    await inbound([`From: Pat Partner <${pat}>`, `To: Ann Adler <${ann.address}>`, `Cc: ${bob.address}, Carol <${carol}>`, 'Subject: Team dinner', `Message-ID: ${dinnerId}`], 'Friday at seven?');
    await inbound(
      [`From: Pat Partner <${pat}>`, `To: ${ann.address}`, 'Subject: Workshop agenda', `Message-ID: <${uniqueLabel('agenda')}@${partnerDomain}>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"'],
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe agenda is attached.\r\n--b1\r\nContent-Type: text/csv; name="agenda.csv"\r\nContent-Disposition: attachment; filename="agenda.csv"\r\n\r\ntime,topic\r\n09:00,Welcome\r\n--b1--',
    );
    await inbound([`From: Pat Partner <${pat}>`, `To: ${ann.address}`, 'Subject: Old newsletter', `Message-ID: <${uniqueLabel('news')}@${partnerDomain}>`], 'Nothing new.');
    const dinner = await entryOf(ann.id, 'inbox', 'Team dinner');
    await entryOf(ann.id, 'inbox', 'Workshop agenda');
    const newsletter = await entryOf(ann.id, 'inbox', 'Old newsletter');

    await cliOk(['continuity', 'activate', t.slug, '--reason', 'Exchange is down'], env);
    const text = await waitFor(() => twilio.messages.find((m) => m.to === mobile), { what: 'the credentials text', timeoutMs: 30000 });
    const { context, page } = await newPage(browser, 390, 844);
    const seen = watchPage(page, baseUrl);
    await signInWithCode(page, baseUrl, ann.address, codeOf(text.body));
    await page.locator('.rows a', { hasText: 'Team dinner' }).waitFor();

    // Reply all: the sender in To, the other recipients in Cc, never Ann herself.
    await openBySubject(page, 'Team dinner');
    await page.getByRole('button', { name: 'Reply all' }).first().click();
    const body = page.locator('#compose-body');
    await body.waitFor();
    expect(await chipsOf(page, 'compose-to')).toEqual([pat]);
    expect(await chipsOf(page, 'compose-cc')).toEqual([bob.address, carol].sort());
    expect(await page.locator('#compose-subject').inputValue()).toBe('Re: Team dinner');
    expect(await page.evaluate(`document.documentElement.scrollWidth <= 390`)).toBe(true);
    expect(await a11yProblems(page)).toEqual([]);
    await body.press('Control+Home');
    await body.pressSequentially('Friday suits everyone. ');
    await page.locator('.compose-actions button[type="submit"]').click();
    await page.locator('[role="status"]', { hasText: 'Message sent' }).waitFor();
    const replied = await waitFor(async () => {
      const got = (await internet.received()).filter((m) => m.raw.toString().includes('Friday suits everyone.'));
      const rcpts = got.flatMap((m) => m.rcptTo);
      return rcpts.includes(pat) && rcpts.includes(carol) ? got : null;
    }, { what: 'the reply at the partner MX for Pat and Carol', timeoutMs: 30000 });
    expect(replied.flatMap((m) => m.rcptTo)).not.toContain(ann.address);
    expect(replied[0].raw.toString()).toContain(`In-Reply-To: ${dinnerId}`);
    // Bob, in the same company, has it in his standby inbox; Ann's Sent has it in the same conversation as the original.
    await entryOf(bob.id, 'inbox', 'Re: Team dinner');
    const sentReply = await entryOf(ann.id, 'sent', 'Re: Team dinner');
    const threads = await withDb((db) => db.query(`SELECT DISTINCT thread_id FROM mirror_entries WHERE id = ANY($1::uuid[])`, [[dinner, sentReply]]));
    expect(threads.rowCount).toBe(1);
    await toFolder(page, 'Sent');
    await openBySubject(page, 'Re: Team dinner');
    await page.locator('.thread-count', { hasText: '2 messages' }).waitFor();

    // Forward: a new recipient, the original's attachment along.
    await toFolder(page, 'Inbox');
    await openBySubject(page, 'Workshop agenda');
    await page.getByRole('button', { name: 'Forward' }).first().click();
    await page.locator('#compose-to').waitFor();
    expect(await page.locator('#compose-subject').inputValue()).toMatch(/^Fwd: Workshop agenda$/);
    await page.locator('.draft-files li', { hasText: 'agenda.csv' }).waitFor();
    expect(await chipsOf(page, 'compose-to')).toEqual([]);
    await page.locator('#compose-to').fill(dan);
    await page.locator('#compose-to').press('Enter');
    expect(await chipsOf(page, 'compose-to')).toEqual([dan]);
    expect(await page.evaluate(`document.documentElement.scrollWidth <= 390`)).toBe(true);
    expect(await a11yProblems(page)).toEqual([]);
    await page.locator('.compose-actions button[type="submit"]').click();
    await page.locator('[role="status"]', { hasText: 'Message sent' }).waitFor();
    const forwarded = await waitFor(async () => (await internet.received()).find((m) => m.rcptTo.includes(dan)), { what: 'the forward at the partner MX', timeoutMs: 30000 });
    const parsed = await simpleParser(forwarded.raw);
    expect(parsed.subject).toBe('Fwd: Workshop agenda');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString().replace(/\r\n/g, '\n')])).toEqual([['agenda.csv', 'time,topic\n09:00,Welcome']]);

    // Delete: to Trash, out of the inbox; Restore: back where it was.
    await toFolder(page, 'Inbox');
    await openBySubject(page, 'Old newsletter');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('[role="status"]', { hasText: 'Moved to Trash' }).waitFor();
    await page.locator('.rows a', { hasText: 'Team dinner' }).waitFor();
    expect(await page.locator('.rows a', { hasText: 'Old newsletter' }).count()).toBe(0);
    await toFolder(page, 'Trash');
    await openBySubject(page, 'Old newsletter');
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.locator('[role="status"]', { hasText: 'Message restored' }).waitFor();
    await waitFor(async () => (await page.locator('.rows a', { hasText: 'Old newsletter' }).count()) === 0, { what: 'the message gone from Trash' });
    await toFolder(page, 'Inbox');
    await page.locator('.rows a', { hasText: 'Old newsletter' }).waitFor();
    expect((await withDb((db) => db.query(`SELECT folder FROM mirror_entries WHERE id = $1`, [newsletter]))).rows).toEqual([{ folder: 'inbox' }]);

    expect(seen).toEqual({ errors: [], dialogs: [] });
    await context.close();
  });
});
