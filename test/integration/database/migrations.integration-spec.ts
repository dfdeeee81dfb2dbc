import { Client } from 'pg';

/** Tables that belong to the service, not to one tenant; every other table carries tenant_id. */
// admin_sessions: a session belongs to an admin user, whose row carries the tenant (operators have none).
const SERVICE_WIDE_TABLES = ['tenants', 'migrations', 'continuity_circuit_breaker', 'admin_sessions'];

describe('migrations', () => {
  it('created every table of the mail path in this run\'s own database', async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const r = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      const names = r.rows.map((x) => x.table_name);
      expect(names).toEqual(expect.arrayContaining(['tenants', 'tenant_domains', 'upstream_groups', 'upstreams', 'mailboxes', 'aliases', 'distribution_groups', 'group_members', 'messages', 'deliveries', 'mirror_entries', 'migrations']));
      expect(process.env.DATABASE_URL).toMatch(/mc_test_/);
      const tenantOwned = await client.query(`SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant_id' AND table_schema = 'public'`);
      expect(tenantOwned.rows.map((x) => x.table_name).sort()).toEqual(names.filter((n) => !SERVICE_WIDE_TABLES.includes(n)).sort());
    } finally {
      await client.end();
    }
  });
});
