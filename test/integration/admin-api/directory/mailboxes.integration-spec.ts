import { auditRowsOf } from '../../../support/admin-api';
import { withDb } from '../../../support/factories';
import { DirectoryWorld, startDirectoryWorld } from './directory-harness';

describe('admin API: mailboxes', () => {
  let w: DirectoryWorld;
  let base: string;
  beforeAll(async () => {
    w = await startDirectoryWorld();
    base = `/api/tenants/${w.a.id}/mailboxes`;
  });
  afterAll(() => w?.api.stop());

  it('needs credentials, and the admin role to change anything', async () => {
    expect((await w.anon.get(base)).status).toBe(401);
    expect((await w.anon.post(base, { address: `x@${w.a.domain}` })).status).toBe(401);
    const viewerList = await w.viewerA.get(base);
    expect(viewerList.status).toBe(200);
    const refused = await w.viewerA.post(base, { address: `x@${w.a.domain}` });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    expect((await w.viewerA.patch(`${base}/${w.a.mailboxes.alice.id}`, { displayName: 'x' })).status).toBe(403);
    expect((await w.viewerA.delete(`${base}/${w.a.mailboxes.alice.id}`)).status).toBe(403);
    expect((await w.viewerA.request('POST', `${base}/import`, 'address,display_name,mobile,alternate_email\r\n', { raw: true, headers: { 'content-type': 'text/csv' } })).status).toBe(403);
  });

  it('creates, reads, changes and disables a mailbox, and audits each change', async () => {
    const created = await w.adminA.post(base, { address: ` Carol.King@${w.a.domain.toUpperCase()} `, displayName: 'Carol King', mobile: '+49 151 555 0100', alternateEmail: 'carol@home.example' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ address: `carol.king@${w.a.domain}`, displayName: 'Carol King', mobile: '+491515550100', alternateEmail: 'carol@home.example', status: 'active', kind: 'user', externalId: null });
    const id = created.body.id as string;

    const detail = await w.viewerA.get(`${base}/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id, aliases: [], groups: [], sharedMailboxes: [] });

    const patched = await w.adminA.patch(`${base}/${id}`, { displayName: 'Carol Queen', mobile: null, alternateEmail: '' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: 'Carol Queen', mobile: null, alternateEmail: null });

    const disabled = await w.adminA.delete(`${base}/${id}`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    // Disabling keeps the row (and with it the standby copy).
    expect((await w.viewerA.get(`${base}/${id}`)).body.status).toBe('disabled');
    expect((await w.adminA.patch(`${base}/${id}`, { status: 'active' })).body.status).toBe('active');

    const audit = (await auditRowsOf(w.a.id)).filter((r) => r.target === id);
    expect(audit.map((r) => r.action)).toEqual(['mailbox.create', 'mailbox.update', 'mailbox.disable', 'mailbox.update']);
    expect(JSON.stringify(audit)).not.toContain('+491515550100');
  });

  it('lists a page at a time and searches address and display name', async () => {
    for (const n of ['pg1', 'pg2', 'pg3']) expect((await w.adminA.post(base, { address: `${n}@${w.a.domain}`, displayName: `Pager ${n}` })).status).toBe(201);
    const page = await w.viewerA.get(`${base}?q=pager&limit=2&offset=0`);
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.body.items.map((m: { address: string }) => m.address)).toEqual([`pg1@${w.a.domain}`, `pg2@${w.a.domain}`]);
    const next = await w.viewerA.get(`${base}?q=PAGER&limit=2&offset=2`);
    expect(next.body.items.map((m: { address: string }) => m.address)).toEqual([`pg3@${w.a.domain}`]);
    expect((await w.viewerA.get(`${base}?q=${encodeURIComponent('%')}`)).body.total).toBe(0); // LIKE wildcards are literal
    const bad = await w.viewerA.get(`${base}?limit=1000`);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('limit');
  });

  it('answers 400 naming the field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ address: `m1@${w.a.domain}`, mobile: '0151 12' }, 'mobile', 'mobile_invalid'],
      [{ address: `m2@${w.a.domain}`, alternateEmail: `m2b@${w.a.domain}` }, 'alternateEmail', 'alternate_email_invalid'],
      [{ address: 'nobody@elsewhere.example' }, 'address', 'address_outside_tenant'],
      [{ address: 'no at sign' }, 'address', 'address_invalid'],
      [{ displayName: 'no address' }, 'address', 'invalid_request'],
      [{ address: `m3@${w.a.domain}`, kind: 'robot' }, 'kind', 'invalid_request'],
    ];
    for (const [body, field, code] of cases) {
      const r = await w.adminA.post(base, body);
      expect({ status: r.status, field: r.body.field, code: r.body.code }).toEqual({ status: 400, field, code });
    }
    const unknown = await w.adminA.post(base, { address: `m4@${w.a.domain}`, colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('colour');
    const empty = await w.adminA.patch(`${base}/${w.a.mailboxes.alice.id}`, {});
    expect(empty.status).toBe(400);
    const taken = await w.adminA.post(base, { address: w.a.mailboxes.alice.address });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('address_taken');
  });

  it('documents the directory and SCIM routes in the OpenAPI document', async () => {
    const doc = await w.anon.get('/api/docs-json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    for (const p of ['/api/tenants/{tenantId}/mailboxes', '/api/tenants/{tenantId}/mailboxes/import', '/api/tenants/{tenantId}/mailboxes/export.csv', '/api/tenants/{tenantId}/aliases', '/api/tenants/{tenantId}/groups/{groupId}/members', '/api/tenants/{tenantId}/shared-mailboxes/{mailboxId}/members/{memberId}', '/api/tenants/{tenantId}/scim-tokens', '/scim/v2/Users/{id}', '/scim/v2/Groups']) {
      expect(paths).toContain(p);
    }
    expect(doc.body.paths['/api/tenants/{tenantId}/mailboxes'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('mobile');
  });

  it("answers 404 for another tenant's mailbox and never shows its data", async () => {
    const zoe = w.b.mailboxes.zoe;
    for (const r of [
      await w.adminA.get(`${base}/${zoe.id}`),
      await w.adminA.patch(`${base}/${zoe.id}`, { displayName: 'stolen' }),
      await w.adminA.delete(`${base}/${zoe.id}`),
      await w.adminA.get(`${base}/not-a-uuid`),
    ]) {
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain(zoe.address);
    }
    // Tenant B's admin on tenant A's path: the guard's 404.
    expect((await w.adminB.get(base)).status).toBe(404);
    expect((await w.adminB.get(`${base}/${w.a.mailboxes.alice.id}`)).status).toBe(404);
    const untouched = await withDb((db) => db.query(`SELECT display_name, status FROM mailboxes WHERE id = $1`, [zoe.id]));
    expect(untouched.rows[0]).toEqual({ display_name: 'zoe', status: 'active' });
  });
});
