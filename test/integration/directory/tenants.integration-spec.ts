import { DataSource } from 'typeorm';
import { createDataSource } from '@app/database';
import { RecipientDirectory } from '@app/mailboxes';
import { NodeDnsTxtLookup, TenantsService, UNVERIFIED_DOMAIN_CLAIM_DAYS } from '@app/tenants';
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

  describe('domain claims', () => {
    const claimRow = (name: string) =>
      withDb(async (db) => (await db.query(`SELECT id, tenant_id, verified_at, created_at FROM tenant_domains WHERE name = $1`, [name])).rows[0]);
    const ageClaim = (name: string, interval: string) => withDb((db) => db.query(`UPDATE tenant_domains SET created_at = now() - $2::interval WHERE name = $1`, [name, interval]));
    const addressesIn = (tenantId: string, domain: string) =>
      withDb(async (db) => {
        const q = async (table: string) => (await db.query(`SELECT address FROM ${table} WHERE tenant_id = $1 AND address LIKE $2 ORDER BY address`, [tenantId, `%@${domain}`])).rows.map((r) => r.address);
        return { mailboxes: await q('mailboxes'), aliases: await q('aliases'), groups: await q('distribution_groups') };
      });

    it(`keeps another tenant's unverified claim for ${UNVERIFIED_DOMAIN_CLAIM_DAYS} days, saying from when the domain can be added, without naming the tenant`, async () => {
      const squatter = await tenants.createTenant({ name: `Squatter ${uniqueLabel()}` });
      const owner = await tenants.createTenant({ name: `Owner ${uniqueLabel()}` });
      const domain = `${uniqueLabel('claim')}.example`;
      await tenants.addDomain(squatter.id, domain);
      await ageClaim(domain, '6 days 23 hours');
      const claim = await claimRow(domain);
      const from = new Date(claim.created_at.getTime() + 7 * 86_400_000).toISOString();

      const refused = await tenants.addDomain(owner.slug, domain).then(() => null, (e) => e);
      expect(refused).toMatchObject({ code: 'domain_taken', kind: 'conflict', details: { pendingVerification: true, claimableFrom: from } });
      expect(refused.message).toBe(`domain "${domain}" is awaiting verification by another customer; unless they verify it, it can be added from ${from}. If it is yours, contact support`);
      for (const secret of [squatter.id, squatter.slug, squatter.name]) expect(refused.message).not.toContain(secret);
      // The claim is untouched, and its own tenant is told it already has it.
      expect(await claimRow(domain)).toEqual(claim);
      await expect(tenants.addDomain(squatter.id, domain)).rejects.toMatchObject({ code: 'domain_taken', message: `the tenant already has domain "${domain}"` });
    });

    it('releases an unverified claim past its time to the next tenant, with the first tenant\'s addresses in the domain; the mx still accepts only verified domains', async () => {
      const squatter = await tenants.createTenant({ name: `Squatter ${uniqueLabel()}` });
      const owner = await tenants.createTenant({ name: `Owner ${uniqueLabel()}` });
      const domain = `${uniqueLabel('stale')}.example`;
      const kept = `${uniqueLabel('kept')}.example`;
      const first = await tenants.addDomain(squatter.id, domain);
      await tenants.addDomain(squatter.id, kept);
      await withDb(async (db) => {
        const mb = await db.query(`INSERT INTO mailboxes (tenant_id, address) VALUES ($1, $2), ($1, $3) RETURNING id, address`, [squatter.id, `ceo@${domain}`, `ceo@${kept}`]);
        await db.query(`INSERT INTO aliases (tenant_id, address, mailbox_id) VALUES ($1, $2, $3)`, [squatter.id, `boss@${domain}`, mb.rows[0].id]);
        await db.query(`INSERT INTO distribution_groups (tenant_id, address) VALUES ($1, $2)`, [squatter.id, `all@${domain}`]);
      });
      await ageClaim(domain, '7 days 1 minute');
      await ageClaim(kept, '30 days');

      const added = await tenants.addDomain(owner.slug, domain.toUpperCase());
      expect(added.domain).toMatchObject({ tenantId: owner.id, name: domain, verifiedAt: null, verifiedBy: null });
      expect(added.domain.verificationToken).not.toBe(first.domain.verificationToken);
      expect(added.releasedClaim).toEqual({ tenantId: squatter.id, domainId: first.domain.id, name: domain, claimedAt: expect.any(Date), mailboxes: 1, aliases: 1, groups: 1 });
      expect((await claimRow(domain)).tenant_id).toBe(owner.id);
      expect((await tenants.domainsOf(squatter.id)).map((d) => d.name)).toEqual([kept]);
      expect(await addressesIn(squatter.id, domain)).toEqual({ mailboxes: [], aliases: [], groups: [] });
      expect(await addressesIn(squatter.id, kept)).toEqual({ mailboxes: [`ceo@${kept}`], aliases: [], groups: [] });

      // The new claim is unverified: the mx refuses the domain until the owner proves it.
      const directory = new RecipientDirectory(ds);
      expect(await directory.verifiedTenantForDomain(domain)).toBeNull();
      await tenants.markDomainVerified(owner.id, domain);
      expect(await directory.verifiedTenantForDomain(domain)).toMatchObject({ tenantId: owner.id });
      // The address the first tenant held is free for the owner.
      await withDb((db) => db.query(`INSERT INTO mailboxes (tenant_id, address) VALUES ($1, $2)`, [owner.id, `ceo@${domain}`]));
    });

    it('never releases a verified domain, however old, and does not name its tenant', async () => {
      const holder = await tenants.createTenant({ name: `Holder ${uniqueLabel()}` });
      const other = await tenants.createTenant({ name: `Other ${uniqueLabel()}` });
      const domain = `${uniqueLabel('v')}.example`;
      await tenants.addDomain(holder.id, domain);
      await tenants.markDomainVerified(holder.id, domain);
      await ageClaim(domain, '400 days');
      const refused = await tenants.addDomain(other.id, domain).then(() => null, (e) => e);
      expect(refused).toMatchObject({ code: 'domain_taken', kind: 'conflict', message: `domain "${domain}" is already in use by another customer; if it is yours, contact support` });
      expect(refused.details).toBeUndefined();
      expect((await claimRow(domain)).tenant_id).toBe(holder.id);
    });

    it('lets only one of two tenants racing for a stale claim have it', async () => {
      const squatter = await tenants.createTenant({ name: `Squatter ${uniqueLabel()}` });
      const a = await tenants.createTenant({ name: `A ${uniqueLabel()}` });
      const b = await tenants.createTenant({ name: `B ${uniqueLabel()}` });
      const domain = `${uniqueLabel('race')}.example`;
      await tenants.addDomain(squatter.id, domain);
      await ageClaim(domain, '8 days');
      const results = await Promise.allSettled([tenants.addDomain(a.id, domain), tenants.addDomain(b.id, domain)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(lost.reason).toMatchObject({ code: 'domain_taken' });
      expect([a.id, b.id]).toContain((await claimRow(domain)).tenant_id);
    });
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
