import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../support/factories';
import { startTestWebmail, TestWebmail } from '../../support/webmail';
import { Browser, credentialUsed, issueCode, json, setPractice } from './harness';

jest.setTimeout(60_000);

const MAX = 3;

/** What a client can tell apart in an answer: status, the headers that carry meaning, and the body. */
interface Answer {
  status: number;
  headers: Record<string, string | null>;
  cookieNames: string[];
  body: string;
}

const MEANINGFUL_HEADERS = ['content-type', 'location', 'cache-control', 'pragma', 'referrer-policy', 'x-robots-tag', 'content-security-policy', 'retry-after', 'www-authenticate'];

async function answerOf(res: Response, address: string, csrf = ''): Promise<Answer> {
  let body = await res.text();
  // The page echoes the typed address and carries the browser's own form token: the rest must be the same.
  body = body.split(address).join('<address>');
  if (csrf) body = body.split(csrf).join('<csrf>');
  return {
    status: res.status,
    headers: Object.fromEntries(MEANINGFUL_HEADERS.map((h) => [h, res.headers.get(h)])),
    cookieNames: res.headers.getSetCookie().map((c) => c.split('=')[0]).sort(),
    body,
  };
}

/**
 * Regression: the code sign-in answer differed when an address had a live
 * code (a wrong guess said how many tries were left, an expired code said
 * "expired", a locked one answered 429), so anyone could learn that an
 * address exists and that its tenant is in an outage. Now every code that
 * does not sign in gets the same answer, over JSON and as a page; a wrong
 * guess at a live code still counts against it.
 */
