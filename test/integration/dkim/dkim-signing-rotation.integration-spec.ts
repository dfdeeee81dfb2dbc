import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { AppConfig } from '@app/config';
import { createTestTenant, insertTestMessage, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { deliveriesOf, enqueueDelivery, testConfig } from '../delivery/delivery-harness';
import { publishAndActivate, startWorkerWithDns, TestDns, WorkerWithDns } from '../internet-delivery/internet-harness';

jest.setTimeout(40_000);

const OVERLAP_SECONDS = 3600;

/**
 * Outbound mail of a tenant that asked us to sign: it reaches a stand-in
 * internet MX DKIM-signed (RSA and Ed25519), and mail sent before, during and
 * after a key rotation verifies with mailauth against the DNS records that
 * were published when it was sent.
 */
describe('DKIM signing and key rotation', () => {
  const dns = new TestDns();
  const dest = `${uniqueLabel('dest')}.example`;
  let internetMx: StandinUpstream;
  let cfg: AppConfig;
  let worker: WorkerWithDns;
  let t: TestTenant;

  beforeAll(async () => {
    internetMx = await startStandinUpstream({ hostname: 'internet-mx.test' });
    cfg = testConfig({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:dkim`, STATIC_ROUTES: `${dest}=127.0.0.1:${internetMx.port}`, DKIM_ROTATION_OVERLAP_SECONDS: String(OVERLAP_SECONDS) });
    worker = await startWorkerWithDns(cfg, dns);
    t = await createTestTenant({ mailboxes: ['ann'] });
  });

  afterAll(async () => {
    await worker?.stop();
    await internetMx?.stop();
  });

  /** Sends one outbound message and returns what arrived, with the DNS as it was at that moment. */
  async function send(subject: string): Promise<{ raw: Buffer; dnsThen: TestDns }> {
    const from = t.mailboxes.ann.address;
    const rcpt = `${uniqueLabel('r')}@${dest}`;
    const raw = `From: Ann <${from}>\r\nTo: <${rcpt}>\r\nSubject: ${subject}\r\nDate: Tue, 25 Nov 2025 10:00:00 +0000\r\nMessage-ID: <${uniqueLabel('m')}@${t.domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from ${subject}.\r\n`;
    const m = await insertTestMessage(t, { raw, mailFrom: from, recipients: [rcpt], direction: 'outbound', routeKind: 'internet' });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: `delivery of "${subject}"` });
    const got = (await internetMx.received()).find((x) => x.rcptTo.includes(rcpt));
    if (!got) throw new Error('message not at the stand-in');
    // Prepend only: the signatures, then the bytes the tenant sent.
    expect(got.raw.subarray(-raw.length).toString()).toBe(raw);
    return { raw: got.raw, dnsThen: dns.snapshot() };
  }

  async function verify(raw: Buffer, against: TestDns): Promise<[string, string][]> {
    const r = await dkimVerify(raw, { resolver: against.resolver as never });
    return r.results.map((x) => [`${x.selector}/${x.signingDomain}`, x.status.result] as [string, string]).sort();
  }

  async function selectors(state: string): Promise<string[]> {
    return (await worker.keys.keys(t.domain, true)).filter((k) => k.state === state).map((k) => `${k.selector}/${t.domain}`).sort();
  }

  it('signs only when the tenant asked for it, then with every active key', async () => {
    await worker.keys.createKey({ domain: t.domain });
    await worker.keys.createKey({ domain: t.domain, algorithm: 'ed25519' });
    // Keys are pending until their records are seen: nothing signs yet.
    expect(await selectors('pending')).toHaveLength(2);
    await publishAndActivate(dns, worker.keys, t.domain);
    const active = await selectors('active');
    expect(active).toHaveLength(2);

    const unsigned = await send('not asked to sign');
    expect((await verify(unsigned.raw, unsigned.dnsThen)).map(([, result]) => result)).toEqual(['none']);
    expect(unsigned.raw.toString()).not.toMatch(/^DKIM-Signature:/im);

    await worker.keys.setSignOutbound(t.domain, true);
    const signed = await send('signed');
    expect(signed.raw.toString()).toMatch(/a=rsa-sha256/);
    expect(signed.raw.toString()).toMatch(/a=ed25519-sha256/);
    expect(await verify(signed.raw, signed.dnsThen)).toEqual(active.map((s) => [s, 'pass']));
  });

  it('verifies mail signed before, during and after a rotation against the records published at the time', async () => {
    const old = await selectors('active');
    const before = await send('before the rotation');
    expect(await verify(before.raw, before.dnsThen)).toEqual(old.map((s) => [s, 'pass']));

    // Rotation starts: successors are pending, not yet in DNS; the old keys keep signing.
    const next = (await worker.keys.rotate(t.domain)).map((k) => `${k.selector}/${t.domain}`).sort();
    expect(next).toHaveLength(2);
    const pendingPhase = await send('rotation pending');
    expect(await verify(pendingPhase.raw, pendingPhase.dnsThen)).toEqual(old.map((s) => [s, 'pass']));

    // The tenant publishes the new records; the check sees them: new keys sign, old ones stay published (retiring).
    await publishAndActivate(dns, worker.keys, t.domain);
    expect(await selectors('active')).toEqual(next);
    expect(await selectors('retiring')).toEqual(old);
    const during = await send('during the overlap');
    expect(await verify(during.raw, during.dnsThen)).toEqual(next.map((s) => [s, 'pass']));
    // Mail signed before the switch still verifies during the overlap.
    expect(await verify(before.raw, during.dnsThen)).toEqual(old.map((s) => [s, 'pass']));

    // After the overlap the old keys are retired and their records removed.
    const r = await worker.keys.check(t.domain, new Date(Date.now() + (OVERLAP_SECONDS + 60) * 1000));
    expect(r.steps.filter((s) => s.kind === 'retire')).toHaveLength(2);
    expect(await selectors('retired')).toEqual(old);
    for (const k of await worker.keys.keys(t.domain, true)) if (k.state === 'retired') dns.removeTxt(k.record.name);
    const after = await send('after the rotation');
    expect(await verify(after.raw, after.dnsThen)).toEqual(next.map((s) => [s, 'pass']));
    // Each message verified against the DNS of its own time; the old signature no longer finds its key now.
    expect((await verify(before.raw, after.dnsThen)).every(([, result]) => result !== 'pass')).toBe(true);
  });

  it('stores private keys encrypted, never in the clear', async () => {
    const rows = await withDb(async (db) => (await db.query(`SELECT private_key_enc FROM dkim_keys WHERE domain = $1`, [t.domain])).rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.private_key_enc).toMatch(/^v1\./);
      expect(r.private_key_enc).not.toContain('PRIVATE KEY');
    }
  });
});
