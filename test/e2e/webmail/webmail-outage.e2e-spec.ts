import { deflateSync, crc32 } from 'node:zlib';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { Browser, Page } from 'playwright-core';
import { createTestTenant, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import type { AppProcess } from '../../support/processes';
import { startStandinUpstream, StandinUpstream } from '../../../infra/standin-upstream/standin-upstream';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';
import { DnsStandin } from '../../../infra/dns-standin/dns-standin';
import { addConnector, relay } from '../../integration/outbound/outbound-harness';
import { a11yProblems, baseEnv, cliOk, codeOf, launchChromium, newPage, screenshotDir, signInWithCode, startApps, watchPage } from './webmail-harness';

jest.setTimeout(300_000);

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A small solid PNG, the tenant's logo (a data: URL, as the admin API stores it). */
function logoPng(rgb: [number, number, number]): string {
  const w = 48;
  const h = 48;
  const row = Buffer.alloc(1 + w * 3);
  for (let x = 0; x < w; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: h }, (_, y) => (y % 12 < 6 ? row : Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 255)]))));
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * The webmail in a real browser against the built processes, through an Exchange
 * outage: the texted code signs an employee in and makes them choose a password;
 * the mail mirrored before the outage is there with their own sent replies; search
 * finds a message by a word of its body; a reply (written on a phone-sized screen)
 * reaches the internet DKIM-signed with a signature that verifies; a message to a
 * colleague lands in the colleague's inbox.
 */
