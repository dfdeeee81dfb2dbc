import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { AppConfig } from '@app/config';
import { createTestTenant, insertTestMessage, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { deliveriesOf, dsnMessagesOf, dsnParts, enqueueDelivery, testConfig } from '../delivery/delivery-harness';
import { publishAndActivate, startWorkerWithDns, TestDns, WorkerWithDns } from './internet-harness';

jest.setTimeout(30_000);

/**
 * Delivery to the internet as a real MTA does it: MX preference with failover,
 * null MX, greylisting, MTA-STS, and DSNs signed with the service's own key.
 * MX hosts are IP literals on loopback (127.0.0.2 has nobody listening), all
 * on INTERNET_SMTP_PORT, where the stand-in internet MX listens.
 */
describe('delivery to the internet', () => {
  const dns = new TestDns();
  const label = uniqueLabel('inet');
  const mxHostname = `mx.${label}.test`;
  let internetMx: StandinUpstream;
  let greylister: StandinUpstream;
  let exchange: StandinUpstream;
  let cfg: AppConfig;
  let worker: WorkerWithDns;

  beforeAll(async () => {
    internetMx = await startStandinUpstream({ hostname: 'internet-mx.test' });
    greylister = await startStandinUpstream({ hostname: 'greylister.test', greylistFirstAttempt: true });
    exchange = await startStandinUpstream({ hostname: 'exchange.test' });
    cfg = testConfig({
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:inet`,
      MX_HOSTNAME: mxHostname,
      INTERNET_SMTP_PORT: String(internetMx.port),
      STATIC_ROUTES: `grey-${label}.example=127.0.0.1:${greylister.port}`,
      // A backoff far beyond the test's patience: only the greylist rule can bring the retry back in time.
      RETRY_BASE_SECONDS: '600',
      RETRY_MAX_SECONDS: '3600',
      GREYLIST_RETRY_SECONDS: '1',
    });
    worker = await startWorkerWithDns(cfg, dns);
    // The service's own key signs the DSNs it writes (From: MAILER-DAEMON@MX_HOSTNAME).
    await worker.keys.createKey({ domain: mxHostname, service: true });
    await publishAndActivate(dns, worker.keys, mxHostname);
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.all([internetMx?.stop(), greylister?.stop(), exchange?.stop()]);
  });

  async function outbound(rcpt: string, subject: string) {
    const t = await createTestTenant({ mailboxes: ['ann'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    const from = t.mailboxes.ann.address;
    const raw = `From: Ann <${from}>\r\nTo: <${rcpt}>\r\nSubject: ${subject}\r\nMessage-ID: <${uniqueLabel('m')}@${t.domain}>\r\n\r\nHello.\r\n`;
    const m = await insertTestMessage(t, { raw, mailFrom: from, recipients: [rcpt], direction: 'outbound', routeKind: 'internet' });
    await enqueueDelivery(cfg, m.messageId, t.id);
    return { t, m, from };
  }

  it('fails over to the second MX host when the preferred one is down', async () => {
    const domain = `two-mx-${label}.example`;
    dns.mx.set(domain, { kind: 'mx', records: [{ exchange: '127.0.0.1', priority: 20 }, { exchange: '127.0.0.2', priority: 10 }] });
    const rcpt = `bob@${domain}`;
    const { m } = await outbound(rcpt, 'two MX');
    const row = await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.state === 'delivered'), { what: 'delivery through the second MX' });
    expect(row).toMatchObject({ attempts: 1, last_route: `127.0.0.1:${internetMx.port}` });
    expect((await internetMx.received()).filter((x) => x.rcptTo.includes(rcpt))).toHaveLength(1);
  });

  it('bounces a null-MX domain at once, with a DSN that our own key signs', async () => {
    const domain = `null-mx-${label}.example`;
    dns.mx.set(domain, { kind: 'mx', records: [{ exchange: '', priority: 0 }] });
    const { t, m, from } = await outbound(`nobody@${domain}`, 'null MX');
    const row = await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.state === 'bounced'), { what: 'bounce' });
    expect(row.attempts).toBe(1);
    expect(row.last_reply).toMatch(/null-mx/);
    expect(await dsnMessagesOf(t.id)).toHaveLength(1);
    const dsn = await waitFor(async () => (await exchange.received()).find((x) => x.rcptTo.includes(from)), { what: 'the DSN at the sender’s Exchange' });
    expect(dsn.mailFrom).toBe('');
    const { parts } = dsnParts(dsn.raw.subarray(dsn.raw.indexOf('From: Mail Delivery System')));
    expect(parts[1].body).toContain('Status: 5.1.10');
    const verified = await dkimVerify(dsn.raw, { resolver: dns.resolver as never });
    expect(verified.results.map((r) => [r.signingDomain, r.status.result])).toEqual([[mxHostname, 'pass']]);
  });

  it('comes back after the short greylist delay, not the full backoff, and delivers once', async () => {
    const rcpt = `carol@grey-${label}.example`;
    const { m } = await outbound(rcpt, 'greylisted');
    const first = await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.attempts === 1 && r.state === 'deferred'), { what: 'the greylisted first attempt' });
    expect(first.last_reply).toMatch(/^451 4\.7\.1 .*Greylisted/);
    const wait = await withDb(async (db) => Number((await db.query(`SELECT extract(epoch FROM next_attempt_at - last_attempt_at) AS s FROM deliveries WHERE message_id = $1`, [m.messageId])).rows[0].s));
    expect(wait).toBeGreaterThanOrEqual(0.5);
    expect(wait).toBeLessThanOrEqual(2);
    const done = await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.state === 'delivered'), { what: 'delivery on the second attempt', timeoutMs: 15000 });
    expect(done.attempts).toBe(2);
    expect((await greylister.received()).filter((x) => x.rcptTo.includes(rcpt))).toHaveLength(1);
  });

  it('under an enforced MTA-STS policy, waits instead of using an MX host the policy does not name', async () => {
    const domain = `sts-${label}.example`;
    dns.mx.set(domain, { kind: 'mx', records: [{ exchange: '127.0.0.1', priority: 10 }] });
    dns.setTxt(`_mta-sts.${domain}`, 'v=STSv1; id=1');
    dns.policies.set(domain, `version: STSv1\nmode: enforce\nmx: mail.${domain}\nmax_age: 86400\n`);
    const rcpt = `dave@${domain}`;
    const { m } = await outbound(rcpt, 'mta-sts');
    const row = await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.state === 'deferred'), { what: 'the deferral' });
    expect(row.last_reply).toMatch(/^mta-sts: no MX host/);
    expect((await internetMx.received()).filter((x) => x.rcptTo.includes(rcpt))).toHaveLength(0);

    // The domain relaxes its policy to testing (a new id): the next attempt goes out.
    dns.setTxt(`_mta-sts.${domain}`, 'v=STSv1; id=2');
    dns.policies.set(domain, `version: STSv1\nmode: testing\nmx: mail.${domain}\nmax_age: 86400\n`);
    await withDb((db) => db.query(`UPDATE deliveries SET next_attempt_at = now() WHERE message_id = $1`, [m.messageId]));
    await waitFor(async () => (await deliveriesOf(m.messageId)).find((r) => r.state === 'delivered'), { what: 'delivery under the testing policy' });
    expect((await internetMx.received()).filter((x) => x.rcptTo.includes(rcpt))).toHaveLength(1);
  });
});
