import { readdirSync, readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { createTestTenant, TestTenant, waitFor, withDb } from '../../support/factories';
import type { AppProcess } from '../../support/processes';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';
import { relay } from '../../integration/outbound/outbound-harness';
import { baseEnv, cliOk, codeOf, launchChromium, newPage, PASSWORD, ROOT, signInWithCode, startApps, watchPage } from './webmail-harness';

jest.setTimeout(300_000);

const CORPUS = join(ROOT, 'test', 'fixtures', 'hostile');

interface Trap {
  port: number;
  /** Every HTTP request that reached the trap: method, path and what it asked for. */
  requests: Array<{ path: string; accept: string }>;
  /** Every TCP connection, including TLS handshakes of https:// URLs that never become HTTP. */
  connections: number;
  close(): Promise<void>;
}

/** A local server that evil.invalid resolves to in the browser: anything reaching it is a leak. */
async function startTrap(): Promise<Trap> {
  const trap = { requests: [] as Trap['requests'], connections: 0 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    trap.requests.push({ path: req.url ?? '', accept: String(req.headers.accept ?? '') });
    if (/\.(png|gif|jpe?g)$/.test(req.url ?? '')) {
      res.writeHead(200, { 'Content-Type': 'image/gif' });
      res.end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end('window.__pwned && window.__pwned("trap-script")');
    }
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    trap.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    ...trap,
    get requests() {
      return trap.requests;
    },
    get connections() {
      return trap.connections;
    },
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Opens a place in the app the way its links do (the fragment). */
async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = h;
  }, hash);
}

/**
 * The hostile-mail corpus in a real browser: every message is opened in the webmail
 * and nothing in it runs — no dialog, no call of the page's trap function, no change
 * of the page's title or globals, no error of our own page — and nothing is fetched
 * from anywhere but the webmail until the reader asks for images; after that, only
 * images load, and still no script.
 */
