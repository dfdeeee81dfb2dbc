import { dkimSign } from 'mailauth/lib/dkim/sign';
import { AppConfig } from '@app/config';
import { generateDkimKey } from '@app/dkim';
import { createTestTenant, insertTestMessage, TestTenant, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { deliveriesOf, enqueueDelivery, testConfig } from '../delivery/delivery-harness';
import { startWorkerWithDns, TestDns, WorkerWithDns } from '../internet-delivery/internet-harness';

jest.setTimeout(40_000);

/**
 * SPF, DKIM, DMARC and ARC of inbound mail, verified once in the worker with
 * mailauth against the test's DNS: recorded on the message row (which the
 * webmail reads) and prepended as Authentication-Results to the bytes the
 * tenant's Exchange receives.
 */
describe('inbound authentication', () => {
  const dns = new TestDns();
  const label = uniqueLabel('auth');
  const mxHostname = `mx.${label}.test`;
  const senderDomain = `sender-${label}.example`;
  const slowDomain = `slow-${label}.example`;
  const senderIp = '198.51.100.7';
  const key = generateDkimKey('rsa');
  let exchange: StandinUpstream;
  let cfg: AppConfig;
  let worker: WorkerWithDns;

  beforeAll(async () => {
    dns.setTxt(`s1._domainkey.${senderDomain}`, `v=DKIM1; k=rsa; p=${key.publicKey}`);
    dns.setTxt(senderDomain, `v=spf1 ip4:${senderIp} -all`);
    dns.setTxt(`_dmarc.${senderDomain}`, 'v=DMARC1; p=reject');
    // A domain whose DNS never answers.
    dns.hanging.add(slowDomain);
    dns.hanging.add(`_dmarc.${slowDomain}`);
    exchange = await startStandinUpstream({ hostname: 'exchange.test' });
    cfg = testConfig({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:auth`, MX_HOSTNAME: mxHostname, AUTH_VERIFY_TIMEOUT_MS: '2000' });
    worker = await startWorkerWithDns(cfg, dns);
  });

  afterAll(async () => {
    await worker?.stop();
    await exchange?.stop();
  });

  async function tenant(): Promise<TestTenant> {
    return createTestTenant({ mailboxes: ['ann'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
  }

  function message(t: TestTenant, from: string, subject: string): string {
    return `Received: from mail.${senderDomain} ([${senderIp}]) by ${mxHostname} with ESMTP id Q1; Tue, 25 Nov 2025 10:00:00 +0000\r\nFrom: <${from}>\r\nTo: <${t.mailboxes.ann.address}>\r\nSubject: ${subject}\r\nDate: Tue, 25 Nov 2025 10:00:00 +0000\r\nMessage-ID: <${uniqueLabel('m')}@${senderDomain}>\r\n\r\nHello ${subject}.\r\n`;
  }

  async function sign(raw: string, privateKey: string): Promise<string> {
    // A fixed signTime: mailauth otherwise reads the clock twice (see libs/dkim/src/dkim-signer.ts).
    const r = await dkimSign(raw, { signTime: new Date(), signingDomain: senderDomain, selector: 's1', privateKey, signatureData: [{ signingDomain: senderDomain, selector: 's1', privateKey, canonicalization: 'relaxed/relaxed' }] });
    expect(r.signatures).toMatch(/^DKIM-Signature: /);
    return r.signatures + raw;
  }

  /** Stores the message as the MX would (with the client's address and HELO) and delivers it to the tenant's Exchange. */
  async function deliverInbound(t: TestTenant, raw: string, envelopeFrom: string, clientAddress: string, helo: string) {
    const m = await insertTestMessage(t, { raw, mailFrom: envelopeFrom, recipients: [t.mailboxes.ann.address] });
    await withDb((db) => db.query(`UPDATE messages SET client_address = $2, client_helo = $3 WHERE id = $1`, [m.messageId, clientAddress, helo]));
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: 'delivery to the Exchange' });
    const row = await withDb(async (db) => (await db.query(`SELECT auth_results, auth_summary FROM messages WHERE id = $1`, [m.messageId])).rows[0]);
    const got = (await exchange.received()).find((x) => x.raw.includes(m.queueId) || x.raw.toString().includes(raw.slice(-60)));
    if (!got) throw new Error('not at the Exchange');
    return { row, got, m };
  }

  function splitPrepended(delivered: Buffer, stored: string): string {
    const tail = delivered.subarray(delivered.length - Buffer.byteLength(stored));
    expect(tail.toString()).toBe(stored);
    return delivered.subarray(0, delivered.length - Buffer.byteLength(stored)).toString();
  }

  it('passes a genuine message: dkim, spf and dmarc pass, on the row and in the prepended header', async () => {
    const t = await tenant();
    const raw = await sign(message(t, `news@${senderDomain}`, 'genuine'), key.privateKeyPem);
    const { row, got } = await deliverInbound(t, raw, `bounces@${senderDomain}`, senderIp, `mail.${senderDomain}`);
    expect(row.auth_summary).toMatchObject({ spf: 'pass', dkim: 'pass', dmarc: 'pass', arc: 'none', fromDomain: senderDomain, dkimDomains: [senderDomain], action: 'deliver' });
    const prepended = splitPrepended(got.raw, raw);
    expect(prepended).toBe(row.auth_results);
    expect(prepended).toMatch(new RegExp(`^Authentication-Results: ${mxHostname.replace(/\./g, '\\.')};\\r\\n`));
    expect(prepended).toMatch(/dkim=pass header\.i=@sender-/);
    expect(prepended).toMatch(/spf=pass .*smtp\.mailfrom=bounces@sender-/);
    expect(prepended).toMatch(/dmarc=pass/);
  });

  it('records a forged sender: dkim=fail and dmarc=fail under the domain’s reject policy, still delivered by default', async () => {
    const t = await tenant();
    const attacker = generateDkimKey('rsa');
    const raw = await sign(message(t, `ceo@${senderDomain}`, 'wire the money'), attacker.privateKeyPem);
    const { row, got } = await deliverInbound(t, raw, `ceo@${senderDomain}`, '203.0.113.9', 'evil.test');
    expect(row.auth_summary).toMatchObject({ spf: 'fail', dkim: 'fail', dmarc: 'fail', dmarcPolicy: 'reject', action: 'deliver', dkimDomains: [] });
    const prepended = splitPrepended(got.raw, raw);
    expect(prepended).toMatch(/dkim=fail/);
    expect(prepended).toMatch(/dmarc=fail/);
  });

  it('marks the DMARC failure for tenants that chose to reject such mail', async () => {
    const t = await tenant();
    await withDb((db) => db.query(`UPDATE tenants SET reject_on_dmarc_fail = true WHERE id = $1`, [t.id]));
    const raw = message(t, `ceo@${senderDomain}`, 'unsigned forgery');
    const { row } = await deliverInbound(t, raw, `ceo@${senderDomain}`, '203.0.113.9', 'evil.test');
    expect(row.auth_summary).toMatchObject({ dkim: 'none', dmarc: 'fail', action: 'flagged-reject' });
  });

  it('does not let DNS that never answers hold the message: temperror is recorded and the mail delivered', async () => {
    const t = await tenant();
    const raw = message(t, `someone@${slowDomain}`, 'slow dns');
    const started = Date.now();
    const { row, got } = await deliverInbound(t, raw, `someone@${slowDomain}`, senderIp, `mail.${slowDomain}`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(row.auth_summary).toMatchObject({ spf: 'temperror', dmarc: 'temperror' });
    expect(splitPrepended(got.raw, raw)).toMatch(/temperror/);
  });
});
