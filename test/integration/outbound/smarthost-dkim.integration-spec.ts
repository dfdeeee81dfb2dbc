import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { createTestTenant, TestTenant, uniqueLabel, waitFor } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { queueIdsOf, startTestMx } from '../mx/mx-harness';
import { testConfig } from '../delivery/delivery-harness';
import { publishAndActivate, startWorkerWithDns, TestDns, WorkerWithDns } from '../internet-delivery/internet-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import { addConnector, message, relay, rows } from './outbound-harness';

jest.setTimeout(45000);

/**
 * Issue 3's first test, in one piece: the tenant's Exchange relays through the
 * smarthost, the worker finds the internet MX (a static route standing in for
 * DNS) and delivers the message DKIM-signed for the tenant's domain with a
 * signature that verifies against the published record; the sender has it in
 * Sent and the colleague in Inbox.
 */
describe('smarthost relay, DKIM-signed, to the internet', () => {
  const dns = new TestDns();
  const dest = `${uniqueLabel('dest')}.example`;
  let mx: RunningMx;
  let worker: WorkerWithDns;
  let internetMx: StandinUpstream;
  let exchange: StandinUpstream;
  let t: TestTenant;
  const prefix = `${process.env.REDIS_PREFIX}:smarthost-dkim`;

  beforeAll(async () => {
    internetMx = await startStandinUpstream({ hostname: 'internet-mx.test' });
    exchange = await startStandinUpstream();
    t = await createTestTenant({ mailboxes: ['alice', 'bob'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    await addConnector(t.slug, { name: 'exchange', sourceCidrs: ['127.0.0.1/32'] });
    mx = await startTestMx({ REDIS_PREFIX: prefix });
    worker = await startWorkerWithDns(testConfig({ REDIS_PREFIX: prefix, STATIC_ROUTES: `${dest}=127.0.0.1:${internetMx.port}`, MTA_STS_ENABLED: 'false' }), dns);
    await worker.keys.createKey({ domain: t.domain });
    await publishAndActivate(dns, worker.keys, t.domain);
    await worker.keys.setSignOutbound(t.domain, true);
  });

  afterAll(async () => {
    await mx?.stop();
    await worker?.stop();
    await internetMx?.stop();
    await exchange?.stop();
  });

  it('arrives signed with a signature that verifies, and is mirrored as Sent and Inbox', async () => {
    const external = `${uniqueLabel('carol')}@${dest}`;
    const to = [external, t.mailboxes.bob.address];
    const subject = uniqueLabel('signed');
    const raw = message(t.mailboxes.alice.address, to, subject);
    const res = await relay({ port: mx.smtpPort, from: t.mailboxes.alice.address, to, raw });
    expect(res.response).toMatch(/^250 /);
    const [qid] = queueIdsOf(res.response);
    const [m] = await rows<{ id: string }>(`SELECT id FROM messages WHERE queue_id = $1`, [qid]);

    const arrived = await waitFor(async () => (await internetMx.received()).find((r) => r.rcptTo.includes(external)), { timeoutMs: 30000, what: 'the message at the internet MX' });
    const text = arrived.raw.toString('utf8');
    expect(text).toMatch(/^DKIM-Signature:[\s\S]*a=rsa-sha256/im);
    expect(text.endsWith(raw.replace(/\r?\n/g, '\r\n'))).toBe(true);
    const verdict = await dkimVerify(arrived.raw, { resolver: dns.resolver as never });
    expect(verdict.results.map((r) => [r.signingDomain, r.status.result])).toEqual([[t.domain, 'pass']]);

    const mirrors = await rows<{ mailbox_id: string; folder: string }>(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder`, [m.id]);
    expect(mirrors).toEqual([
      { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
      { mailbox_id: t.mailboxes.alice.id, folder: 'sent' },
    ]);
  });
});
