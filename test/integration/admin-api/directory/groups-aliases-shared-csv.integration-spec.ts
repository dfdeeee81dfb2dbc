import { auditRowsOf } from '../../../support/admin-api';
import { withDb } from '../../../support/factories';
import { csvFixture, DirectoryWorld, startDirectoryWorld } from './directory-harness';

describe('admin API: aliases, groups, shared mailboxes, CSV', () => {
  let w: DirectoryWorld;
  let t: string;
  beforeAll(async () => {
    w = await startDirectoryWorld();
    t = `/api/tenants/${w.a.id}`;
  });
  afterAll(() => w?.api.stop());

  describe('aliases', () => {
    it('adds, lists and removes an alias; viewers only read', async () => {
      const alice = w.a.mailboxes.alice;
      expect((await w.anon.get(`${t}/aliases`)).status).toBe(401);
      expect((await w.viewerA.post(`${t}/aliases`, { address: `al@${w.a.domain}`, mailboxId: alice.id })).status).toBe(403);
      const created = await w.adminA.post(`${t}/aliases`, { address: `Al@${w.a.domain}`, mailboxId: alice.id });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ address: `al@${w.a.domain}`, mailboxId: alice.id, mailboxAddress: alice.address });
      expect((await w.viewerA.get(`${t}/aliases?mailboxId=${alice.id}`)).body.items.map((x: { address: string }) => x.address)).toEqual([`al@${w.a.domain}`]);
      expect((await w.viewerA.get(`${t}/mailboxes/${alice.id}`)).body.aliases).toEqual([{ id: created.body.id, address: `al@${w.a.domain}` }]);

      const taken = await w.adminA.post(`${t}/aliases`, { address: w.a.mailboxes.bob.address, mailboxId: alice.id });
      expect([taken.status, taken.body.code]).toEqual([409, 'address_taken']);
      const outside = await w.adminA.post(`${t}/aliases`, { address: `al@${w.b.domain}`, mailboxId: alice.id });
      expect([outside.status, outside.body.field]).toEqual([400, 'address']);
      const badId = await w.adminA.post(`${t}/aliases`, { address: `al2@${w.a.domain}`, mailboxId: 'nope' });
      expect([badId.status, badId.body.field]).toEqual([400, 'mailboxId']);

      expect((await w.viewerA.delete(`${t}/aliases/${created.body.id}`)).status).toBe(403);
      expect((await w.adminA.delete(`${t}/aliases/${created.body.id}`)).status).toBe(204);
      expect((await w.adminA.delete(`${t}/aliases/${created.body.id}`)).status).toBe(404);
      expect((await auditRowsOf(w.a.id)).filter((r) => r.target === created.body.id).map((r) => r.action)).toEqual(['alias.create', 'alias.delete']);
    });

    it("keeps tenants apart: another tenant's mailbox or alias is not found", async () => {
      const zoeAlias = await w.adminB.post(`/api/tenants/${w.b.id}/aliases`, { address: `z@${w.b.domain}`, mailboxId: w.b.mailboxes.zoe.id });
      expect(zoeAlias.status).toBe(201);
      expect((await w.adminA.post(`${t}/aliases`, { address: `steal@${w.a.domain}`, mailboxId: w.b.mailboxes.zoe.id })).status).toBe(404);
      expect((await w.adminA.delete(`${t}/aliases/${zoeAlias.body.id}`)).status).toBe(404);
      expect((await w.adminA.get(`${t}/aliases`)).body.items.map((x: { address: string }) => x.address)).not.toContain(`z@${w.b.domain}`);
      expect((await w.adminB.get(`/api/tenants/${w.b.id}/aliases`)).body.items).toHaveLength(1);
    });
  });

  describe('distribution groups', () => {
    it('creates a group with members, adds, removes, renames and deletes', async () => {
      const { alice, bob } = w.a.mailboxes;
      expect((await w.viewerA.post(`${t}/groups`, { address: `sales@${w.a.domain}` })).status).toBe(403);
      const created = await w.adminA.post(`${t}/groups`, { address: `sales@${w.a.domain}`, displayName: 'Sales', memberIds: [alice.id] });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.body).toMatchObject({ address: `sales@${w.a.domain}`, displayName: 'Sales', memberCount: 1, members: [{ id: alice.id, address: alice.address }] });

      const added = await w.adminA.post(`${t}/groups/${id}/members`, { mailboxId: bob.id });
      expect(added.status).toBe(200);
      expect(added.body.memberCount).toBe(2);
      expect((await w.adminA.post(`${t}/groups/${id}/members`, { mailboxId: bob.id })).body.memberCount).toBe(2); // twice is fine
      expect((await w.viewerA.get(`${t}/groups?q=SAL`)).body.items).toEqual([expect.objectContaining({ id, memberCount: 2 })]);

      const removed = await w.adminA.delete(`${t}/groups/${id}/members/${alice.id}`);
      expect(removed.body.members.map((m: { id: string }) => m.id)).toEqual([bob.id]);
      expect((await w.adminA.delete(`${t}/groups/${id}/members/${alice.id}`)).status).toBe(404);
      expect((await w.adminA.patch(`${t}/groups/${id}`, { displayName: 'Sales DE' })).body.displayName).toBe('Sales DE');
      const renamedBad = await w.adminA.patch(`${t}/groups/${id}`, { displayName: 42 });
      expect([renamedBad.status, renamedBad.body.field]).toEqual([400, 'displayName']);

      expect((await w.adminA.delete(`${t}/groups/${id}`)).status).toBe(204);
      expect((await w.viewerA.get(`${t}/groups/${id}`)).status).toBe(404);
      expect((await w.viewerA.get(`${t}/mailboxes/${bob.id}`)).body.status).toBe('active');
      expect((await auditRowsOf(w.a.id)).filter((r) => r.target === id).map((r) => r.action)).toEqual(['group.create', 'group.member_add', 'group.member_remove', 'group.update', 'group.delete']);
    });

    it("refuses another tenant's mailbox as a member and another tenant's group", async () => {
      const g = await w.adminA.post(`${t}/groups`, { address: `ops@${w.a.domain}` });
      const zoe = w.b.mailboxes.zoe;
      const viaCreate = await w.adminA.post(`${t}/groups`, { address: `ops2@${w.a.domain}`, memberIds: [zoe.id] });
      expect(viaCreate.status).toBe(404);
      expect(JSON.stringify(viaCreate.body)).not.toContain(zoe.address);
      expect((await w.adminA.post(`${t}/groups/${g.body.id}/members`, { mailboxId: zoe.id })).status).toBe(404);
      const bGroup = await w.adminB.post(`/api/tenants/${w.b.id}/groups`, { address: `team@${w.b.domain}`, memberIds: [zoe.id] });
      for (const r of [
        await w.adminA.get(`${t}/groups/${bGroup.body.id}`),
        await w.adminA.patch(`${t}/groups/${bGroup.body.id}`, { displayName: 'x' }),
        await w.adminA.delete(`${t}/groups/${bGroup.body.id}`),
        await w.adminA.delete(`${t}/groups/${bGroup.body.id}/members/${zoe.id}`),
      ]) {
        expect(r.status).toBe(404);
        expect(JSON.stringify(r.body)).not.toContain(zoe.address);
      }
      expect((await w.adminB.get(`/api/tenants/${w.b.id}/groups/${bGroup.body.id}`)).body.memberCount).toBe(1);
    });
  });

  describe('shared mailboxes', () => {
    it('adds members, toggles send-as and removes them', async () => {
      const { alice, bob } = w.a.mailboxes;
      const shared = await w.adminA.post(`${t}/mailboxes`, { address: `info@${w.a.domain}`, displayName: 'Info', kind: 'shared' });
      expect(shared.body.kind).toBe('shared');
      const base = `${t}/shared-mailboxes/${shared.body.id}`;
      expect((await w.viewerA.post(`${base}/members`, { mailboxId: alice.id })).status).toBe(403);
      const added = await w.adminA.post(`${base}/members`, { mailboxId: alice.id });
      expect(added.status).toBe(200);
      expect(added.body.members).toEqual([expect.objectContaining({ mailboxId: alice.id, canSendAs: true })]);
      await w.adminA.post(`${base}/members`, { mailboxId: bob.id, canSendAs: false });
      const toggled = await w.adminA.patch(`${base}/members/${alice.id}`, { canSendAs: false });
      expect(toggled.body.members.map((m: { mailboxId: string; canSendAs: boolean }) => [m.mailboxId, m.canSendAs]).sort()).toEqual([[alice.id, false], [bob.id, false]].sort());
      expect((await w.viewerA.get(`${t}/mailboxes/${alice.id}`)).body.sharedMailboxes).toEqual([{ id: shared.body.id, address: `info@${w.a.domain}`, displayName: 'Info', canSendAs: false }]);
      expect((await w.viewerA.get(`${t}/shared-mailboxes`)).body.items.map((s: { id: string }) => s.id)).toContain(shared.body.id);

      const notShared = await w.adminA.post(`${t}/shared-mailboxes/${bob.id}/members`, { mailboxId: alice.id });
      expect([notShared.status, notShared.body.code]).toEqual([404, 'shared_mailbox_not_found']);
      const sharedAsMember = await w.adminA.post(`${t}/mailboxes`, { address: `helpdesk@${w.a.domain}`, kind: 'shared' });
      const refused = await w.adminA.post(`${base}/members`, { mailboxId: sharedAsMember.body.id });
      expect([refused.status, refused.body.code]).toEqual([400, 'member_invalid']);
      expect((await w.adminA.post(`${base}/members`, { mailboxId: w.b.mailboxes.zoe.id })).status).toBe(404);
      const badBody = await w.adminA.patch(`${base}/members/${alice.id}`, { canSendAs: 'yes' });
      expect([badBody.status, badBody.body.field]).toEqual([400, 'canSendAs']);

      const removed = await w.adminA.delete(`${base}/members/${bob.id}`);
      expect(removed.body.members.map((m: { mailboxId: string }) => m.mailboxId)).toEqual([alice.id]);
      expect((await w.adminA.delete(`${base}/members/${bob.id}`)).status).toBe(404);
      expect((await w.adminA.patch(`${base}/members/${bob.id}`, { canSendAs: true })).status).toBe(404);
      expect((await w.adminB.get(`/api/tenants/${w.b.id}/shared-mailboxes/${shared.body.id}`)).status).toBe(404);
      const actions = (await auditRowsOf(w.a.id)).filter((r) => r.target === shared.body.id).map((r) => r.action);
      expect(actions).toEqual(['mailbox.create', 'shared_mailbox.member_add', 'shared_mailbox.member_add', 'shared_mailbox.member_update', 'shared_mailbox.member_remove']);
    });
  });

  describe('CSV import and export', () => {
    const importCsv = (csv: string, query = '', contentType = 'text/csv') => w.adminA.request('POST', `${t}/mailboxes/import${query}`, csv, { raw: true, headers: { 'content-type': contentType } });

    it('imports the good rows, reports each broken row with its line, and re-imports without changes', async () => {
      const csv = csvFixture('mixed-rows.csv', w.a.domain);
      const dry = await importCsv(csv, '?dryRun=true');
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dryRun: true, created: 3, errorCount: 6 });
      expect((await w.viewerA.get(`${t}/mailboxes?q=anna.berg`)).body.total).toBe(0); // a dry run saves nothing

      const first = await importCsv(csv);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ dryRun: false, rows: 9, created: 3, updated: 0, unchanged: 0, errorCount: 6 });
      expect(first.body.errors.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([
        [3, 'address_invalid'],
        [4, 'mobile_invalid'],
        [6, 'address_outside_tenant'],
        [7, 'alternate_email_invalid'],
        [8, 'duplicate_in_file'],
        [9, 'csv_column_count'],
      ]);
      expect(first.body.warnings).toEqual([expect.objectContaining({ row: 5 })]);
      const anna = (await w.viewerA.get(`${t}/mailboxes?q=anna.berg`)).body.items[0];
      expect(anna).toMatchObject({ mobile: '+4915111112222', alternateEmail: 'anna.berg@private.example' });
      const annaDetail = (await w.viewerA.get(`${t}/mailboxes/${anna.id}`)).body;
      expect(annaDetail.aliases.map((x: { address: string }) => x.address)).toEqual([`a.berg@${w.a.domain}`]);
      expect(annaDetail.groups.map((x: { address: string }) => x.address)).toEqual([`team@${w.a.domain}`]);

      const again = await importCsv(csv);
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3, errorCount: 6 });
      const imports = (await auditRowsOf(w.a.id)).filter((r) => r.action === 'mailbox.import');
      expect(imports).toHaveLength(2); // the dry run is not a change
    });

    it('refuses a raw CSV body over the size limit, also one sent without Content-Length', async () => {
      const header = 'address,display_name,mobile,alternate_email\r\n';
      const big = header + `big@${w.a.domain},${'x'.repeat(1000)},,\r\n`.repeat(52_000); // about 53 MB
      const declared = await importCsv(big);
      expect([declared.status, declared.body.code]).toEqual([413, 'too_large']);
      // Streamed in chunks (no Content-Length): cut off at the limit.
      const chunks = (function* () {
        yield Buffer.from(header);
        const row = Buffer.from(`big@${w.a.domain},${'x'.repeat(1000)},,\r\n`.repeat(1000));
        for (let i = 0; i < 52; i++) yield row;
      })();
      const streamed = await fetch(new URL(`${t}/mailboxes/import?dryRun=true`, w.api.url), {
        method: 'POST',
        body: ReadableStream.from(chunks),
        duplex: 'half',
        headers: { 'content-type': 'text/csv', cookie: w.adminA.cookie as string, 'x-csrf-token': w.adminA.csrfToken as string },
      } as RequestInit);
      expect(streamed.status).toBe(413);
    });

    it('takes a multipart upload too, and refuses other bodies', async () => {
      const form = new FormData();
      form.append('file', new Blob([`address,display_name,mobile,alternate_email\r\nuploaded@${w.a.domain},Up Loaded,,\r\n`], { type: 'text/csv' }), 'people.csv');
      const res = await fetch(new URL(`${t}/mailboxes/import`, w.api.url), { method: 'POST', body: form, headers: { cookie: w.adminA.cookie as string, 'x-csrf-token': w.adminA.csrfToken as string } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ created: 1, errorCount: 0 });
      const json = await w.adminA.post(`${t}/mailboxes/import`, { rows: [] });
      expect([json.status, json.body.code]).toEqual([415, 'unsupported_media_type']);
      const header = await importCsv('email,name\r\nx@y.example,X\r\n');
      expect([header.status, header.body.code]).toEqual([400, 'csv_header_invalid']);
    });

    it('exports the import format with formula cells guarded, and the export imports back unchanged', async () => {
      const res = await w.viewerA.request('GET', `${t}/mailboxes/export.csv`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/csv');
      expect(res.headers.get('content-disposition')).toContain('attachment');
      const csv = res.body as string;
      const lines = csv.split('\r\n');
      expect(lines[0]).toBe('address,display_name,mobile,alternate_email,aliases,groups');
      const dora = lines.find((l) => l.startsWith(`dora.eck@${w.a.domain}`)) as string;
      expect(dora).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
      expect(dora).toContain(",'+4915133334444,");
      expect(lines.find((l) => l.startsWith(`ivan.jung@${w.a.domain}`))).toContain('"Jung, Ivan"');
      // No exported cell starts with a character a spreadsheet would evaluate.
      for (const line of lines.slice(1).filter(Boolean)) {
        for (const cell of line.split(',')) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
      }
      expect(csv).not.toContain(w.b.mailboxes.zoe.address);

      const reimport = await importCsv(csv);
      expect(reimport.body).toMatchObject({ created: 0, updated: 0, errorCount: 0 });
      const dbDora = await withDb(async (db) => (await db.query(`SELECT display_name, mobile_e164 FROM mailboxes WHERE address = $1`, [`dora.eck@${w.a.domain}`])).rows[0]);
      expect(dbDora).toEqual({ display_name: '=HYPERLINK("http://evil.example")', mobile_e164: '+4915133334444' });
      expect((await w.anon.get(`${t}/mailboxes/export.csv`)).status).toBe(401);
      expect((await w.adminB.get(`${t}/mailboxes/export.csv`)).status).toBe(404);
    });
  });
});
