import { AddressInfo, createServer, Server, Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { AppConfig } from '@app/config';
import { connectionOptionsFor } from '@app/delivery/next-hop';
import { useDnsServers } from '@app/dns';
import { connectToAddresses } from '@app/tenants/upstream-address';
import { DnsStandin } from '../../../infra/dns-standin/dns-standin';
import { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { ApiClient, createAdmin, signIn, startTestApi, TestApi } from '../../support/admin-api';
import { createTestTenant, insertTestMessage, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { deliveriesOf, dsnMessagesOf, enqueueDelivery, settleTenant, startTestWorker, testConfig } from './delivery-harness';

jest.setTimeout(60_000);

/** A TCP listener on the loopback that only counts who connects (and hangs up on them). */
async function countingListener(): Promise<{ port: number; connections: () => number; stop: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    n++;
    sockets.add(s);
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A tenant may only name upstreams on the public internet, and a name's form
 * says nothing about where it points: the name is resolved when a connection
 * is made, through the service's DNS, and a name that resolves to a loopback
 * (private, link-local …) address is refused — by deliveries, probes and the
 * connection test alike — while an upstream an operator approved for a
 * private address keeps working.
 */
describe('upstream addresses are checked when a connection is made', () => {
  const label = uniqueLabel('rebind');
  /** Passes the form check (a tenant admin may set it) but resolves to the loopback, where our own services listen. */
  const loopbackName = `exchange.${label}.example`;
  let dns: DnsStandin;
  let dnsServers: string;
  let upstream: StandinUpstream;
  let cfg: AppConfig;
  let worker: RunningWorker;

  beforeAll(async () => {
    dns = new DnsStandin();
    dnsServers = await dns.start();
    dns.addresses.set(loopbackName, ['127.0.0.1']);
    upstream = await startStandinUpstream();
    cfg = testConfig({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:address-check`, DNS_SERVERS: dnsServers });
    worker = await startTestWorker(cfg);
  });

  afterAll(async () => {
    await worker?.stop();
    await upstream?.stop();
    await dns?.stop();
    useDnsServers(process.env.DNS_SERVERS);
  });

  const received = async (rcpt: string) => (await upstream.received()).filter((m) => m.rcptTo.includes(rcpt));

  it('keeps mail for an upstream whose name resolves to the loopback queued, never delivers it there, and counts no outage', async () => {
    const t = await createTestTenant({ mailboxes: ['ann'], upstreams: [{ host: loopbackName, port: upstream.port }] });
    const m = await insertTestMessage(t, { raw: `Subject: rebind\r\n\r\nx\r\n`, recipients: [t.mailboxes.ann.address] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    // A second attempt shows it is retried (a temporary failure), and leaves time for any evidence to be written.
    const row = await waitFor(async () => {
      const r = (await deliveriesOf(m.messageId))[0];
      return r.state === 'deferred' && r.attempts >= 2 ? r : null;
    }, { what: 'two refused attempts', timeoutMs: 30_000 });
    expect(row.last_reply).toBe(`upstream-not-public: upstream ${loopbackName} resolves to a non-public address 127.0.0.1; refused`);
    expect(row.last_route).toBe(`${loopbackName}:${upstream.port}`);
    expect(await received(t.mailboxes.ann.address)).toHaveLength(0);
    expect(await dsnMessagesOf(t.id)).toHaveLength(0);

    // The worker's probe of the upstream is refused the same way; neither it nor the deliveries count as evidence of an outage.
    const health = await waitFor(
      async () => withDb(async (db) => (await db.query(`SELECT h.last_probed_at, h.last_ok, h.consecutive_failures FROM upstream_health h JOIN upstreams u ON u.id = h.upstream_id WHERE u.tenant_id = $1`, [t.id])).rows.find((r) => r.last_probed_at)),
      { what: 'the probe of the upstream', timeoutMs: 30_000 },
    );
    const observations = await withDb(async (db) => Number((await db.query(`SELECT count(*) FROM upstream_observations WHERE tenant_id = $1`, [t.id])).rows[0].count));
    expect({ lastOk: health.last_ok, failures: health.consecutive_failures, observations }).toEqual({ lastOk: null, failures: 0, observations: 0 });
    await settleTenant(t.id);
  });

  it('refuses a loopback address that no operator approved', async () => {
    const t = await createTestTenant({ mailboxes: ['bo'], upstreams: [{ host: '127.0.0.1', port: upstream.port, privateAddressAllowed: false }] });
    const m = await insertTestMessage(t, { raw: `Subject: unapproved\r\n\r\nx\r\n`, recipients: [t.mailboxes.bo.address] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    const row = await waitFor(async () => {
      const r = (await deliveriesOf(m.messageId))[0];
      return r.state === 'deferred' ? r : null;
    }, { what: 'a refused attempt' });
    expect(row.last_reply).toBe('upstream-not-public: upstream 127.0.0.1 is a non-public address; refused');
    expect(await received(t.mailboxes.bo.address)).toHaveLength(0);
    await settleTenant(t.id);
  });

  it('delivers to a loopback upstream an operator approved', async () => {
    const t = await createTestTenant({ mailboxes: ['cy'], upstreams: [{ host: '127.0.0.1', port: upstream.port, privateAddressAllowed: true }] });
    const m = await insertTestMessage(t, { raw: `Subject: approved\r\n\r\nx\r\n`, recipients: [t.mailboxes.cy.address] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: 'delivery to the approved upstream' });
    expect(await received(t.mailboxes.cy.address)).toHaveLength(1);
  });

  describe('the connection test', () => {
    let api: TestApi;
    let admin: ApiClient;
    let operator: ApiClient;
    let listener: Awaited<ReturnType<typeof countingListener>>;
    let tenantId: string;
    let groupId: string;

    beforeAll(async () => {
      listener = await countingListener();
      api = await startTestApi({ DNS_SERVERS: dnsServers, PROBE_TIMEOUT_MS: '3000' });
      const t = await createTestTenant({});
      tenantId = t.id;
      groupId = t.groupId;
      admin = await signIn(api, await createAdmin({ role: 'admin', tenantId }));
      operator = await signIn(api, await createAdmin({ role: 'operator' }));
    });

    afterAll(async () => {
      await api?.stop();
      await listener?.stop();
    });

    const upstreams = () => `/api/tenants/${tenantId}/upstream-groups/${groupId}/upstreams`;
    const test = async () => (await admin.post(`/api/tenants/${tenantId}/upstream-groups/${groupId}/test`, { canaryAddress: null })).body;

    it('reports a name that resolves to the loopback as the failing stage, without connecting', async () => {
      const added = await admin.post(upstreams(), { host: loopbackName, port: listener.port, tlsPolicy: 'none' });
      expect(added.status).toBe(201);
      expect(added.body.privateAddressAllowed).toBe(false);
      const res = await test();
      expect(res.ok).toBe(false);
      expect(res.results).toEqual([
        expect.objectContaining({
          upstreamId: added.body.id,
          ok: false,
          stage: 'connect',
          reply: null,
          error: { code: 'upstream-not-public', message: `upstream ${loopbackName} resolves to a non-public address 127.0.0.1; refused` },
        }),
      ]);
      expect(listener.connections()).toBe(0);
      expect((await admin.delete(`${upstreams()}/${added.body.id}`)).status).toBe(204);
    });

    it('connects to a private address an operator set, until a tenant admin changes the host', async () => {
      const added = await operator.post(upstreams(), { host: '127.0.0.1', port: upstream.port, tlsPolicy: 'none' });
      expect(added.body.privateAddressAllowed).toBe(true);
      expect(await test()).toMatchObject({ ok: true, results: [expect.objectContaining({ ok: true, stage: 'session' })] });

      // Other changes keep the approval; a host given by a tenant admin is judged as theirs.
      expect((await admin.patch(`${upstreams()}/${added.body.id}`, { priority: 3 })).body).toMatchObject({ priority: 3, privateAddressAllowed: true });
      const moved = await admin.patch(`${upstreams()}/${added.body.id}`, { host: loopbackName, port: listener.port });
      expect(moved.body).toMatchObject({ host: loopbackName, privateAddressAllowed: false });
      expect(await test()).toMatchObject({ ok: false, results: [expect.objectContaining({ stage: 'connect', error: expect.objectContaining({ code: 'upstream-not-public' }) })] });
      expect(listener.connections()).toBe(0);
      // An operator may approve the name itself only by setting a host that is not public on its face.
      const byOperator = await operator.patch(`${upstreams()}/${added.body.id}`, { host: loopbackName });
      expect(byOperator.body.privateAddressAllowed).toBe(false);
    });
  });

  describe('connecting to checked addresses', () => {
    it('tries the addresses in turn and never looks the name up again', async () => {
      const listener = await countingListener();
      try {
        // Nothing listens on 127.0.0.2 at this port: the next address is tried.
        const socket = await connectToAddresses(['127.0.0.2', '127.0.0.1'], listener.port, 5000);
        expect(socket.remoteAddress).toBe('127.0.0.1');
        socket.destroy();
        await waitFor(() => listener.connections() === 1, { what: 'the connection' });
      } finally {
        await listener.stop();
      }
    });

    it('fails with the connection error when no address answers', async () => {
      const listener = await countingListener();
      await listener.stop();
      await expect(connectToAddresses(['127.0.0.2', '127.0.0.1'], listener.port, 5000)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('127.0.0.1') });
    });

    it('keeps the host name for STARTTLS: the certificate is verified for the name, not the address', async () => {
      const tls = await startStandinUpstream({ hostname: loopbackName, tls: true });
      try {
        const session = async (name: string) => {
          const socket = await connectToAddresses(['127.0.0.1'], tls.port, 5000);
          const o = connectionOptionsFor({ host: name, port: tls.port, tls: { kind: 'verify' }, source: 'upstream' }, { heloName: 'mx.test', connectTimeoutMs: 5000, commandTimeoutMs: 5000 });
          // The stand-in's certificate names loopbackName, localhost and 127.0.0.1; trusting it stands in for a public CA.
          const conn = new SMTPConnection({ ...o, tls: { ...o.tls, ca: [tls.certPem as string] }, connection: socket } as ConstructorParameters<typeof SMTPConnection>[0]);
          return new Promise<{ secure: boolean } | Error>((resolve) => {
            conn.on('error', (e) => resolve(e));
            conn.connect(() => {
              resolve({ secure: conn.secure });
              conn.quit();
            });
          }).finally(() => conn.close());
        };
        expect(await session(loopbackName)).toEqual({ secure: true });
        // Were the address used, its certificate entry would let this pass too.
        expect(await session('other.example')).toMatchObject({ message: expect.stringMatching(/other\.example.*altnames/) });
      } finally {
        await tls.stop();
      }
    });
  });
});