describe('code sign-in answers the same for every code that does not sign in', () => {
  let webmail: TestWebmail;
  let tenant: TestTenant;
  const locals = ['nocode', 'expired', 'used', 'superseded', 'live', 'locked', 'page'];

  beforeAll(async () => {
    webmail = await startTestWebmail({ CREDENTIAL_MAX_ATTEMPTS: String(MAX) });
    tenant = await createTestTenant({ mailboxes: locals });
    await setPractice(tenant.id, true);
  });

  afterAll(async () => {
    await webmail?.stop();
  });

  const attemptsOf = (id: string) => withDb(async (db) => (await db.query(`SELECT attempts FROM credentials WHERE id = $1`, [id])).rows[0].attempts as number);
  const other = (code: string) => (code === '00000000' ? '11111111' : '00000000');

  /** Every way a code can fail to sign in, as [what, address, code to send]. */
  async function failingCases(): Promise<Array<{ what: string; address: string; code: string; credentialId?: string }>> {
    const mb = tenant.mailboxes;
    const expired = await issueCode(webmail, tenant.id, mb.expired.id);
    await withDb((db) => db.query(`UPDATE credentials SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]));
    const used = await issueCode(webmail, tenant.id, mb.used.id);
    expect((await json(webmail, '/signin/code', { address: mb.used.address, code: used.code })).status).toBe(200);
    const old = await issueCode(webmail, tenant.id, mb.superseded.id);
    await issueCode(webmail, tenant.id, mb.superseded.id);
    const live = await issueCode(webmail, tenant.id, mb.live.id);
    const locked = await issueCode(webmail, tenant.id, mb.locked.id);
    await withDb((db) => db.query(`UPDATE credentials SET attempts = $2 WHERE id = $1`, [locked.id, MAX]));
    return [
      { what: 'unknown address', address: `nobody-${uniqueLabel()}@${tenant.domain}`, code: '12345678' },
      { what: 'address of a domain nobody has', address: `someone@${uniqueLabel('nowhere')}.example`, code: '12345678' },
      { what: 'known address, no code ever sent', address: mb.nocode.address, code: '12345678' },
      { what: 'expired code, sent as it was', address: mb.expired.address, code: expired.code },
      { what: 'expired code, a wrong guess', address: mb.expired.address, code: other(expired.code) },
      { what: 'used code, sent again', address: mb.used.address, code: used.code },
      { what: 'superseded code, sent as it was', address: mb.superseded.address, code: old.code },
      { what: 'live code, a wrong guess', address: mb.live.address, code: other(live.code), credentialId: live.id },
      { what: 'locked code, sent as it was', address: mb.locked.address, code: locked.code },
    ];
  }

  it('over JSON: the same status and body whether the address is unknown, has no code, an expired, used, superseded or locked one, or a live one', async () => {
    const cases = await failingCases();
    const answers: Array<[string, Answer]> = [];
    for (const c of cases) answers.push([c.what, await answerOf(await json(webmail, '/signin/code', { address: c.address, code: c.code }), c.address)]);
    const [, first] = answers[0];
    expect(first.status).toBe(401);
    expect(JSON.parse(first.body)).toEqual({ statusCode: 401, code: 'credential_invalid', message: 'the address or the code is not right, or the code is no longer valid; ask for a new code' });
    for (const [what, a] of answers) expect({ what, ...a }).toEqual({ what, ...first });
  });

  it('as a page: the same status, headers and page for every case', async () => {
    const cases = await failingCases();
    const pages: Array<[string, Answer]> = [];
    for (const c of cases) {
      const b = new Browser(webmail);
      await b.get('/signin');
      const csrf = b.csrf;
      const r = await fetch(`${webmail.baseUrl}/signin/code`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', 'Accept-Language': 'en', Cookie: b.cookie },
        body: new URLSearchParams({ address: c.address, code: c.code, _csrf: csrf }).toString(),
        redirect: 'manual',
      });
      pages.push([c.what, await answerOf(r, c.address, csrf)]);
    }
    const [, first] = pages[0];
    expect(first.status).toBe(401);
    expect(first.body).toContain('The address or the code is not right, or the code is no longer valid.');
    expect(first.body).toContain('value="<address>"');
    for (const [what, p] of pages) expect({ what, ...p }).toEqual({ what, ...first });
  });

  it('still counts a wrong guess against a live code, locks it after the maximum, and lets the right code in before that', async () => {
    const mb = tenant.mailboxes.page;
    const c = await issueCode(webmail, tenant.id, mb.id);
    expect(await attemptsOf(c.id)).toBe(0);
    await json(webmail, '/signin/code', { address: mb.address, code: other(c.code) });
    expect(await attemptsOf(c.id)).toBe(1);
    for (let i = 1; i < MAX; i++) await json(webmail, '/signin/code', { address: mb.address, code: other(c.code) });
    expect(await attemptsOf(c.id)).toBe(MAX);
    // Locked: the right code is refused like any other, and the credential stays unused.
    const refused = await json(webmail, '/signin/code', { address: mb.address, code: c.code });
    expect(refused.status).toBe(401);
    expect(await credentialUsed(c.id)).toBe(false);
    expect(await attemptsOf(c.id)).toBe(MAX);

    const fresh = await issueCode(webmail, tenant.id, mb.id);
    await json(webmail, '/signin/code', { address: mb.address, code: other(fresh.code) });
    const ok = await json(webmail, '/signin/code', { address: mb.address, code: fresh.code });
    expect(ok.status).toBe(200);
    expect(await credentialUsed(fresh.id)).toBe(true);
    expect(await attemptsOf(fresh.id)).toBe(2);
  });

  it('"send me a new code" answers the same page for a known and an unknown address', async () => {
    const known = tenant.mailboxes.nocode.address;
    const unknown = `nobody-${uniqueLabel()}@${tenant.domain}`;
    const pages: Answer[] = [];
    for (const address of [known, unknown]) {
      const b = new Browser(webmail);
      await b.get('/signin');
      const r = await fetch(`${webmail.baseUrl}/signin/request`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', 'Accept-Language': 'en', Cookie: b.cookie },
        body: new URLSearchParams({ address, _csrf: b.csrf }).toString(),
        redirect: 'manual',
      });
      pages.push(await answerOf(r, address, b.csrf));
    }
    expect(pages[0].status).toBe(202);
    expect(pages[1]).toEqual(pages[0]);
  });
});
