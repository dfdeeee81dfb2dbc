import { DnsStandin } from '../../../../infra/dns-standin/dns-standin';
import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../../support/factories';
import { anonymous, ApiClient, apiKeyClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';

jest.setTimeout(60_000);

const MX = 'mx.continuity.test';

/**
 * A tenant's domains over the admin API: the records to publish (ownership,
 * MX, SPF, DKIM), a live DNS check against a DNS server of the test, DNS
 * verification and the operator's override, DKIM keys, and isolation.
 */
describe('admin API: domains and their DNS records', () => {
  const dns = new DnsStandin();
  let api: TestApi;
  let tenant: TestTenant;
  let other: TestTenant;
  let operator: ApiClient;
  let admin: ApiClient;
  let viewer: ApiClient;

  beforeAll(async () => {
    const servers = await dns.start();
    api = await startTestApi({ DNS_SERVERS: servers, MX_HOSTNAME: MX, SPF_INCLUDE_DOMAIN: '' });
    tenant = await createTestTenant({});
    other = await createTestTenant({});
    operator = await signIn(api, await createAdmin({ role: 'operator' }));
    admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: tenant.id }));
    viewer = await apiKeyClient(api, tenant.id, 'viewer');
  });

  afterAll(async () => {
    await api?.stop();
    await dns.stop();
  });

  const base = () => `/api/tenants/${tenant.id}/domains`;

  it('adds a domain and shows the records to publish', async () => {
    const name = `${uniqueLabel('d')}.example`;
    const res = await admin.post(base(), { name: name.toUpperCase() + '.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name, verified: false, verifiedBy: null, signOutbound: false, dkimKeys: [] });
    const token = await withDb(async (db) => (await db.query(`SELECT verification_token FROM tenant_domains WHERE id = $1`, [res.body.id])).rows[0].verification_token);
    expect(res.body.records.map((r: { purpose: string; type: string; name: string; value: string }) => [r.purpose, r.type, r.name, r.value])).toEqual([
      ['ownership', 'TXT', name, `continuity-verification=${token}`],
      ['mx', 'MX', name, MX],
      ['spf', 'TXT', name, `v=spf1 include:_spf.${MX} ~all`],
    ]);
    expect((await viewer.get(`${base()}/${res.body.id}`)).body.name).toBe(name);
    expect((await viewer.get(base())).body.domains.map((d: { name: string }) => d.name)).toContain(name);
    expect((await auditRowsOf(tenant.id)).find((r) => r.action === 'domain.create' && r.target === res.body.id)?.details).toEqual({ name });
  });

  it('refuses a malformed name naming the field, a taken name with 409', async () => {
    const bad = await admin.post(base(), { name: 'not a domain' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('domain_invalid');
    const missing = await admin.post(base(), {});
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('name');
    const taken = await admin.post(base(), { name: other.domain });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ statusCode: 409, code: 'domain_taken', message: `domain "${other.domain}" is already in use by another customer; if it is yours, contact support` });
  });

  it("refuses another tenant's unverified domain for 7 days with the date it can be added, then releases it (audited in both tenants' logs)", async () => {
    const name = `${uniqueLabel('squat')}.example`;
    const otherAdmin = await signIn(api, await createAdmin({ role: 'admin', tenantId: other.id }));
    const first = await otherAdmin.post(`/api/tenants/${other.id}/domains`, { name });
    expect(first.status).toBe(201);
    await withDb((db) => db.query(`INSERT INTO mailboxes (tenant_id, address) VALUES ($1, $2)`, [other.id, `info@${name}`]));

    const ageClaim = (interval: string) => withDb((db) => db.query(`UPDATE tenant_domains SET created_at = now() - $2::interval WHERE id = $1`, [first.body.id, interval]));
    await ageClaim('3 days');
    const createdAt: Date = await withDb(async (db) => (await db.query(`SELECT created_at FROM tenant_domains WHERE id = $1`, [first.body.id])).rows[0].created_at);
    const from = new Date(createdAt.getTime() + 7 * 86_400_000).toISOString();
    const pending = await admin.post(base(), { name });
    expect(pending.status).toBe(409);
    expect(pending.body).toEqual({
      statusCode: 409,
      code: 'domain_taken',
      message: `domain "${name}" is awaiting verification by another customer; unless they verify it, it can be added from ${from}. If it is yours, contact support`,
      details: { pendingVerification: true, claimableFrom: from },
    });
    expect(JSON.stringify(pending.body)).not.toContain(other.id);
    expect(JSON.stringify(pending.body)).not.toContain(other.slug);

    await ageClaim('7 days 1 second');
    const claimedAt: Date = await withDb(async (db) => (await db.query(`SELECT created_at FROM tenant_domains WHERE id = $1`, [first.body.id])).rows[0].created_at);
    const added = await admin.post(base(), { name });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name, verified: false });
    expect(added.body.id).not.toBe(first.body.id);
    // Gone from the first tenant, with its address in the domain; mail for the domain is still refused until the new owner verifies it.
    expect((await otherAdmin.get(`/api/tenants/${other.id}/domains`)).body.domains.map((d: { name: string }) => d.name)).not.toContain(name);
    expect((await otherAdmin.get(`/api/tenants/${other.id}/domains/${first.body.id}`)).status).toBe(404);
    expect((await withDb((db) => db.query(`SELECT 1 FROM mailboxes WHERE address = $1`, [`info@${name}`]))).rows).toEqual([]);

    const released = (await auditRowsOf(other.id)).find((r) => r.action === 'domain.claim_expired' && r.target === first.body.id);
    expect(released).toMatchObject({
      actor_kind: 'anonymous',
      actor_id: null,
      actor_name: 'service: unverified domain claim expired',
      details: { name, claimedAt: claimedAt.toISOString(), unverifiedForDays: 7, deletedMailboxes: 1, deletedAliases: 0, deletedGroups: 0 },
    });
    // Neither tenant's log names the other.
    expect(JSON.stringify(released)).not.toContain(tenant.id);
    const created = (await auditRowsOf(tenant.id)).find((r) => r.action === 'domain.create' && r.target === added.body.id);
    expect(created?.details).toEqual({ name, releasedExpiredClaim: true });
    expect(JSON.stringify(created)).not.toContain(other.id);
  });

  it('checks what DNS says now: missing, then wrong, then ok; a failing server is an error', async () => {
    const created = await admin.post(base(), { name: `${uniqueLabel('chk')}.example` });
    const { id, name, records } = created.body;
    const ownership = records.find((r: { purpose: string }) => r.purpose === 'ownership').value;
    const check = async () => {
      const r = await viewer.get(`${base()}/${id}/dns-check`);
      expect(r.status).toBe(200);
      return Object.fromEntries(r.body.records.map((x: { purpose: string; status: string; found: string[] }) => [x.purpose, { status: x.status, found: x.found }]));
    };

    expect(await check()).toEqual({ ownership: { status: 'missing', found: [] }, mx: { status: 'missing', found: [] }, spf: { status: 'missing', found: [] } });

    dns.txt.set(name, [['continuity-verification=someone-else'], ['v=spf1 include:spf.protection.outlook.com -all']]);
    dns.mx.set(name, [{ priority: 10, exchange: 'exchange.customer.example' }]);
    expect(await check()).toEqual({
      ownership: { status: 'wrong', found: ['continuity-verification=someone-else'] },
      mx: { status: 'wrong', found: ['10 exchange.customer.example'] },
      spf: { status: 'wrong', found: ['v=spf1 include:spf.protection.outlook.com -all'] },
    });

    dns.txt.set(name, [[ownership], ['v=spf1 include:spf.protection.outlook.com ', `include:_spf.${MX} -all`]]);
    dns.mx.set(name, [{ priority: 10, exchange: MX }]);
    const ok = await viewer.get(`${base()}/${id}/dns-check`);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.records.map((r: { status: string }) => r.status)).toEqual(['ok', 'ok', 'ok']);

    dns.txt.set(name, 'servfail');
    const failing = await viewer.get(`${base()}/${id}/dns-check`);
    expect(failing.body.ok).toBe(false);
    expect(failing.body.records.find((r: { purpose: string }) => r.purpose === 'ownership')).toMatchObject({ status: 'error' });
  });

  it('verifies by DNS (422 until the record is there), then DKIM keys show their records and activate once published', async () => {
    const { id, name, records } = (await admin.post(base(), { name: `${uniqueLabel('ver')}.example` })).body;
    const notYet = await admin.post(`${base()}/${id}/verify`);
    expect(notYet.status).toBe(422);
    expect(notYet.body.code).toBe('domain_verification_failed');
    // A key needs a verified domain.
    expect((await admin.post(`${base()}/${id}/dkim`, {})).status).toBe(422);

    dns.txt.set(name, [[records[0].value]]);
    const verified = await admin.post(`${base()}/${id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ verified: true, verifiedBy: 'dns' });

    const keyed = await admin.post(`${base()}/${id}/dkim`, { algorithm: 'ed25519' });
    expect(keyed.status).toBe(201);
    const dkim = keyed.body.records.find((r: { purpose: string }) => r.purpose === 'dkim');
    expect(dkim).toMatchObject({ type: 'TXT', keyState: 'pending' });
    expect(dkim.name).toBe(`${dkim.selector}._domainkey.${name}`);
    expect(dkim.value).toMatch(/^v=DKIM1; k=ed25519; p=/);
    expect((await admin.post(`${base()}/${id}/dkim`, { algorithm: 'ed25519' })).body.code).toBe('dkim_rotation_pending');

    const before = (await viewer.get(`${base()}/${id}/dns-check`)).body.records.find((r: { purpose: string }) => r.purpose === 'dkim');
    expect(before.status).toBe('missing');
    dns.txt.set(dkim.name, [[dkim.value]]);
    expect((await viewer.get(`${base()}/${id}/dns-check`)).body.records.find((r: { purpose: string }) => r.purpose === 'dkim').status).toBe('ok');
    // Verify again: the published pending key becomes active.
    const again = await admin.post(`${base()}/${id}/verify`);
    expect(again.body.dkimKeys).toEqual([expect.objectContaining({ selector: dkim.selector, algorithm: 'ed25519', state: 'active' })]);

    const signing = await admin.patch(`${base()}/${id}`, { signOutbound: true });
    expect(signing.body.signOutbound).toBe(true);
    expect((await admin.patch(`${base()}/${id}`, { signOutbound: 'yes' })).body.field).toBe('signOutbound');
  });

  it("lets only an operator mark a domain verified without DNS", async () => {
    const { id } = (await admin.post(base(), { name: `${uniqueLabel('op')}.example` })).body;
    const denied = await admin.post(`${base()}/${id}/mark-verified`);
    expect(denied.status).toBe(403);
    const marked = await operator.post(`${base()}/${id}/mark-verified`);
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ verified: true, verifiedBy: 'operator' });
    expect((await auditRowsOf(tenant.id)).some((r) => r.action === 'domain.mark_verified' && r.target === id)).toBe(true);
  });

  it('deletes a domain with its DKIM keys', async () => {
    const { id, name } = (await admin.post(base(), { name: `${uniqueLabel('del')}.example` })).body;
    await operator.post(`${base()}/${id}/mark-verified`);
    await admin.post(`${base()}/${id}/dkim`, {});
    expect((await admin.delete(`${base()}/${id}`)).status).toBe(204);
    expect((await viewer.get(`${base()}/${id}`)).status).toBe(404);
    expect(await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM dkim_keys WHERE domain = $1`, [name])).rows[0].n)).toBe(0);
  });

  it('answers 401 without credentials and 403 to a viewer who changes something', async () => {
    const anon = anonymous(api);
    expect((await anon.get(base())).status).toBe(401);
    expect((await anon.post(base(), { name: 'x.example' })).status).toBe(401);
    const add = await viewer.post(base(), { name: `${uniqueLabel('v')}.example` });
    expect(add.status).toBe(403);
    const [d] = (await viewer.get(base())).body.domains;
    expect((await viewer.delete(`${base()}/${d.id}`)).status).toBe(403);
    expect((await viewer.post(`${base()}/${d.id}/verify`)).status).toBe(403);
  });

  it("answers 404 for another tenant's domain, and for another tenant's path, without their data", async () => {
    const theirs = await withDb(async (db) => (await db.query(`SELECT id FROM tenant_domains WHERE tenant_id = $1`, [other.id])).rows[0].id as string);
    for (const r of [
      await admin.get(`${base()}/${theirs}`),
      await admin.get(`${base()}/${theirs}/dns-check`),
      await admin.post(`${base()}/${theirs}/verify`),
      await admin.delete(`${base()}/${theirs}`),
      await admin.patch(`${base()}/${theirs}`, { signOutbound: true }),
      await admin.post(`${base()}/${theirs}/dkim`, {}),
      await operator.post(`${base()}/${theirs}/mark-verified`),
      await admin.get(`/api/tenants/${other.id}/domains`),
      await admin.get(`${base()}/not-a-uuid`),
    ]) {
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain(other.domain);
    }
    expect(await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM tenant_domains WHERE id = $1`, [theirs])).rows[0].n)).toBe(1);
  });
});
