import { randomUUID } from 'node:crypto';
import { createTestTenant, TestTenant, withDb } from '../../support/factories';
import { anonymous, apiKeyClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../support/admin-api';

describe('admin API keys, roles and tenant isolation', () => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([createTestTenant(), createTestTenant()]);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('creates a key that works as a Bearer token, shows its secret once, and stops it when revoked', async () => {
    const admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: a.id }));
    const created = await admin.post(`/api/tenants/${a.id}/api-keys`, { name: 'monitoring', role: 'viewer' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^mcak_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.secret.startsWith(created.body.prefix)).toBe(true);
    const stored = await withDb(async (db) => (await db.query(`SELECT * FROM api_keys WHERE id = $1`, [created.body.id])).rows[0]);
    expect(JSON.stringify(stored)).not.toContain(created.body.secret.slice(14));

    const listed = await admin.get(`/api/tenants/${a.id}/api-keys`);
    expect(listed.body.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ name: 'monitoring', role: 'viewer', createdBy: admin.admin!.email, revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    const bearer = { authorization: `Bearer ${created.body.secret}` };
    const viaKey = await anonymous(api).request('GET', '/api/auth/session', undefined, { headers: bearer });
    expect(viaKey.status).toBe(200);
    expect(viaKey.body.user).toMatchObject({ role: 'viewer', tenantId: a.id });

    expect((await admin.delete(`/api/tenants/${a.id}/api-keys/${created.body.id}`)).status).toBe(204);
    const revoked = await anonymous(api).request('GET', '/api/auth/session', undefined, { headers: bearer });
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('unauthenticated');
    expect((await auditRowsOf(a.id)).map((r) => r.action)).toEqual(expect.arrayContaining(['api_key.create', 'api_key.revoke']));
    expect(JSON.stringify(await auditRowsOf(a.id))).not.toContain(created.body.secret);
  });

  it('refuses an unknown or malformed key with 401', async () => {
    for (const key of ['mcak_00000000_' + 'A'.repeat(43), 'nonsense']) {
      const r = await anonymous(api).request('GET', `/api/tenants/${a.id}/api-keys`, undefined, { headers: { authorization: `Bearer ${key}` } });
      expect(r.status).toBe(401);
    }
  });

  it("answers 404 tenant_not_found for another tenant's id, a malformed or unknown one", async () => {
    const keyA = await apiKeyClient(api, a.id, 'admin');
    const adminA = await signIn(api, await createAdmin({ role: 'admin', tenantId: a.id }));
    for (const c of [keyA, adminA]) {
      for (const tenantId of [b.id, 'not-a-uuid', randomUUID()]) {
        const r = await c.get(`/api/tenants/${tenantId}/api-keys`);
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ statusCode: 404, code: 'tenant_not_found', message: 'no such tenant' });
        expect((await c.post(`/api/tenants/${tenantId}/api-keys`, { name: 'x', role: 'viewer' })).status).toBe(404);
      }
    }
    // A key id of tenant B, reached through tenant A's path, is not found either.
    const keyB = await apiKeyClient(api, b.id, 'viewer');
    expect((await adminA.delete(`/api/tenants/${a.id}/api-keys/${keyB.keyId}`)).status).toBe(404);
    expect((await keyB.get('/api/auth/session')).status).toBe(200);
  });

  it('gives a viewer 403 naming the role on an admin route, by session and by key', async () => {
    const viewer = await signIn(api, await createAdmin({ role: 'viewer', tenantId: a.id }));
    const viewerKey = await apiKeyClient(api, a.id, 'viewer');
    for (const c of [viewer, viewerKey]) {
      const r = await c.post(`/api/tenants/${a.id}/api-keys`, { name: 'x', role: 'viewer' });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('forbidden');
      expect(r.body.message).toMatch(/needs the admin role/);
    }
    const adminOnOperatorRoute = await (await signIn(api, await createAdmin({ role: 'admin', tenantId: a.id }))).get(`/api/tenants/${a.id}/admins`);
    expect(adminOnOperatorRoute.status).toBe(403);
    expect(adminOnOperatorRoute.body.message).toMatch(/needs the operator role/);
  });

  it('lets an operator see and manage any tenant, and the admins it creates sign in and enrol', async () => {
    const operator = await signIn(api, await createAdmin({ role: 'operator' }));
    for (const t of [a, b]) expect((await operator.get(`/api/tenants/${t.id}/api-keys`)).status).toBe(200);
    expect((await operator.get(`/api/tenants/${randomUUID()}/api-keys`)).status).toBe(404);

    const email = `New.Admin.${Date.now()}@B.example`;
    const created = await operator.post(`/api/tenants/${b.id}/admins`, { email, name: 'New Admin', role: 'admin', password: 'a long enough password' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: email.toLowerCase(), role: 'admin', tenantId: b.id, totpEnabled: false });
    expect((await operator.post(`/api/tenants/${b.id}/admins`, { email, name: 'Again', role: 'admin', password: 'a long enough password' })).status).toBe(409);
    expect((await operator.post(`/api/tenants/${b.id}/admins`, { email: `x${email}`, name: 'Weak', role: 'viewer', password: 'short' })).body.code).toBe('weak_password');

    const login = await anonymous(api).post('/api/auth/login', { email, password: 'a long enough password' });
    expect(login.body.mfa).toBe('enrol');

    // Through tenant A's path the admin of B does not exist.
    expect((await operator.patch(`/api/tenants/${a.id}/admins/${created.body.id}`, { name: 'x' })).status).toBe(404);
    const renamed = await operator.patch(`/api/tenants/${b.id}/admins/${created.body.id}`, { name: 'Renamed', role: 'viewer' });
    expect(renamed.body).toMatchObject({ name: 'Renamed', role: 'viewer' });
    expect((await operator.get(`/api/tenants/${b.id}/admins`)).body.map((u: { id: string }) => u.id)).toContain(created.body.id);
    expect((await operator.delete(`/api/tenants/${b.id}/admins/${created.body.id}`)).status).toBe(204);
    expect((await auditRowsOf(b.id)).map((r) => r.action)).toEqual(expect.arrayContaining(['admin.create', 'admin.update', 'admin.delete']));
  });

  it('keeps operators without a tenant and everyone else with one (database constraint)', async () => {
    await expect(withDb((db) => db.query(`INSERT INTO admin_users (email, name, password_hash, role) VALUES ('x@y.example', 'x', 'x', 'admin')`))).rejects.toThrow(/admin_users_tenant_by_role/);
    await expect(withDb((db) => db.query(`INSERT INTO admin_users (tenant_id, email, name, password_hash, role) VALUES ($1, 'o@y.example', 'x', 'x', 'operator')`, [a.id]))).rejects.toThrow(/admin_users_tenant_by_role/);
  });
});