describe('hostile mail in the webmail', () => {
  const procs: Record<string, AppProcess> = {};
  let twilio: TwilioStandin;
  let trap: Trap;
  let browser: Browser;
  let env: Record<string, string>;
  let baseUrl: string;
  let t: TestTenant;
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort();
  const mobile = '+4915112349999';

  beforeAll(async () => {
    trap = await startTrap();
    twilio = await startTwilioStandin({ host: '127.0.0.1', port: 0, autoDeliver: false });
    env = {
      ...(await baseEnv('webmail-hostile')),
      ...twilioDriverEnv(twilio),
    };
    baseUrl = `http://127.0.0.1:${env.WEBMAIL_HTTP_PORT}`;
    env.PUBLIC_WEBMAIL_URL = baseUrl;
    t = await createTestTenant({ mailboxes: ['erika'] });
    await withDb((db) => db.query(`UPDATE mailboxes SET mobile_e164 = $2 WHERE id = $1`, [t.mailboxes.erika.id, mobile]));
    await withDb((db) => db.query(`UPDATE tenants SET continuity_policy = 'manual' WHERE id = $1`, [t.id]));
    await startApps(env, ['mx', 'worker', 'webmail'], procs);
    // Every name under evil.invalid leads to the trap (https:// too: the trap counts the connection).
    browser = await launchChromium([`--host-resolver-rules=MAP evil.invalid 127.0.0.1:${trap.port}, MAP *.evil.invalid 127.0.0.1:${trap.port}`]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    await twilio?.close();
    await trap?.close();
  });

  /** The page's own canaries: a trap function the payloads try to call, and the title they try to change. */
  async function arm(page: Page, calls: string[]): Promise<void> {
    await page.exposeFunction('__pwned', (what: unknown) => calls.push(String(what)));
  }

  it('the detectors work: a page that is not sandboxed does call the trap, fetch from evil.invalid and open a dialog', async () => {
    const { context, page } = await newPage(browser, 800, 600);
    const calls: string[] = [];
    await arm(page, calls);
    const seen = watchPage(page, 'http://control.invalid');
    const before = trap.requests.length;
    await page.setContent(`<img src="http://evil.invalid/control.png"><script>window.__pwned('control'); alert('control')</script>`);
    await waitFor(() => calls.includes('control') && trap.requests.length > before && seen.dialogs.length > 0, { what: 'the control payload to be seen' });
    await context.close();
  });

  it('runs none of the corpus and loads nothing remote until images are allowed, then only images', async () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    const trapBefore = { requests: trap.requests.length, connections: trap.connections }; // the control test's own visit
    const trapRequests = () => trap.requests.slice(trapBefore.requests);
    const erika = t.mailboxes.erika;
    for (const f of files) {
      const raw = readFileSync(join(CORPUS, f));
      const r = await relay({ port: Number(env.MX_SMTP_PORT), from: 'mallory@evil.invalid', to: [erika.address], raw, localAddress: '127.0.0.2', tls: 'none' });
      expect(r.response).toMatch(/^250 /);
    }
    const entries = await waitFor(async () => {
      const rows = (
        await withDb((db) =>
          db.query(
            `SELECT e.id, m.message_id_header FROM mirror_entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = $1 AND e.folder = 'inbox' AND m.index_state <> 'pending'`,
            [erika.id],
          ),
        )
      ).rows as Array<{ id: string; message_id_header: string | null }>;
      return rows.length === files.length ? rows : null;
    }, { what: 'the corpus indexed', timeoutMs: 60000 });

    await cliOk(['continuity', 'activate', t.slug, '--reason', 'hostile mail test'], env);
    const text = await waitFor(() => twilio.messages.find((m) => m.to === mobile), { what: 'the credentials text', timeoutMs: 30000 });

    const { context, page } = await newPage(browser, 1280, 900);
    const calls: string[] = [];
    await arm(page, calls);
    const seen = watchPage(page, baseUrl);
    const foreign: Request[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(`${baseUrl}/`) && !req.url().startsWith('data:')) foreign.push(req);
    });
    await signInWithCode(page, baseUrl, erika.address, codeOf(text.body));
    const title = await page.title();
    // Subjects, names and snippets are text: nothing in the list is markup that came with the mail.
    await page.locator('.rows a').nth(files.length - 1).waitFor();
    expect(await page.locator('.list script, .list img, .list iframe, .list object, .list a:not([data-entry-id])').count()).toBe(0);

    // Each message opened the way a reader opens it: from the list.
    for (const e of entries) {
      await go(page, `#/mb/${erika.id}/inbox/open/${erika.id}/-/${e.id}`);
      const card = page.locator(`.message[data-entry-id="${e.id}"]`);
      await card.waitFor();
      const frame = card.locator('iframe.html-body');
      if (await frame.count()) {
        // Never scripts; same origin only so the page can measure the frame (see MAIL_FRAME_SANDBOX).
        expect(await frame.getAttribute('sandbox')).toBe('allow-same-origin allow-popups allow-popups-to-escape-sandbox');
        const handle = await frame.elementHandle();
        const content = await handle!.contentFrame();
        await content!.waitForLoadState('load');
      }
    }
    await page.waitForLoadState('networkidle');
    expect(calls).toEqual([]);
    expect(seen).toEqual({ errors: [], dialogs: [] });
    expect(await page.title()).toBe(title);
    expect(await page.evaluate(() => Object.keys(globalThis).filter((k) => /pwn|evil|xss/i.test(k) && k !== '__pwned'))).toEqual([]);
    expect(foreign.map((r) => r.url())).toEqual([]);
    expect(trapRequests()).toEqual([]);
    expect(trap.connections).toBe(trapBefore.connections);

    // The reader asks for the images of the message that has remote ones: only images load.
    const withImages = page.locator('.images-bar button');
    const remote = entries.find((e) => /remote-images/.test(e.message_id_header ?? ''));
    expect(remote).toBeDefined();
    await go(page, `#/mb/${erika.id}/inbox/open/${erika.id}/-/${remote!.id}`);
    await page.locator(`.message[data-entry-id="${remote!.id}"]`).waitFor();
    await withImages.click();
    await waitFor(() => trapRequests().length > 0, { what: 'remote images to load after the click' });
    await page.waitForLoadState('networkidle');
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.filter((r) => r.resourceType() !== 'image').map((r) => `${r.resourceType()} ${r.url()}`)).toEqual([]);
    expect(trapRequests().filter((r) => !r.accept.startsWith('image/')).map((r) => r.path)).toEqual([]);
    expect(calls).toEqual([]);
    expect(seen).toEqual({ errors: [], dialogs: [] });
    expect(await page.title()).toBe(title);
    await context.close();
  });

  /** The frame's height and whether its document fits it without scrolling, as the browser lays them out. */
  async function frameFit(page: Page): Promise<{ frame: number; content: number; scrolls: boolean }> {
    return page.evaluate(`(() => {
      const f = document.querySelector('iframe.html-body');
      const root = f.contentDocument.documentElement;
      return { frame: f.clientHeight, content: Math.ceil(f.contentDocument.body.getBoundingClientRect().bottom), scrolls: root.scrollHeight > root.clientHeight + 1 };
    })()`);
  }

  it('makes the message frame as tall as its content, on a desk and on a phone, and again when images are allowed', async () => {
    const erika = t.mailboxes.erika;
    const paragraphs = Array.from({ length: 30 }, (_, i) => `<p>Paragraph ${i + 1}: the quarterly figures and the plans for the next quarter, written out at length so that lines wrap on a narrow screen.</p>`).join('');
    const raw = [
      'From: Pat <pat@partner.example>',
      `To: ${erika.address}`,
      'Subject: Long HTML letter',
      'Message-ID: <long-html@partner.example>',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<html><body><h1>Report</h1>${paragraphs}<img src="http://evil.invalid/tall.png" width="300" height="600" alt="chart"><p>The end.</p></body></html>`,
      '',
    ].join('\r\n');
    expect((await relay({ port: Number(env.MX_SMTP_PORT), from: 'pat@partner.example', to: [erika.address], raw: Buffer.from(raw), localAddress: '127.0.0.2', tls: 'none' })).response).toMatch(/^250 /);
    const entry = await waitFor(async () => {
      const r = await withDb((db) => db.query(`SELECT e.id FROM mirror_entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = $1 AND m.message_id_header = '<long-html@partner.example>' AND m.index_state = 'indexed'`, [erika.id]));
      return r.rows[0]?.id as string | undefined;
    }, { what: 'the long letter indexed', timeoutMs: 60000 });

    const { context, page } = await newPage(browser, 1280, 900);
    const calls: string[] = [];
    await arm(page, calls);
    const seen = watchPage(page, baseUrl);
    // The first test's session went with its browser context: the password chosen there signs in again.
    await page.goto(`${baseUrl}/signin`);
    const form = page.locator('form[action="/signin/password"]');
    await form.locator('input[name="address"]').fill(erika.address);
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.locator('.list .rows a').first().waitFor();
    const trapBefore = trap.requests.length;
    await go(page, `#/mb/${erika.id}/inbox/open/${erika.id}/-/${entry}`);
    await page.locator(`.message[data-entry-id="${entry}"] iframe.html-body`).waitFor();

    // Desk: taller than the old fixed frame, fitting the document without a scrollbar and without much room to spare.
    const desk = await waitFor(async () => {
      const f = await frameFit(page);
      return !f.scrolls && f.frame > 900 && f.frame - f.content < 40 ? f : null;
    }, { what: 'the frame fitted to its content on a desk' });
    // Phone: the lines wrap, the document grows, and the frame follows.
    await page.setViewportSize({ width: 390, height: 844 });
    const phone = await waitFor(async () => {
      const f = await frameFit(page);
      return !f.scrolls && f.frame > desk.frame && f.frame - f.content < 40 ? f : null;
    }, { what: 'the frame fitted to its content at 390 px' });
    expect(await page.evaluate(`document.querySelector('iframe.html-body').getBoundingClientRect().right`)).toBeLessThanOrEqual(390);
    expect(await page.evaluate(`document.documentElement.scrollWidth`)).toBeLessThanOrEqual(390);
    // Remote images still wait for the reader; once allowed, the frame is fitted to the document with them.
    expect(trap.requests.length).toBe(trapBefore);
    await page.locator('.images-bar button').click();
    await waitFor(() => trap.requests.length > trapBefore, { what: 'the remote image after the click' });
    await waitFor(async () => {
      const f = await frameFit(page);
      return !f.scrolls && f.frame - f.content < 40 && f.frame > phone.frame - 200 ? f : null;
    }, { what: 'the frame fitted again with the images' });
    expect(calls).toEqual([]);
    expect(seen).toEqual({ errors: [], dialogs: [] });
    await context.close();
  });
});