describe('webmail in the browser during an outage', () => {
  const procs: Record<string, AppProcess> = {};
  let exchange: StandinUpstream;
  let internet: StandinUpstream;
  let twilio: TwilioStandin;
  const dns = new DnsStandin();
  let browser: Browser;
  let env: Record<string, string>;
  let baseUrl: string;
  let t: TestTenant;
  const partnerDomain = `${uniqueLabel('partner')}.example`;
  const partner = `pat@${partnerDomain}`;
  const spoofDomain = `${uniqueLabel('bank')}.example`;
  const bodyWord = uniqueLabel('pineapple');
  const shots = screenshotDir();
  const NEWSLETTERS = 55; // more than the list's page of 50
  const mobiles = { ann: '+4915112340001', bob: '+4915112340002' };

  beforeAll(async () => {
    exchange = await startStandinUpstream({ host: '127.0.0.1' });
    internet = await startStandinUpstream({ host: '127.0.0.1', hostname: 'mx.partner.test' });
    twilio = await startTwilioStandin({ host: '127.0.0.1', port: 0, autoDeliver: false });
    const dnsServer = await dns.start();
    env = {
      ...(await baseEnv('webmail-browser')),
      DNS_SERVERS: dnsServer,
      STATIC_ROUTES: `${partnerDomain}=127.0.0.1:${internet.port}`,
      MTA_STS_ENABLED: 'false',
      PROBE_TICK_MS: '200',
      ...twilioDriverEnv(twilio),
    };
    baseUrl = `http://127.0.0.1:${env.WEBMAIL_HTTP_PORT}`;
    env.PUBLIC_WEBMAIL_URL = baseUrl;

    t = await createTestTenant({ mailboxes: ['ann', 'bob', 'info'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    await withDb(async (db) => {
      await db.query(`UPDATE mailboxes SET mobile_e164 = $2, display_name = $3 WHERE id = $1`, [t.mailboxes.ann.id, mobiles.ann, 'Ann Adler']);
      await db.query(`UPDATE mailboxes SET mobile_e164 = $2, display_name = $3 WHERE id = $1`, [t.mailboxes.bob.id, mobiles.bob, 'Bob Berger']);
      // A shared mailbox Ann is a member of and may send as.
      await db.query(`UPDATE mailboxes SET kind = 'shared', display_name = 'Info desk' WHERE id = $1`, [t.mailboxes.info.id]);
      await db.query(`INSERT INTO shared_mailbox_members (tenant_id, shared_mailbox_id, member_mailbox_id, can_send_as) VALUES ($1, $2, $3, true)`, [t.id, t.mailboxes.info.id, t.mailboxes.ann.id]);
      // Manual policy: this test declares the outage itself, the probes must not.
      await db.query(`UPDATE tenants SET continuity_policy = 'manual', webmail_brand_name = 'Muster GmbH', webmail_primary_color = '#0a6e4f', webmail_logo_data_url = $2 WHERE id = $1`, [t.id, logoPng([10, 110, 79])]);
    });
    await addConnector(t.slug, { name: 'exchange', sourceCidrs: ['127.0.0.1/32'] });

    // The tenant's DKIM key, published in the test's DNS and switched on for outbound mail.
    const created = JSON.parse(await cliOk(['--json', 'dkim', 'create', '--domain', t.domain], env));
    const key = Array.isArray(created) ? created[0] : created;
    dns.txt.set(key.record.name.toLowerCase().replace(/\.$/, ''), [chunk(key.record.value)]);
    await cliOk(['dkim', 'check', '--domain', t.domain], env);
    await cliOk(['dkim', 'signing', '--domain', t.domain, 'on'], env);

    await startApps(env, ['mx', 'worker', 'webmail'], procs);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    await exchange?.stop();
    await internet?.stop();
    await twilio?.close();
    await dns.stop();
  });

  function chunk(v: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < v.length; i += 255) out.push(v.slice(i, i + 255));
    return out;
  }

  /** mailauth's resolver over the test's DNS table. */
  const resolver = async (name: string, rrtype: string) => {
    const r = dns.txt.get(name.toLowerCase().replace(/\.$/, ''));
    if (rrtype !== 'TXT' || !r || r === 'servfail') throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return r;
  };

  async function inbound(to: string, subject: string, body: string, extraHeaders = '', from = `Pat Partner <${partner}>`): Promise<void> {
    const sender = /<([^>]+)>/.exec(from)![1];
    const raw = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${uniqueLabel('m')}@${sender.split('@')[1]}>\r\n${extraHeaders}\r\n${body}\r\n`;
    const r = await relay({ port: Number(env.MX_SMTP_PORT), from: sender, to: [to], raw, localAddress: '127.0.0.2', tls: 'none' });
    expect(r.response).toMatch(/^250 /);
  }

  async function mirrored(mailboxId: string, folder: string, subject: string): Promise<void> {
    await waitFor(
      async () =>
        (await withDb((db) => db.query(`SELECT 1 FROM mirror_entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = $1 AND e.folder = $2 AND m.subject = $3`, [mailboxId, folder, subject]))).rowCount,
      { what: `"${subject}" indexed in ${folder}`, timeoutMs: 30000 },
    );
  }

  /** The opened message's body as the reader sees it: the plain text, or the sanitized document in its frame. */
  async function messageText(page: Page): Promise<string | null> {
    const card = page.locator('.message').first();
    if (await card.locator('.text-body').count()) return card.locator('.text-body').textContent();
    return page.frameLocator('iframe.html-body').first().locator('body').textContent();
  }

  async function openBySubject(page: Page, subject: string): Promise<void> {
    await page.locator('.rows a', { hasText: subject }).first().click();
    await page.locator('.message').first().waitFor();
  }

  it('signs an employee in with the texted code, shows the mirrored mail, finds by body, replies DKIM-signed from a phone, writes to a colleague, and works in a shared mailbox', async () => {
    const { ann, bob } = t.mailboxes;

    // Before the outage: mail from a partner, a colleague's note, and Ann's own reply relayed by Exchange.
    await inbound(
      ann.address,
      'Quarterly figures',
      `--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Ann,\r\n\r\nthe ${bodyWord} figures are attached as promised.\r\n\r\nPat\r\n--b1\r\nContent-Type: text/csv; name="figures.csv"\r\nContent-Disposition: attachment; filename="figures.csv"\r\n\r\nquarter,revenue\r\nQ3,42\r\n--b1--`,
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n',
    );
    // A sender whose domain publishes SPF and DMARC, from a server it does not list: the reader is warned.
    dns.txt.set(spoofDomain, [['v=spf1 ip4:192.0.2.1 -all']]);
    dns.txt.set(`_dmarc.${spoofDomain}`, [['v=DMARC1; p=none']]);
    await inbound(ann.address, 'Urgent: new bank details', 'Please pay the invoice to the new account today.', '', `Billing <billing@${spoofDomain}>`);
    await inbound(ann.address, 'Visit on Thursday', 'Shall we meet at ten?');
    await inbound(t.mailboxes.info.address, 'Brochure request', 'Please send us your brochure.');
    const sentRaw = `From: Ann Adler <${ann.address}>\r\nTo: ${partner}\r\nSubject: Re: Visit on Thursday\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${uniqueLabel('s')}@${t.domain}>\r\n\r\nTen is fine.\r\n`;
    expect((await relay({ port: Number(env.MX_SMTP_PORT), from: ann.address, to: [partner], raw: sentRaw })).response).toMatch(/^250 /);
    await mirrored(ann.id, 'inbox', 'Quarterly figures');
    await mirrored(ann.id, 'inbox', 'Visit on Thursday');
    await mirrored(ann.id, 'inbox', 'Urgent: new bank details');
    await mirrored(t.mailboxes.info.id, 'inbox', 'Brochure request');
    // Bob's inbox holds more than a page.
    for (let i = 0; i < NEWSLETTERS; i += 5) {
      await Promise.all([0, 1, 2, 3, 4].filter((k) => i + k < NEWSLETTERS).map((k) => inbound(bob.address, `Newsletter ${String(i + k).padStart(2, '0')}`, 'News of the week.')));
    }
    await waitFor(
      async () =>
        (await withDb((db) => db.query(`SELECT count(*)::int AS n FROM mirror_entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = $1 AND m.index_state = 'indexed'`, [bob.id]))).rows[0].n >= NEWSLETTERS,
      { what: "Bob's newsletters indexed", timeoutMs: 60000 },
    );
    await mirrored(ann.id, 'sent', 'Re: Visit on Thursday');

    // Exchange is down: the tenant is switched over and every employee is texted a code.
    await cliOk(['continuity', 'activate', t.slug, '--reason', 'Exchange is down'], env);
    const texts = await waitFor(() => {
      const got = twilio.messages.filter((m) => m.to === mobiles.ann || m.to === mobiles.bob);
      return got.length >= 2 ? got : null;
    }, { what: 'credentials texts', timeoutMs: 30000 });
    const annCode = codeOf(texts.find((m) => m.to === mobiles.ann)!.body);
    const bobCode = codeOf(texts.find((m) => m.to === mobiles.bob)!.body);

    // Ann, at her desk: the code, then a password of her own, then her mailbox.
    const desk = await newPage(browser, 1280, 800);
    const deskSeen = watchPage(desk.page, baseUrl);
    expect((await desk.page.goto(`${baseUrl}/`))!.url()).toMatch(/\/signin/); // no session: the sign-in page
    await signInWithCode(desk.page, baseUrl, ann.address, annCode);
    const inbox = desk.page.locator('.rows');
    await inbox.locator('a', { hasText: 'Quarterly figures' }).waitFor();
    await expect(inbox.locator('a', { hasText: 'Visit on Thursday' }).count()).resolves.toBe(1);
    await expect(desk.page.locator('.brand-name').textContent()).resolves.toBe('Muster GmbH');
    await expect(desk.page.getByTestId('sync-note').textContent()).resolves.toContain('not copied back to Exchange');
    expect(await inbox.locator('li.unread', { hasText: 'Quarterly figures' }).count()).toBe(1);
    await desk.page.screenshot({ path: join(shots, 'webmail-desktop-inbox.png') });
    expect(await a11yProblems(desk.page)).toEqual([]);

    // The keyboard alone: a message in the list opens with Enter and the reader gets the focus.
    await inbox.locator('a', { hasText: 'Visit on Thursday' }).focus();
    await desk.page.keyboard.press('Enter');
    await waitFor(async () => (await desk.page.evaluate('document.activeElement && document.activeElement.id')) === 'reader-heading', { what: 'focus on the opened message' });
    // Opened means read (here only: Exchange keeps its own state); the reader can make it unread again.
    const visitRow = inbox.locator('li', { hasText: 'Visit on Thursday' });
    await waitFor(async () => !(await visitRow.getAttribute('class'))?.includes('unread'), { what: 'the opened message shown as read' });
    await desk.page.getByRole('button', { name: 'Mark unread' }).click();
    await waitFor(async () => (await visitRow.getAttribute('class'))?.includes('unread'), { what: 'the message shown as unread again' });

    // Her reply sent from Exchange before the outage is in Sent.
    await desk.page.locator('.folders a', { hasText: 'Sent' }).first().click();
    await desk.page.locator('.rows a', { hasText: 'Re: Visit on Thursday' }).waitFor();

    // Search by a word of the body.
    await desk.page.locator('#search-input').fill(bodyWord);
    await desk.page.locator('#search-input').press('Enter');
    await desk.page.locator('.list-heading', { hasText: bodyWord }).waitFor();
    const hits = desk.page.locator('.rows a');
    await hits.first().waitFor();
    expect(await hits.count()).toBe(1);
    await expect(hits.first().textContent()).resolves.toContain('Quarterly figures');
    await hits.first().click();
    await desk.page.locator('.message').waitFor();
    await desk.page.screenshot({ path: join(shots, 'webmail-desktop-message.png') });
    expect(await a11yProblems(desk.page)).toEqual([]);
    const [download] = await Promise.all([desk.page.waitForEvent('download'), desk.page.locator('.attachments a', { hasText: 'figures.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('figures.csv');
    expect((await streamText(await download.createReadStream())).replace(/\r\n/g, '\n')).toContain('Q3,42');
    expect(await desk.page.getByTestId('auth-warning').count()).toBe(0);

    // Mail that fails sender verification carries a visible warning.
    await desk.page.locator('.folders a', { hasText: 'Inbox' }).first().click();
    await openBySubject(desk.page, 'Urgent: new bank details');
    await expect(desk.page.getByTestId('auth-warning').textContent()).resolves.toMatch(/failed sender verification/);
    await desk.page.screenshot({ path: join(shots, 'webmail-desktop-warning.png') });

    // A message to a colleague, the address completed from the directory.
    await desk.page.locator('.compose-button').click();
    await desk.page.locator('#compose-to').fill('bob');
    await desk.page.locator('.suggestions [role="option"]', { hasText: bob.address }).click();
    await desk.page.locator('#compose-subject').fill('Lunch today?');
    await desk.page.locator('#compose-body').fill('The canteen is open, shall we?');
    await expect(desk.page.locator('#compose-limit').textContent()).resolves.toMatch(/MB/);
    await desk.page.locator('#compose-files').setInputFiles({ name: 'menu.txt', mimeType: 'text/plain', buffer: Buffer.from('Soup of the day\n') });
    await desk.page.locator('.draft-files li', { hasText: 'menu.txt' }).waitFor();
    await desk.page.screenshot({ path: join(shots, 'webmail-desktop-compose.png') });
    expect(await a11yProblems(desk.page)).toEqual([]);
    await desk.page.locator('.compose-actions button[type="submit"]').click();
    await desk.page.locator('[role="status"]', { hasText: 'Message sent' }).waitFor();

    // The shared mailbox has its own folders; a message written from there is sent as it, and a draft is kept.
    await desk.page.locator('.shared', { hasText: 'Info desk' }).locator('a', { hasText: 'Inbox' }).click();
    await desk.page.locator('.rows a', { hasText: 'Brochure request' }).waitFor();
    await desk.page.locator('.compose-button').click();
    await desk.page.locator('#compose-from').waitFor();
    expect(await desk.page.locator('#compose-from').inputValue()).toBe(t.mailboxes.info.id);
    await desk.page.locator('#compose-subject').fill('Our brochure');
    await desk.page.getByRole('button', { name: 'Save draft' }).click();
    await desk.page.locator('[role="status"]', { hasText: 'Draft saved' }).waitFor();
    await desk.page.getByRole('button', { name: 'Close' }).click();
    await desk.page.locator('.folders a', { hasText: 'Drafts' }).first().click();
    await desk.page.locator('.rows a', { hasText: 'Our brochure' }).waitFor();

    // Ann on her phone: list → message → reply to the partner.
    const phone = await newPage(browser, 390, 844);
    const phoneSeen = watchPage(phone.page, baseUrl);
    await phone.context.addCookies(await desk.context.cookies());
    await phone.page.goto(`${baseUrl}/`);
    await phone.page.locator('.rows a', { hasText: 'Quarterly figures' }).waitFor();
    await phone.page.screenshot({ path: join(shots, 'webmail-phone-inbox.png') });
    // The folders are in a drawer behind the menu button.
    expect(await phone.page.locator('#sidebar').isVisible()).toBe(false);
    await phone.page.getByRole('button', { name: 'Folders and settings' }).click();
    await phone.page.locator('#sidebar a', { hasText: 'Sent' }).first().click();
    await phone.page.locator('.list-heading', { hasText: 'Sent' }).waitFor();
    await phone.page.locator('.rows a', { hasText: 'Re: Visit on Thursday' }).waitFor();
    await phone.page.getByRole('button', { name: 'Folders and settings' }).click();
    await phone.page.locator('#sidebar a', { hasText: 'Inbox' }).first().click();
    await phone.page.locator('.list-heading', { hasText: 'Inbox' }).waitFor();
    await openBySubject(phone.page, 'Visit on Thursday');
    expect(await phone.page.locator('.list-pane').isVisible()).toBe(false); // one pane at a time
    await phone.page.screenshot({ path: join(shots, 'webmail-phone-message.png') });
    expect(await a11yProblems(phone.page)).toEqual([]);
    await phone.page.getByRole('button', { name: 'Reply', exact: true }).first().click();
    const body = phone.page.locator('#compose-body');
    await body.waitFor();
    await expect(phone.page.locator('.chips .chip').first().textContent()).resolves.toContain(partner);
    await body.press('Control+Home');
    await body.pressSequentially('See you at ten, then. ');
    await phone.page.screenshot({ path: join(shots, 'webmail-phone-reply.png') });
    expect(await a11yProblems(phone.page)).toEqual([]);
    await phone.page.locator('.compose-actions button[type="submit"]').click();
    await phone.page.locator('[role="status"]', { hasText: 'Message sent' }).waitFor();

    // The reply reaches the partner's MX, signed for the tenant's domain, and the signature verifies.
    const arrived = await waitFor(async () => (await internet.received()).find((m) => m.rcptTo.includes(partner) && m.raw.toString().includes('See you at ten, then.')), { what: 'the reply at the internet MX', timeoutMs: 30000 });
    const verdict = await dkimVerify(arrived.raw, { resolver: resolver as never });
    expect(verdict.results.map((r: { signingDomain: string; status: { result: string } }) => [r.signingDomain, r.status.result])).toContainEqual([t.domain, 'pass']);
    expect(arrived.raw.toString()).toMatch(/^In-Reply-To: <[^>]+@/m);

    // Bob signs in with his own code and finds Ann's message in his inbox.
    const bobDesk = await newPage(browser, 1280, 800);
    const bobSeen = watchPage(bobDesk.page, baseUrl);
    await signInWithCode(bobDesk.page, baseUrl, bob.address, bobCode);
    await bobDesk.page.locator('.rows a', { hasText: 'Lunch today?' }).waitFor({ timeout: 30000 });
    // A page at a time: the rest follows when the reader scrolls to the end (or presses "Load more").
    expect(await bobDesk.page.locator('.rows li').count()).toBe(50);
    await bobDesk.page.locator('.more button').scrollIntoViewIfNeeded();
    await waitFor(async () => (await bobDesk.page.locator('.rows li').count()) === NEWSLETTERS + 1, { what: 'the second page of the list' });
    expect(await bobDesk.page.locator('.more button').count()).toBe(0);
    await openBySubject(bobDesk.page, 'Lunch today?');
    await waitFor(async () => (await messageText(bobDesk.page))?.includes('The canteen is open'), { what: "the colleague's message body" });
    await bobDesk.page.locator('.attachments a', { hasText: 'menu.txt' }).waitFor();
    // German at the flick of a switch, kept for the next visit.
    await bobDesk.page.locator('#lang-select').selectOption('de');
    await bobDesk.page.locator('.folders a', { hasText: 'Posteingang' }).waitFor();
    await expect(bobDesk.page.getByTestId('sync-note').textContent()).resolves.toContain('nicht nach Exchange');
    await bobDesk.page.screenshot({ path: join(shots, 'webmail-desktop-german.png') });
    await bobDesk.page.reload();
    await bobDesk.page.locator('.folders a', { hasText: 'Posteingang' }).waitFor();
    await bobDesk.page.locator('#lang-select').selectOption('en');
    await bobDesk.page.locator('.folders a', { hasText: 'Inbox' }).waitFor();

    // Deleting moves it to Trash (and says that Exchange keeps its copy).
    await bobDesk.page.getByRole('button', { name: 'Delete', exact: true }).click();
    await bobDesk.page.locator('[role="status"]', { hasText: 'Moved to Trash' }).waitFor();
    expect(await bobDesk.page.locator('.rows a', { hasText: 'Lunch today?' }).count()).toBe(0);
    await bobDesk.page.locator('.folders a', { hasText: 'Trash' }).first().click();
    await bobDesk.page.locator('.rows a', { hasText: 'Lunch today?' }).waitFor();

    // The page itself: our scripts only, no inline script, frames only from us, revalidated on every load.
    const index = await bobDesk.page.request.get(`${baseUrl}/`);
    expect(index.status()).toBe(200);
    const csp = index.headers()['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(index.headers()['cache-control']).toMatch(/no-cache/);
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script[^>]*src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${baseUrl}${script}`);
    expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    for (const bad of ['/assets/..%2F..%2Fpackage.json', '/assets/nope.js']) expect((await fetch(`${baseUrl}${bad}`)).status).toBe(404);

    // Signing out ends the session: the webmail sends the browser back to the sign-in page.
    await bobDesk.page.getByRole('button', { name: 'Sign out' }).click();
    await bobDesk.page.waitForURL(/\/signin/);
    await bobDesk.page.goto(`${baseUrl}/`);
    expect(new URL(bobDesk.page.url()).pathname).toBe('/signin');

    expect(deskSeen).toEqual({ errors: [], dialogs: [] });
    expect(phoneSeen).toEqual({ errors: [], dialogs: [] });
    expect(bobSeen).toEqual({ errors: [], dialogs: [] });
    await desk.context.close();
    await phone.context.close();
    await bobDesk.context.close();
  });
});
