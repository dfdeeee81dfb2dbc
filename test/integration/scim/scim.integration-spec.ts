import { ApiClient, apiKeyClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../support/admin-api';
import { createTestTenant, TestTenant, withDb } from '../../support/factories';
import { filterQuery, LIST_RESPONSE, SCIM_ERROR, ScimClient, scimClient, scimFixture } from './scim-harness';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

async function mailboxRow(id: string) {
  return withDb(async (db) => (await db.query(`SELECT address, display_name, mobile_e164, alternate_email, status, external_id, tenant_id FROM mailboxes WHERE id = $1`, [id])).rows[0]);
}

function expectScimError(r: { status: number; body: any; contentType: string }, status: number, scimType?: string) {
  expect(r.status).toBe(status);
  expect(r.contentType).toContain('application/scim+json');
  expect(r.body.schemas).toEqual([SCIM_ERROR]);
  expect(r.body.status).toBe(String(status));
  expect(typeof r.body.detail).toBe('string');
  if (scimType) expect(r.body.scimType).toBe(scimType);
}

describe('SCIM 2.0', () => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  let adminA: ApiClient;
  let adminB: ApiClient;
  let scimA: ScimClient;
  let scimB: ScimClient;
  let tokenA: string;

  beforeAll(async () => {
    api = await startTestApi();
    a = await createTestTenant({ mailboxes: ['alice', 'bob'] });
    b = await createTestTenant({ mailboxes: ['zoe'] });
    adminA = await signIn(api, await createAdmin({ role: 'admin', tenantId: a.id }));
    adminB = await apiKeyClient(api, b.id, 'admin');
    const ta = await adminA.post(`/api/tenants/${a.id}/scim-tokens`, { name: 'Entra ID' });
    expect(ta.status).toBe(201);
    tokenA = ta.body.token;
    const tb = await adminB.post(`/api/tenants/${b.id}/scim-tokens`, { name: 'Okta' });
    scimA = scimClient(api, tokenA);
    scimB = scimClient(api, tb.body.token);
  });
  afterAll(() => api?.stop());

  describe('tokens', () => {
    it('are created and revoked by admins, shown once, and listed without the token', async () => {
      const viewer = await apiKeyClient(api, a.id, 'viewer');
      expect((await viewer.post(`/api/tenants/${a.id}/scim-tokens`, { name: 'x' })).status).toBe(403);
      expect((await viewer.get(`/api/tenants/${a.id}/scim-tokens`)).status).toBe(403);
      const missingName = await adminA.post(`/api/tenants/${a.id}/scim-tokens`, {});
      expect(missingName.status).toBe(400);
      expect(missingName.body.field).toBe('name');

      const created = await adminA.post(`/api/tenants/${a.id}/scim-tokens`, { name: 'to revoke' });
      expect(created.body).toMatchObject({ name: 'to revoke', revokedAt: null, scimBaseUrl: expect.stringMatching(/\/scim\/v2$/) });
      expect(created.body.token).toMatch(/^mcscim_/);
      const list = await adminA.get(`/api/tenants/${a.id}/scim-tokens`);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(created.body.token);
      expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Entra ID', 'to revoke']));
      const stored = await withDb((db) => db.query(`SELECT token_sha256 FROM scim_tokens WHERE id = $1`, [created.body.id]));
      expect(stored.rows[0].token_sha256).not.toContain(created.body.token.slice(7));

      const c = scimClient(api, created.body.token);
      expect((await c.get('/Users')).status).toBe(200);
      const used = (await adminA.get(`/api/tenants/${a.id}/scim-tokens`)).body.items.find((x: { id: string }) => x.id === created.body.id);
      expect(used.lastUsedAt).not.toBeNull();
      // Tenant B's admin cannot see or revoke tenant A's token.
      expect((await adminB.delete(`/api/tenants/${b.id}/scim-tokens/${created.body.id}`)).status).toBe(404);
      expect((await adminA.delete(`/api/tenants/${a.id}/scim-tokens/${created.body.id}`)).status).toBe(204);
      expectScimError(await c.get('/Users'), 401);

      const actions = (await auditRowsOf(a.id)).filter((r) => r.target === created.body.id).map((r) => r.action);
      expect(actions).toEqual(['scim_token.create', 'scim_token.revoke']);
    });

    it('401 in the SCIM error schema without a token or with a wrong one', async () => {
      const none = await scimClient(api, null).get('/Users');
      expectScimError(none, 401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expectScimError(await scimClient(api, 'mcscim_' + 'x'.repeat(43)).get('/Users'), 401);
      expectScimError(await scimClient(api, 'garbage').post('/Users', { userName: `x@${a.domain}` }), 401);
      // An admin API key is not a SCIM token.
      expectScimError(await scimClient(api, adminB.key as string).get('/Users'), 401);
    });
  });

  describe('Users as Entra ID provisions them', () => {
    let userId: string;

    it('looks the user up, creates it, and refuses a second create with 409 uniqueness', async () => {
      const userName = `alex.wilber@${a.domain}`;
      const miss = await scimA.get(`/Users${filterQuery(`userName eq "${userName}"`)}`);
      expect(miss.status).toBe(200);
      expect(miss.contentType).toContain('application/scim+json');
      expect(miss.body).toEqual({ schemas: [LIST_RESPONSE], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

      const created = await scimA.post('/Users', scimFixture('entra-create-user.json', { domain: a.domain }));
      expect(created.status).toBe(201);
      expect(created.contentType).toContain('application/scim+json');
      userId = created.body.id;
      expect(created.headers.get('location')).toMatch(new RegExp(`/scim/v2/Users/${userId}$`));
      expect(created.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        displayName: 'Alex Wilber',
        active: true,
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        phoneNumbers: [{ value: '+4915123456789', type: 'mobile', primary: true }],
        emails: [{ value: userName, type: 'work', primary: true }],
        meta: { resourceType: 'User' },
      });
      expect(await mailboxRow(userId)).toMatchObject({ address: userName, mobile_e164: '+4915123456789', status: 'active', external_id: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', tenant_id: a.id });

      expectScimError(await scimA.post('/Users', scimFixture('entra-create-user.json', { domain: a.domain })), 409, 'uniqueness');
      // An existing mailbox (made by the admin, not SCIM) is a duplicate userName too.
      expectScimError(await scimA.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: a.mailboxes.alice.address.toUpperCase() }), 409, 'uniqueness');
    });

    it('finds the user by userName (any case), externalId and id', async () => {
      for (const filter of [`userName eq "ALEX.WILBER@${a.domain}"`, 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', `id eq "${userId}"`, `userName sw "alex." and active eq true`]) {
        const r = await scimA.get(`/Users${filterQuery(filter)}`);
        expect({ filter, total: r.body.totalResults, id: r.body.Resources[0]?.id }).toEqual({ filter, total: 1, id: userId });
      }
      const got = await scimA.get(`/Users/${userId}`);
      expect(got.status).toBe(200);
      expect(got.body.userName).toBe(`alex.wilber@${a.domain}`);
      const projected = await scimA.get(`/Users/${userId}?attributes=userName`);
      expect(Object.keys(projected.body).sort()).toEqual(['id', 'schemas', 'userName']);
    });

    it("applies Entra's attribute PATCH, disable with \"False\", Okta's path-less deactivate, and reactivation", async () => {
      const patched = await scimA.patch(`/Users/${userId}`, scimFixture('entra-patch-user-attributes.json', { domain: a.domain }));
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ displayName: 'Alex Wilber-Smith', phoneNumbers: [{ value: '+447700900123', type: 'mobile', primary: true }], active: true });

      const disabled = await scimA.patch(`/Users/${userId}`, scimFixture('entra-patch-user-disable.json'));
      expect(disabled.status).toBe(200);
      expect(disabled.body.active).toBe(false);
      expect((await mailboxRow(userId)).status).toBe('disabled');

      const enabled = await scimA.patch(`/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: true }] });
      expect(enabled.body.active).toBe(true);
      const okta = await scimA.patch(`/Users/${userId}`, scimFixture('okta-patch-user-deactivate.json'));
      expect(okta.body.active).toBe(false);
      await scimA.patch(`/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });

      const alt = await scimA.patch(`/Users/${userId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Add', path: 'emails[type eq "other"].value', value: 'alex@home.example' }, { op: 'Remove', path: 'phoneNumbers[type eq "mobile"]' }],
      });
      expect(alt.status).toBe(200);
      expect(await mailboxRow(userId)).toMatchObject({ alternate_email: 'alex@home.example', mobile_e164: null, display_name: 'Alex Wilber-Smith', status: 'active' });

      const audit = (await auditRowsOf(a.id)).filter((r) => r.target === userId);
      expect(audit.map((r) => r.action)).toEqual(['mailbox.create', 'mailbox.update', 'mailbox.disable', 'mailbox.update', 'mailbox.disable', 'mailbox.update', 'mailbox.update']);
      expect(audit.every((r) => r.actor_kind === 'api_key' && r.actor_name === 'SCIM token "Entra ID"')).toBe(true);
    });

    it('replaces a user with PUT, keeping what the document leaves out', async () => {
      const put = await scimA.put(`/Users/${userId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `alex.wilber@${a.domain}`, displayName: 'Alex W.', active: true });
      expect(put.status).toBe(200);
      expect(await mailboxRow(userId)).toMatchObject({ display_name: 'Alex W.', alternate_email: 'alex@home.example', external_id: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef' });
    });

    it('DELETE disables the mailbox and keeps it', async () => {
      expect((await scimA.delete(`/Users/${userId}`)).status).toBe(204);
      expect(await mailboxRow(userId)).toMatchObject({ status: 'disabled', address: `alex.wilber@${a.domain}` });
      // Provisioned again later: the same mailbox, found by userName and enabled.
      const found = await scimA.get(`/Users${filterQuery(`userName eq "alex.wilber@${a.domain}"`)}`);
      expect(found.body.Resources[0]).toMatchObject({ id: userId, active: false });
    });

    it('links a mailbox the admin made before SCIM: matched by userName, then given its externalId', async () => {
      const bob = a.mailboxes.bob;
      const match = await scimA.get(`/Users${filterQuery(`userName eq "${bob.address}"`)}`);
      expect(match.body.Resources.map((u: { id: string }) => u.id)).toEqual([bob.id]);
      const linked = await scimA.patch(`/Users/${bob.id}`, scimFixture('entra-patch-user-externalid.json'));
      expect(linked.status).toBe(200);
      expect(linked.body.externalId).toBe('5f6a1f2e-3e51-4c53-9b4a-1bd6f3a0c7aa');
      const byExternal = await scimA.get(`/Users${filterQuery('externalId eq "5f6a1f2e-3e51-4c53-9b4a-1bd6f3a0c7aa"')}`);
      expect(byExternal.body.Resources.map((u: { id: string }) => u.id)).toEqual([bob.id]);
      // The same externalId on a second user is a conflict.
      expectScimError(await scimA.patch(`/Users/${userId}`, scimFixture('entra-patch-user-externalid.json')), 409, 'uniqueness');
    });

    it('renames the mailbox when userName changes, within the tenant and onto a free address only', async () => {
      const u = await scimA.post('/Users', { userName: `before.rename@${a.domain}`, displayName: 'Renamed' });
      const renamed = await scimA.patch(`/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: `After.Rename@${a.domain}` }] });
      expect(renamed.status).toBe(200);
      expect(renamed.body.userName).toBe(`after.rename@${a.domain}`);
      expect((await mailboxRow(u.body.id)).address).toBe(`after.rename@${a.domain}`);
      expectScimError(await scimA.patch(`/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: a.mailboxes.bob.address }] }), 409, 'uniqueness');
      expectScimError(await scimA.patch(`/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: `after.rename@${b.domain}` }] }), 400, 'invalidValue');
      expect((await mailboxRow(u.body.id)).address).toBe(`after.rename@${a.domain}`);
    });

    it('pages with startIndex and count', async () => {
      for (const n of ['p1', 'p2', 'p3']) expect((await scimA.post('/Users', { userName: `${n}.pager@${a.domain}` })).status).toBe(201);
      const page = await scimA.get(`/Users${filterQuery('userName co ".pager@"', '&startIndex=2&count=1')}`);
      expect(page.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 3, startIndex: 2, itemsPerPage: 1 });
      expect(page.body.Resources[0].userName).toBe(`p2.pager@${a.domain}`);
      const all = await scimA.get('/Users?count=0');
      expect(all.body.itemsPerPage).toBe(0);
      expect(all.body.totalResults).toBeGreaterThanOrEqual(6);
    });
  });

  describe('Groups', () => {
    let groupId: string;
    let userId: string;

    beforeAll(async () => {
      userId = (await scimA.post('/Users', { userName: `member.one@${a.domain}`, displayName: 'Member One' })).body.id;
    });

    it('creates a group as Entra does and finds it by displayName without members', async () => {
      const created = await scimA.post('/Groups', scimFixture('entra-create-group.json'));
      expect(created.status).toBe(201);
      groupId = created.body.id;
      expect(created.body).toMatchObject({ displayName: 'Sales Team (EU)', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', members: [] });
      const row = await withDb(async (db) => (await db.query(`SELECT address, tenant_id FROM distribution_groups WHERE id = $1`, [groupId])).rows[0]);
      expect(row).toEqual({ address: `sales-team-eu@${a.domain}`, tenant_id: a.id });

      const found = await scimA.get(`/Groups${filterQuery('displayName eq "Sales Team (EU)"', '&excludedAttributes=members')}`);
      expect(found.body.totalResults).toBe(1);
      expect(found.body.Resources[0]).not.toHaveProperty('members');
      // A second group of the same name gets the next free address.
      const twin = await scimA.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales Team (EU)' });
      expect(twin.status).toBe(201);
      const twinRow = await withDb(async (db) => (await db.query(`SELECT address FROM distribution_groups WHERE id = $1`, [twin.body.id])).rows[0]);
      expect(twinRow.address).toBe(`sales-team-eu-2@${a.domain}`);
      expectScimError(await scimA.post('/Groups', scimFixture('entra-create-group.json')), 409, 'uniqueness'); // same externalId
    });

    it('adds and removes members the ways Entra and Okta do', async () => {
      const added = await scimA.patch(`/Groups/${groupId}`, scimFixture('entra-patch-group-add-member.json', { userId }));
      expect(added.status).toBe(200);
      await scimA.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: a.mailboxes.alice.id }] }] });
      const withMember = await scimA.get(`/Groups${filterQuery(`id eq "${groupId}" and members[value eq "${userId}"]`, '&excludedAttributes=members')}`);
      expect(withMember.body.totalResults).toBe(1);
      expect((await scimA.get(`/Groups/${groupId}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual([userId, a.mailboxes.alice.id].sort());

      await scimA.patch(`/Groups/${groupId}`, scimFixture('entra-patch-group-remove-member.json', { userId }));
      await scimA.patch(`/Groups/${groupId}`, scimFixture('okta-patch-group-remove-member-filter.json', { userId: a.mailboxes.alice.id }));
      const none = await scimA.get(`/Groups${filterQuery(`id eq "${groupId}" and members[value eq "${userId}"]`)}`);
      expect(none.body.totalResults).toBe(0);
      expect((await scimA.get(`/Groups/${groupId}`)).body.members).toEqual([]);

      const renamed = await scimA.patch(`/Groups/${groupId}`, scimFixture('entra-patch-group-rename.json'));
      expect(renamed.body.displayName).toBe('Sales Team (Europe)');
      const actions = (await auditRowsOf(a.id)).filter((r) => r.target === groupId).map((r) => r.action);
      expect(actions).toEqual(['group.create', 'group.member_add', 'group.member_add', 'group.member_remove', 'group.member_remove', 'group.update']);
    });

    it('applies membership changes sent at the same time without losing one', async () => {
      const users = await Promise.all(['c1', 'c2', 'c3', 'c4'].map(async (n) => (await scimA.post('/Users', { userName: `${n}.concurrent@${a.domain}` })).body.id as string));
      const g = (await scimA.post('/Groups', { displayName: 'Concurrent' })).body.id as string;
      const results = await Promise.all(users.map((id) => scimA.patch(`/Groups/${g}`, scimFixture('entra-patch-group-add-member.json', { userId: id }))));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect((await scimA.get(`/Groups/${g}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual([...users].sort());
      await Promise.all(users.slice(0, 2).map((id) => scimA.patch(`/Groups/${g}`, scimFixture('entra-patch-group-remove-member.json', { userId: id }))));
      expect((await scimA.get(`/Groups/${g}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual(users.slice(2).sort());
    });

    it('refuses members that are not users of the tenant', async () => {
      for (const id of [b.mailboxes.zoe.id, 'not-an-id']) {
        expectScimError(await scimA.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] }), 400, 'invalidValue');
      }
      expect((await scimA.get(`/Groups/${groupId}`)).body.members).toEqual([]);
    });

    it('replaces with PUT and deletes', async () => {
      const put = await scimA.put(`/Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales', members: [{ value: userId }] });
      expect(put.status).toBe(200);
      expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
      expect((await scimA.delete(`/Groups/${groupId}`)).status).toBe(204);
      expectScimError(await scimA.get(`/Groups/${groupId}`), 404);
      expect((await mailboxRow(userId)).status).toBe('active');
    });
  });

  describe('errors', () => {
    it('answers in the SCIM error schema with the scimType a provider acts on', async () => {
      expectScimError(await scimA.get(`/Users${filterQuery('userName eq')}`), 400, 'invalidFilter');
      expectScimError(await scimA.get(`/Users${filterQuery('userName zz "x"')}`), 400, 'invalidFilter');
      expectScimError(await scimA.post('/Users', { displayName: 'no userName' }), 400, 'invalidValue');
      expectScimError(await scimA.post('/Users', { userName: 'x@elsewhere.example' }), 400, 'invalidValue');
      expectScimError(await scimA.post('/Users', { userName: `bad.mobile@${a.domain}`, phoneNumbers: [{ type: 'mobile', value: '0151 12' }] }), 400, 'invalidValue');
      expectScimError(await scimA.post('/Users', { userName: `bad.alt@${a.domain}`, emails: [{ type: 'other', value: `alt@${a.domain}` }] }), 400, 'invalidValue');
      expectScimError(await scimA.patch(`/Users/${a.mailboxes.bob.id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] }), 400, 'invalidSyntax');
      expectScimError(await scimA.patch(`/Users/${a.mailboxes.bob.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }), 400, 'invalidPath');
      expectScimError(await scimA.patch(`/Users/${a.mailboxes.bob.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }] }), 400, 'invalidValue');
      expectScimError(await scimA.request('POST', '/Users', undefined, { rawBody: '{"userName": ' }), 400, 'invalidSyntax');
      expectScimError(await scimA.get('/Users/00000000-0000-4000-8000-000000000000'), 404);
      expectScimError(await scimA.get('/Bulk'), 404);
      expect((await mailboxRow(a.mailboxes.bob.id)).status).toBe('active');
    });

    it('accepts plain application/json as well', async () => {
      const r = await scimA.request('POST', '/Users', undefined, { rawBody: JSON.stringify({ userName: `json.client@${a.domain}` }), contentType: 'application/json' });
      expect(r.status).toBe(201);
    });
  });

  describe('tenant isolation', () => {
    it("tenant B's token cannot read or touch tenant A's users and groups", async () => {
      const alice = a.mailboxes.alice;
      const before = await mailboxRow(alice.id);
      const groupA = (await scimA.post('/Groups', { displayName: 'A only' })).body.id as string;
      for (const r of [
        await scimB.get(`/Users/${alice.id}`),
        await scimB.patch(`/Users/${alice.id}`, scimFixture('entra-patch-user-disable.json')),
        await scimB.put(`/Users/${alice.id}`, { userName: alice.address, active: false }),
        await scimB.delete(`/Users/${alice.id}`),
        await scimB.get(`/Groups/${groupA}`),
        await scimB.patch(`/Groups/${groupA}`, scimFixture('entra-patch-group-rename.json')),
        await scimB.delete(`/Groups/${groupA}`),
      ]) {
        expectScimError(r, 404);
        expect(JSON.stringify(r.body)).not.toContain(alice.address);
      }
      const search = await scimB.get(`/Users${filterQuery(`userName eq "${alice.address}"`)}`);
      expect(search.body.totalResults).toBe(0);
      const all = await scimB.get('/Users');
      expect(all.body.Resources.map((u: { userName: string }) => u.userName)).toEqual([b.mailboxes.zoe.address]);
      // Nor can it create users in A's domain or put A's users in its groups.
      expectScimError(await scimB.post('/Users', { userName: `intruder@${a.domain}` }), 400, 'invalidValue');
      const groupB = (await scimB.post('/Groups', { displayName: 'B group' })).body.id as string;
      expectScimError(await scimB.patch(`/Groups/${groupB}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: alice.id }] }] }), 400, 'invalidValue');
      expect(await mailboxRow(alice.id)).toEqual(before);
      expect((await scimA.get(`/Groups/${groupA}`)).body.displayName).toBe('A only');
    });
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    const cfg = await scimA.get('/ServiceProviderConfig');
    expect(cfg.status).toBe(200);
    expect(cfg.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true }, authenticationSchemes: [{ type: 'oauthbearertoken' }] });
    const types = await scimA.get('/ResourceTypes');
    expect(types.body.Resources.map((t: { id: string; endpoint: string }) => `${t.id} ${t.endpoint}`)).toEqual(['User /Users', 'Group /Groups']);
    const schemas = await scimA.get('/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:core:2.0:Group']);
    expect((await scimA.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).body.attributes.map((x: { name: string }) => x.name)).toContain('userName');
    expectScimError(await scimA.get('/ResourceTypes/Printer'), 404);
  });
});
