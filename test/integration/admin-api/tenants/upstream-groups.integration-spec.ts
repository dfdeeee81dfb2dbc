import { createTestTenant, TestTenant, withDb } from '../../../support/factories';
import { generateStandinCertificate, startStandinUpstream, StandinUpstream } from '../../../support/standin';
import { anonymous, ApiClient, apiKeyClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';

jest.setTimeout(60_000);

/**
 * Upstream groups and upstreams over the admin API, and the connection test
 * against stand-in SMTP servers: plain, STARTTLS with a pinned certificate
 * (right and wrong), a server that refuses, a port nobody listens on, and a
 * canary recipient the server rejects.
 */
describe('admin API: upstream groups and the connection test', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let other: TestTenant;
  let admin: ApiClient;
  let operator: ApiClient;
  let viewer: ApiClient;
  let plain: StandinUpstream;
  let tls: StandinUpstream;
  let refusing: StandinUpstream;
  let wrongCert: string;

  beforeAll(async () => {
    [plain, tls, refusing] = await Promise.all([
      startStandinUpstream({ hostname: 'plain.test', rejectRecipients: ['nobody@canary.test'] }),
      startStandinUpstream({ hostname: 'tls.test', tls: true }),
      startStandinUpstream({ hostname: 'refusing.test', tempFailConnect: true }),
    ]);
    wrongCert = (await generateStandinCertificate('other.test')).cert;
    api = await startTestApi({ PROBE_TIMEOUT_MS: '3000' });
    tenant = await createTestTenant({});
    other = await createTestTenant({ upstreams: [{ host: '127.0.0.1', port: plain.port }] });
    admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: tenant.id }));
    operator = await signIn(api, await createAdmin({ role: 'operator' }));
    viewer = await apiKeyClient(api, tenant.id, 'viewer');
  });

  afterAll(async () => {
    await api?.stop();
    await Promise.all([plain?.stop(), tls?.stop(), refusing?.stop()]);
  });

  const base = () => `/api/tenants/${tenant.id}/upstream-groups`;

  it('creates, renames and deletes groups and upstreams', async () => {
    const listed = await viewer.get(base());
    expect(listed.body.groups).toEqual([expect.objectContaining({ id: tenant.groupId, name: 'default', upstreams: [] })]);

    const g = await admin.post(base(), { name: 'site-b' });
    expect(g.status).toBe(201);
    expect((await admin.post(base(), { name: 'site-b' })).status).toBe(409);
    const renamed = await admin.patch(`${base()}/${g.body.id}`, { name: 'site-c' });
    expect(renamed.body.name).toBe('site-c');

    const u = await admin.post(`${base()}/${g.body.id}/upstreams`, { host: 'Exchange.Customer.Example.', port: 587, priority: 5, tlsPolicy: 'pinned', pinnedCertPem: tls.certPem });
    expect(u.status).toBe(201);
    expect(u.body).toMatchObject({ groupId: g.body.id, host: 'exchange.customer.example', port: 587, priority: 5, tlsPolicy: 'pinned', pinnedCertSha256: tls.fingerprint256 });
    expect(u.body.pinnedCertSubject).toMatch(/CN=/);

    const changed = await admin.patch(`${base()}/${g.body.id}/upstreams/${u.body.id}`, { tlsPolicy: 'verify', priority: 1 });
    expect(changed.body).toMatchObject({ tlsPolicy: 'verify', priority: 1, pinnedCertSha256: null });
    const refused = await admin.patch(`${base()}/${g.body.id}/upstreams/${u.body.id}`, { tlsPolicy: 'pinned' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('upstream_invalid');

    expect((await viewer.get(`${base()}/${g.body.id}`)).body.upstreams).toHaveLength(1);
    expect((await admin.delete(`${base()}/${g.body.id}/upstreams/${u.body.id}`)).status).toBe(204);
    expect((await admin.delete(`${base()}/${g.body.id}`)).status).toBe(204);
    expect((await viewer.get(`${base()}/${g.body.id}`)).status).toBe(404);
    expect((await auditRowsOf(tenant.id)).filter((r) => r.action.startsWith('upstream')).map((r) => r.action)).toEqual([
      'upstream_group.create',
      'upstream_group.update',
      'upstream.create',
      'upstream.update',
      'upstream.delete',
      'upstream_group.delete',
    ]);
  });

  it('names the field of a bad upstream', async () => {
    const url = `${base()}/${tenant.groupId}/upstreams`;
    expect((await admin.post(url, { port: 25 })).body.field).toBe('host');
    expect((await admin.post(url, { host: 'a.example', port: 70000 })).body.field).toBe('port');
    expect((await admin.post(url, { host: 'a.example', tlsPolicy: 'sometimes' })).body.field).toBe('tlsPolicy');
    expect((await admin.post(url, { host: 'a.example', tlsPolicy: 'pinned' })).body.field).toBe('pinnedCertPem');
    const notPem = await admin.post(url, { host: 'a.example', tlsPolicy: 'pinned', pinnedCertPem: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' });
    expect(notPem.status).toBe(400);
    expect(notPem.body.code).toBe('upstream_invalid');
    expect((await admin.post(base(), { name: 'has space' })).body.field).toBe('name');
  });

  it('keeps tenant admins to hosts on the public internet; an operator may add a private address', async () => {
    const g = (await admin.post(base(), { name: 'public-only' })).body;
    for (const host of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', 'localhost', 'redis', 'exchange.internal']) {
      const refused = await admin.post(`${base()}/${g.id}/upstreams`, { host, port: 25 });
      expect([host, refused.status, refused.body.code, refused.body.field]).toEqual([host, 400, 'upstream_host_not_public', 'host']);
    }
    const ok = await admin.post(`${base()}/${g.id}/upstreams`, { host: 'mail.customer.example', port: 25 });
    expect(ok.status).toBe(201);
    const moved = await admin.patch(`${base()}/${g.id}/upstreams/${ok.body.id}`, { host: '192.168.0.10' });
    expect(moved.body).toMatchObject({ code: 'upstream_host_not_public', field: 'host' });
    const byOperator = await operator.post(`${base()}/${g.id}/upstreams`, { host: '10.1.2.3', port: 25 });
    expect(byOperator.status).toBe(201);
  });

  it('tests every upstream of a group now and says how far each got', async () => {
    const g = (await admin.post(base(), { name: 'test-run' })).body;
    // The stand-ins listen on the loopback: only an operator may add such an upstream.
    const add = async (body: Record<string, unknown>) => (await operator.post(`${base()}/${g.id}/upstreams`, { host: '127.0.0.1', ...body })).body;
    const ok = await add({ port: plain.port, tlsPolicy: 'none', priority: 1 });
    const pinned = await add({ port: tls.port, tlsPolicy: 'pinned', pinnedCertPem: tls.certPem, priority: 2 });
    const badPin = await add({ port: tls.port, tlsPolicy: 'pinned', pinnedCertPem: wrongCert, priority: 3 });
    const noTls = await add({ port: plain.port, tlsPolicy: 'verify', priority: 4 });
    const busy = await add({ port: refusing.port, tlsPolicy: 'none', priority: 5 });
    const closed = await add({ port: 9, tlsPolicy: 'none', priority: 6 });

    const res = await admin.post(`${base()}/${g.id}/test`, {});
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    const by = Object.fromEntries(res.body.results.map((r: { upstreamId: string }) => [r.upstreamId, r]));
    expect(by[ok.id]).toMatchObject({ ok: true, stage: 'session', reply: { code: 250 }, error: null });
    expect(by[pinned.id]).toMatchObject({ ok: true, stage: 'session' });
    expect(by[badPin.id]).toMatchObject({ ok: false, stage: 'connect' });
    expect(by[noTls.id]).toMatchObject({ ok: false });
    expect(by[busy.id]).toMatchObject({ ok: false, reply: { code: 421 } });
    expect(by[closed.id]).toMatchObject({ ok: false, stage: 'connect', reply: null, error: { code: expect.stringMatching(/ECONNREFUSED|ECONNECTION|ESOCKET/) } });

    // With a canary: the plain server refuses it, and that is a failure too.
    for (const id of [pinned.id, badPin.id, noTls.id, busy.id, closed.id]) await admin.delete(`${base()}/${g.id}/upstreams/${id}`);
    const canary = await admin.post(`${base()}/${g.id}/test`, { canaryAddress: 'nobody@canary.test' });
    expect(canary.body).toMatchObject({ ok: false, canaryAddress: 'nobody@canary.test', results: [expect.objectContaining({ ok: false, stage: 'rcpt', reply: expect.objectContaining({ code: 550 }) })] });
    const fine = await admin.post(`${base()}/${g.id}/test`, { canaryAddress: 'someone@canary.test' });
    expect(fine.body).toMatchObject({ ok: true, results: [expect.objectContaining({ ok: true, stage: 'rcpt', reply: expect.objectContaining({ code: 250 }) })] });
    // Without a body value, the tenant's own canary setting applies.
    await withDb((db) => db.query(`UPDATE tenants SET canary_address = 'nobody@canary.test' WHERE id = $1`, [tenant.id]));
    expect((await admin.post(`${base()}/${g.id}/test`, {})).body).toMatchObject({ ok: false, canaryAddress: 'nobody@canary.test' });
    expect((await admin.post(`${base()}/${g.id}/test`, { canaryAddress: 'not an address' })).body.field).toBe('canaryAddress');
  });

  it('answers 401, 403 and 404 as it should, without another tenant’s data', async () => {
    expect((await anonymous(api).get(base())).status).toBe(401);
    expect((await viewer.post(base(), { name: 'v' })).status).toBe(403);
    expect((await viewer.post(`${base()}/${tenant.groupId}/test`, {})).status).toBe(403);
    const theirUpstream = await withDb(async (db) => (await db.query(`SELECT id FROM upstreams WHERE tenant_id = $1`, [other.id])).rows[0].id as string);
    for (const r of [
      await admin.get(`${base()}/${other.groupId}`),
      await admin.patch(`${base()}/${other.groupId}`, { name: 'mine' }),
      await admin.delete(`${base()}/${other.groupId}`),
      await admin.post(`${base()}/${other.groupId}/test`, {}),
      await admin.post(`${base()}/${other.groupId}/upstreams`, { host: 'a.example' }),
      await admin.patch(`${base()}/${other.groupId}/upstreams/${theirUpstream}`, { port: 26 }),
      await admin.patch(`${base()}/${tenant.groupId}/upstreams/${theirUpstream}`, { port: 26 }),
      await admin.delete(`${base()}/${tenant.groupId}/upstreams/${theirUpstream}`),
      await admin.get(`/api/tenants/${other.id}/upstream-groups`),
    ]) {
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain(String(plain.port));
    }
    expect(await withDb(async (db) => (await db.query(`SELECT port FROM upstreams WHERE id = $1`, [theirUpstream])).rows[0].port)).toBe(plain.port);
  });
});
