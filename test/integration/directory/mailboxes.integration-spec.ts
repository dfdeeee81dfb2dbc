import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { createDataSource } from '@app/database';
import { MailboxesService } from '@app/mailboxes';
import { Tenant, TenantsService, TxtLookup } from '@app/tenants';
import { uniqueLabel, withDb } from '../../support/factories';

const noDns: TxtLookup = { resolveTxt: async () => [] };
const csv = (text: string) => Readable.from([Buffer.from(text)]);

describe('MailboxesService', () => {
  let ds: DataSource;
  let tenants: TenantsService;
  let mailboxes: MailboxesService;

  async function tenantWithDomain(): Promise<{ tenant: Tenant; domain: string }> {
    const tenant = await tenants.createTenant({ name: uniqueLabel('mb') });
    const domain = `${uniqueLabel('d')}.example`;
    await tenants.addDomain(tenant.slug, domain);
    return { tenant, domain };
  }

  beforeAll(async () => {
    ds = await createDataSource({ DATABASE_URL: process.env.DATABASE_URL as string, DATABASE_POOL_SIZE: 4 }).initialize();
    tenants = new TenantsService(ds, noDns);
    mailboxes = new MailboxesService(ds, tenants);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('creates, updates, disables and lists mailboxes with normalised fields', async () => {
    const { tenant, domain } = await tenantWithDomain();
    const m = await mailboxes.createMailbox(tenant.slug, { address: `Alice@${domain.toUpperCase()}`, displayName: ' Alice ', mobile: '+49 151 1234 5678', alternateEmail: 'alice@private.example' });
    expect(m).toMatchObject({ address: `alice@${domain}`, displayName: 'Alice', mobileE164: '+4915112345678', alternateEmail: 'alice@private.example', status: 'active', kind: 'user' });
    await expect(mailboxes.createMailbox(tenant.slug, { address: `alice@${domain}` })).rejects.toMatchObject({ code: 'address_taken', kind: 'conflict' });

    await mailboxes.updateMailbox(tenant.slug, `alice@${domain}`, { mobile: '', displayName: 'Alice Smith' });
    await mailboxes.disableMailbox(tenant.slug, `alice@${domain}`);
    const [stored] = await mailboxes.listMailboxes(tenant.slug);
    expect(stored).toMatchObject({ displayName: 'Alice Smith', mobileE164: null, alternateEmail: 'alice@private.example', status: 'disabled' });
    await expect(mailboxes.updateMailbox(tenant.slug, `nobody@${domain}`, { displayName: 'x' })).rejects.toMatchObject({ code: 'mailbox_not_found' });
  });

  it('refuses invalid fields with stable codes', async () => {
    const { tenant, domain } = await tenantWithDomain();
    await expect(mailboxes.createMailbox(tenant.slug, { address: 'not-an-address' })).rejects.toMatchObject({ code: 'address_invalid' });
    await expect(mailboxes.createMailbox(tenant.slug, { address: `a@${domain}`, mobile: '0151 1234567' })).rejects.toMatchObject({ code: 'mobile_invalid' });
    await expect(mailboxes.createMailbox(tenant.slug, { address: `a@${domain}`, alternateEmail: 'nope' })).rejects.toMatchObject({ code: 'alternate_email_invalid' });
    await expect(mailboxes.createMailbox(tenant.slug, { address: `a@${domain}`, alternateEmail: `b@${domain}` })).rejects.toMatchObject({ code: 'alternate_email_invalid' });
  });

  it('refuses a mailbox, alias or group in another tenant\'s domain', async () => {
    const a = await tenantWithDomain();
    const b = await tenantWithDomain();
    await mailboxes.createMailbox(b.tenant.slug, { address: `bob@${b.domain}` });
    await expect(mailboxes.createMailbox(a.tenant.slug, { address: `mallory@${b.domain}` })).rejects.toMatchObject({ code: 'address_outside_tenant' });
    await expect(mailboxes.createMailbox(a.tenant.slug, { address: `bob@${b.domain}` })).rejects.toMatchObject({ code: 'address_outside_tenant' });
    await mailboxes.createMailbox(a.tenant.slug, { address: `alice@${a.domain}` });
    await expect(mailboxes.addAlias(a.tenant.slug, `bob2@${b.domain}`, `alice@${a.domain}`)).rejects.toMatchObject({ code: 'address_outside_tenant' });
    // Tenant A cannot hang an alias on tenant B's mailbox either.
    await expect(mailboxes.addAlias(a.tenant.slug, `x@${a.domain}`, `bob@${b.domain}`)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await expect(mailboxes.createGroup(a.tenant.slug, `all@${b.domain}`)).rejects.toMatchObject({ code: 'address_outside_tenant' });
    const count = await withDb((db) => db.query('SELECT count(*)::int AS n FROM mailboxes WHERE tenant_id = $1', [a.tenant.id]));
    expect(count.rows[0].n).toBe(1);
  });

  it('keeps one meaning per address across mailboxes, aliases and groups; group members are idempotent', async () => {
    const { tenant, domain } = await tenantWithDomain();
    await mailboxes.createMailbox(tenant.slug, { address: `alice@${domain}` });
    await mailboxes.createMailbox(tenant.slug, { address: `bob@${domain}` });
    await mailboxes.addAlias(tenant.slug, `a.smith@${domain}`, `alice@${domain}`);
    await expect(mailboxes.addAlias(tenant.slug, `bob@${domain}`, `alice@${domain}`)).rejects.toMatchObject({ code: 'address_taken' });
    await expect(mailboxes.createMailbox(tenant.slug, { address: `a.smith@${domain}` })).rejects.toMatchObject({ code: 'address_taken' });
    await mailboxes.createGroup(tenant.slug, `team@${domain}`, 'Team');
    await expect(mailboxes.createGroup(tenant.slug, `alice@${domain}`)).rejects.toMatchObject({ code: 'address_taken' });
    await expect(mailboxes.addGroupMember(tenant.slug, `team@${domain}`, `alice@${domain}`)).resolves.toMatchObject({ added: true });
    await expect(mailboxes.addGroupMember(tenant.slug, `team@${domain}`, `alice@${domain}`)).resolves.toMatchObject({ added: false });
    await mailboxes.addGroupMember(tenant.slug, `team@${domain}`, `bob@${domain}`);
    await expect(mailboxes.addGroupMember(tenant.slug, `nope@${domain}`, `bob@${domain}`)).rejects.toMatchObject({ code: 'group_not_found' });
    expect((await mailboxes.listGroups(tenant.slug)).map((g) => [g.address, g.displayName, g.members])).toEqual([[`team@${domain}`, 'Team', [`alice@${domain}`, `bob@${domain}`]]]);
  });

  describe('CSV import', () => {
    it('applies valid rows, reports broken ones by row number, and a second import changes nothing', async () => {
      const { tenant, domain } = await tenantWithDomain();
      const other = await tenantWithDomain();
      const file = [
        '\uFEFFaddress,display_name,mobile,alternate_email,aliases,groups',
        `alice@${domain},Alice,+4915112345678,alice@private.example,a.smith@${domain},all@${domain}`,
        `bob@${domain},"Bob, Jr.",,,,all@${domain};sales@${domain}`,
        `broken-address,Nobody,,,,`,
        `carol@${domain},Carol,0151 123,,,`,
        `dave@${other.domain},Dave,,,,`,
        `erin@${domain},"=cmd|' /C calc'!A0",,,,`,
        `alice@${domain},Alice again,,,,`,
        `frank@${domain},Frank,,,,`,
      ].join('\r\n');

      const first = await mailboxes.importCsv(tenant.slug, csv(file));
      expect(first).toMatchObject({ rows: 8, created: 4, updated: 0, unchanged: 0, errorCount: 4 });
      expect(first.errors.map((e) => [e.row, e.code])).toEqual([
        [4, 'address_invalid'],
        [5, 'mobile_invalid'],
        [6, 'address_outside_tenant'],
        [8, 'duplicate_in_file'],
      ]);
      expect(first.errors[3].reason).toContain('row 2');
      expect(first.warnings).toEqual([{ row: 7, message: expect.stringContaining('formula') }]);

      const list = await mailboxes.listMailboxes(tenant.slug);
      expect(list.map((m) => [m.address, m.displayName, m.mobileE164])).toEqual([
        [`alice@${domain}`, 'Alice', '+4915112345678'],
        [`bob@${domain}`, 'Bob, Jr.', null],
        [`erin@${domain}`, "=cmd|' /C calc'!A0", null],
        [`frank@${domain}`, 'Frank', null],
      ]);
      expect((await mailboxes.listAliases(tenant.slug)).map((a) => a.address)).toEqual([`a.smith@${domain}`]);
      expect((await mailboxes.listGroups(tenant.slug)).map((g) => [g.address, g.members]).sort()).toEqual([
        [`all@${domain}`, [`alice@${domain}`, `bob@${domain}`]],
        [`sales@${domain}`, [`bob@${domain}`]],
      ]);
      expect((await withDb((db) => db.query('SELECT count(*)::int AS n FROM mailboxes WHERE address LIKE $1', [`%@${other.domain}`]))).rows[0].n).toBe(0);

      const snapshot = () => withDb(async (db) => (await db.query(
        `SELECT m.address, m.display_name, m.mobile_e164, m.alternate_email, m.updated_at,
                (SELECT array_agg(a.address ORDER BY a.address) FROM aliases a WHERE a.mailbox_id = m.id) AS aliases,
                (SELECT array_agg(g.address ORDER BY g.address) FROM group_members gm JOIN distribution_groups g ON g.id = gm.group_id WHERE gm.mailbox_id = m.id) AS groups
           FROM mailboxes m WHERE m.tenant_id = $1 ORDER BY m.address`, [tenant.id])).rows);
      const before = await snapshot();
      const second = await mailboxes.importCsv(tenant.slug, csv(file));
      expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 4, errorCount: 4 });
      expect(await snapshot()).toEqual(before);

      // A changed row updates only that mailbox.
      const third = await mailboxes.importCsv(tenant.slug, csv(`address,display_name,mobile,alternate_email\nbob@${domain},Robert,+15550100199,\n`));
      expect(third).toMatchObject({ created: 0, updated: 1, unchanged: 0, errorCount: 0 });
      expect((await mailboxes.findMailbox(tenant.slug, `bob@${domain}`)).mobileE164).toBe('+15550100199');
    });

    it('reports an alias that belongs to another mailbox and goes on', async () => {
      const { tenant, domain } = await tenantWithDomain();
      await mailboxes.createMailbox(tenant.slug, { address: `alice@${domain}` });
      await mailboxes.addAlias(tenant.slug, `info@${domain}`, `alice@${domain}`);
      const r = await mailboxes.importCsv(tenant.slug, csv(`address,display_name,mobile,alternate_email,aliases\nbob@${domain},Bob,,,info@${domain}\ncarol@${domain},Carol,,,\n`));
      expect(r).toMatchObject({ created: 1, errorCount: 1, errors: [{ row: 2, code: 'address_taken' }] });
      // The failed row's transaction rolled back: no half-created bob.
      await expect(mailboxes.findMailbox(tenant.slug, `bob@${domain}`)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    });

    it('refuses a file with an unknown header before touching anything', async () => {
      const { tenant, domain } = await tenantWithDomain();
      await expect(mailboxes.importCsv(tenant.slug, csv(`email,name\nx@${domain},X\n`))).rejects.toMatchObject({ code: 'csv_header_invalid' });
      expect(await mailboxes.listMailboxes(tenant.slug)).toEqual([]);
    });

    it('imports a few thousand rows streamed from a generator', async () => {
      const { tenant, domain } = await tenantWithDomain();
      function* rows() {
        yield 'address,display_name,mobile,alternate_email\n';
        for (let i = 0; i < 2000; i++) yield `user${i}@${domain},User ${i},+49151${String(1000000 + i)},\n`;
      }
      const r = await mailboxes.importCsv(tenant.slug, Readable.from(rows()));
      expect(r).toMatchObject({ rows: 2000, created: 2000, errorCount: 0 });
    }, 60000);
  });
});
