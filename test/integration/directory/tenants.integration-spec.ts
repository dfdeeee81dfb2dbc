import { DataSource } from 'typeorm';
import { createDataSource } from '@app/database';
import { NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import { uniqueLabel, withDb } from '../../support/factories';
import { TinyDnsServer } from '../../support/tiny-dns-server';

describe('TenantsService', () => {
  let ds: DataSource;
  let dns: TinyDnsServer;
  let tenants: TenantsService;

  beforeAll(async () => {
    ds = await createDataSource({ DATABASE_URL: process.env.DATABASE_URL as string, DATABASE_POOL_SIZE: 4 }).initialize();
    dns = new TinyDnsServer();
    const server = await dns.start();
    tenants = new TenantsService(ds, new NodeDnsTxtLookup([server], 2000));
  });

  afterAll(async () => {
    await ds?.destroy();
    await dns?.stop();
  });

  it('creates a tenant with its settings, a slug from its name and a default upstream group', async () => {
    const name = `Acme ${uniqueLabel()} GmbH & Co.`;
    const t = await tenants.createTenant({ name, unknownRecipientPolicy: 'passthrough', deliveryLifetimeSeconds: 3600, rollingWindowDays: 7 });
    expect(t.slug).toMatch(/^acme-t[a-z0-9]+-gmbh-co$/);
    const overview = await tenants.overview(t.slug);
    expect(overview.tenant).toMatchObject({ name, unknownRecipientPolicy: 'passthrough', deliveryLifetimeSeconds: 3600, rollingWindowDays: 7, mode: 'normal' });
    expect(overview.upstreamGroups.map((g) => g.name)).toEqual(['default']);
    await expect(tenants.createTenant({ name: 'Other', slug: t.slug })).rejects.toMatchObject({ code: 'tenant_slug_taken', kind: 'conflict' });
  });

  it('refuses bad settings with a reason', async () => {
    await expect(tenants.createTenant({ name: ' ' })).rejects.toMatchObject({ code: 'tenant_invalid' });
    await expect(tenants.createTenant({ name: 'x', slug: 'Bad Slug' })).rejects.toMatchObject({ code: 'tenant_invalid' });
    await expect(tenants.createTenant({ name: 'x', deliveryLifetimeSeconds: 10 })).rejects.toMatchObject({ code: 'tenant_invalid', message: expect.stringContaining('lifetime') });
    await expect(tenants.createTenant({ name: 'x', rollingWindowDays: 0 })).rejects.toMatchObject({ code: 'tenant_invalid' });
    await expect(tenants.findTenant('no-such-tenant')).rejects.toMatchObject({ code: 'tenant_not_found', kind: 'not_found' });
  });

  it('adds a domain in canonical form, refuses it for a second tenant, and verifies it by DNS TXT', async () => {
    const a = await tenants.createTenant({ name: uniqueLabel('a') });
    const b = await tenants.createTenant({ name: uniqueLabel('b') });
    const domain = `${uniqueLabel('d')}.example`;
    const { domain: row, record } = await tenants.addDomain(a.slug, `${domain.toUpperCase()}.`);
    expect(row).toMatchObject({ name: domain, verifiedAt: null, verifiedBy: null });
    expect(record).toEqual({ name: domain, type: 'TXT', value: `continuity-verification=${row.verificationToken}` });
    await expect(tenants.addDomain(b.slug, domain)).rejects.toMatchObject({ code: 'domain_taken', kind: 'conflict' });
    await expect(tenants.addDomain(a.slug, 'not a domain')).rejects.toMatchObject({ code: 'domain_invalid' });
    await expect(tenants.verifyDomain(b.slug, domain)).rejects.toMatchObject({ code: 'domain_not_found' });

    // Not published yet: NXDOMAIN, then an unrelated record, then DNS trouble.
    await expect(tenants.verifyDomain(a.slug, domain)).rejects.toMatchObject({ code: 'domain_verification_failed', kind: 'unverified' });
    dns.txt.set(domain, [['v=spf1 -all'], ['continuity-verification=someone-else']]);
    await expect(tenants.verifyDomain(a.slug, domain)).rejects.toMatchObject({ code: 'domain_verification_failed', details: { found: 2 } });
    dns.txt.set(domain, 'servfail');
    await expect(tenants.verifyDomain(a.slug, domain)).rejects.toMatchObject({ code: 'dns_lookup_failed', kind: 'unavailable' });

    // Published, split into two character-strings as long TXT records are.
    dns.txt.set(domain, [['v=spf1 -all'], [record.value.slice(0, 20), record.value.slice(20)]]);
    const verified = await tenants.verifyDomain(a.slug, domain);
    expect(verified).toMatchObject({ verifiedBy: 'dns' });
    const stored = await withDb((db) => db.query('SELECT verified_by, verified_at FROM tenant_domains WHERE name = $1', [domain]));
    expect(stored.rows[0].verified_by).toBe('dns');
    expect(stored.rows[0].verified_at).toBeInstanceOf(Date);
  });

  it('lets an operator mark a domain verified', async () => {
    const t = await tenants.createTenant({ name: uniqueLabel('op') });
    const domain = `${uniqueLabel('d')}.example`;
    await tenants.addDomain(t.id, domain);
    await expect(tenants.markDomainVerified(t.id, domain)).resolves.toMatchObject({ verifiedBy: 'operator' });
    // Idempotent: the second call keeps the first verification.
    await expect(tenants.markDomainVerified(t.id, domain)).resolves.toMatchObject({ verifiedBy: 'operator' });
    expect((await tenants.domainsOf(t.id)).map((d) => [d.name, d.verifiedBy])).toEqual([[domain, 'operator']]);
  });

  it('adds upstreams to groups with their TLS policy and lists them in priority order', async () => {
    const t = await tenants.createTenant({ name: uniqueLabel('up') });
    await tenants.addUpstream(t.slug, { host: 'EXCH2.Corp.Example.', port: 2525, priority: 20, tlsPolicy: 'none' });
    await tenants.addUpstream(t.slug, { host: '192.0.2.10', priority: 10 });
    await tenants.createUpstreamGroup(t.slug, 'dr-site');
    await tenants.addUpstream(t.slug, { group: 'dr-site', host: 'exchange-dr' });
    const o = await tenants.overview(t.slug);
    const byGroup = Object.fromEntries(o.upstreamGroups.map((g) => [g.name, g.upstreams.map((u) => [u.host, u.port, u.priority, u.tlsPolicy])]));
    expect(byGroup).toEqual({
      default: [['192.0.2.10', 25, 10, 'verify'], ['exch2.corp.example', 2525, 20, 'none']],
      'dr-site': [['exchange-dr', 25, 10, 'verify']],
    });
    await expect(tenants.createUpstreamGroup(t.slug, 'dr-site')).rejects.toMatchObject({ code: 'upstream_group_taken' });
    await expect(tenants.addUpstream(t.slug, { group: 'nope', host: 'x.example' })).rejects.toMatchObject({ code: 'upstream_group_not_found' });
    await expect(tenants.addUpstream(t.slug, { host: 'x.example', port: 70000 })).rejects.toMatchObject({ code: 'upstream_invalid' });
    await expect(tenants.addUpstream(t.slug, { host: 'x.example', tlsPolicy: 'pinned' })).rejects.toMatchObject({ code: 'upstream_invalid', message: expect.stringContaining('PEM') });
    await expect(tenants.addUpstream(t.slug, { host: 'x.example', tlsPolicy: 'pinned', pinnedCertPem: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' })).rejects.toMatchObject({ code: 'upstream_invalid' });
  });

  it('stores a pinned certificate', async () => {
    const selfsigned = await import('selfsigned');
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'exchange.corp.example' }], { days: 1, keySize: 2048 } as never);
    const t = await tenants.createTenant({ name: uniqueLabel('pin') });
    const u = await tenants.addUpstream(t.slug, { host: 'exchange.corp.example', tlsPolicy: 'pinned', pinnedCertPem: pems.cert });
    expect(u.pinnedCertPem).toContain('BEGIN CERTIFICATE');
    await expect(tenants.addUpstream(t.slug, { host: 'x.example', tlsPolicy: 'verify', pinnedCertPem: pems.cert })).rejects.toMatchObject({ code: 'upstream_invalid' });
  });
});
