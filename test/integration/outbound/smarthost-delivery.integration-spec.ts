import { createTestTenant, TestTenant, uniqueLabel, waitFor } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { queueIdsOf, startTestMx } from '../mx/mx-harness';
import { startTestWorker, testConfig } from '../delivery/delivery-harness';
import type { RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import type { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { addConnector, message, relay, rows } from './outbound-harness';

jest.setTimeout(45000);

/**
 * The whole outbound path: the tenant's Exchange (nodemailer) relays through
 * the MX, the worker delivers the external recipient to a stand-in internet
 * MX (static route instead of DNS) and the colleague to the tenant's own
 * Exchange (a stand-in upstream), and both standby mailboxes have their copy.
 */
describe('smarthost to delivery', () => {
  let mx: RunningMx;
  let worker: RunningWorker;
  let internet: StandinUpstream;
  let exchange: StandinUpstream;
  let t: TestTenant;
  const prefix = `${process.env.REDIS_PREFIX}:outbound-delivery`;

  beforeAll(async () => {
    internet = await startStandinUpstream();
    exchange = await startStandinUpstream();
    t = await createTestTenant({ mailboxes: ['alice', 'bob'], upstreams: [{ host: '127.0.0.1', port: exchange.port }] });
    await addConnector(t.slug, { name: 'exchange', sourceCidrs: ['127.0.0.1/32'] });
    mx = await startTestMx({ REDIS_PREFIX: prefix });
    worker = await startTestWorker(testConfig({ REDIS_PREFIX: prefix, STATIC_ROUTES: `external.example=127.0.0.1:${internet.port}`, MTA_STS_ENABLED: 'false' }));
  });
  afterAll(async () => {
    await mx?.stop();
    await worker?.stop();
    await internet?.stop();
    await exchange?.stop();
  });

  it('delivers the external recipient to the internet and the colleague to the tenant’s Exchange; Sent and Inbox are mirrored', async () => {
    const external = `${uniqueLabel('carol')}@external.example`;
    const to = [external, t.mailboxes.bob.address];
    const subject = uniqueLabel('outbound');
    const res = await relay({ port: mx.smtpPort, from: t.mailboxes.alice.address, to, raw: message(t.mailboxes.alice.address, to, subject) });
    expect(res.response).toMatch(/^250 /);
    const [qid] = queueIdsOf(res.response);
    const [m] = await rows<{ id: string }>(`SELECT id FROM messages WHERE queue_id = $1`, [qid]);

    const delivered = await waitFor(
      async () => {
        const d = await rows<{ recipient: string; route_kind: string; state: string }>(`SELECT recipient, route_kind, state FROM deliveries WHERE message_id = $1 ORDER BY route_kind`, [m.id]);
        return d.every((r) => r.state === 'delivered') ? d : null;
      },
      { timeoutMs: 30000, what: 'both deliveries' },
    );
    expect(delivered).toEqual([
      { recipient: external, route_kind: 'internet', state: 'delivered' },
      { recipient: t.mailboxes.bob.address, route_kind: 'upstream', state: 'delivered' },
    ]);
    const atInternet = (await internet.received()).filter((r) => r.raw.toString('utf8').includes(subject));
    expect(atInternet.map((r) => ({ from: r.mailFrom, to: r.rcptTo }))).toEqual([{ from: t.mailboxes.alice.address, to: [external] }]);
    expect(atInternet[0].raw.toString('utf8')).toContain(`Received: from exchange.customer.example ([127.0.0.1])`);
    const atExchange = (await exchange.received()).filter((r) => r.raw.toString('utf8').includes(subject));
    expect(atExchange.map((r) => r.rcptTo)).toEqual([[t.mailboxes.bob.address]]);

    const mirrors = await rows<{ mailbox_id: string; folder: string }>(`SELECT mailbox_id, folder FROM mirror_entries WHERE message_id = $1 ORDER BY folder`, [m.id]);
    expect(mirrors).toEqual([
      { mailbox_id: t.mailboxes.bob.id, folder: 'inbox' },
      { mailbox_id: t.mailboxes.alice.id, folder: 'sent' },
    ]);
  });
});
