import { createTestTenant, TestTenant, uniqueLabel, withDb } from '../../../support/factories';
import { anonymous, ApiClient, apiKeyClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';

jest.setTimeout(60_000);

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const PNG_URL = `data:image/png;base64,${PNG.toString('base64')}`;

const tenantRow = (id: string) => withDb(async (db) => (await db.query(`SELECT * FROM tenants WHERE id = $1`, [id])).rows[0]);

/**
 * Tenants, their settings and their outbound connectors over the admin API:
 * roles (operator, admin, viewer), validation that names the field, audit
 * rows, and another tenant's ids answered 404 without their data.
 */
describe('admin API: tenants, settings and connectors', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let other: TestTenant;
  let operator: ApiClient;
  let admin: ApiClient;
  let viewer: ApiClient;
  let otherAdmin: ApiClient;

  beforeAll(async () => {
    api = await startTestApi({ SMS_TENANT_CAP_PER_HOUR: '777' });
    tenant = await createTestTenant({});
    other = await createTestTenant({});
    operator = await signIn(api, await createAdmin({ role: 'operator' }));
    admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: tenant.id }));
    viewer = await signIn(api, await createAdmin({ role: 'viewer', tenantId: tenant.id }));
    otherAdmin = await apiKeyClient(api, other.id, 'admin');
  });

  afterAll(async () => {
    await api?.stop();
  });

  describe('tenants', () => {
    it('lists all tenants to an operator and only their own to anyone else', async () => {
      const all = await operator.get('/api/tenants');
      expect(all.status).toBe(200);
      const slugs = all.body.tenants.map((t: { slug: string }) => t.slug);
      expect(slugs).toEqual(expect.arrayContaining([tenant.slug, other.slug]));
      const own = await viewer.get('/api/tenants');
      expect(own.body.tenants).toEqual([expect.objectContaining({ id: tenant.id, slug: tenant.slug, mode: 'normal', language: 'en' })]);
      expect((await viewer.get(`/api/tenants/${tenant.id}`)).body.slug).toBe(tenant.slug);
      const theirs = await viewer.get(`/api/tenants/${other.id}`);
      expect(theirs.status).toBe(404);
      expect(JSON.stringify(theirs.body)).not.toContain(other.slug);
      expect((await anonymous(api).get('/api/tenants')).status).toBe(401);
    });

    it('lets an operator create, rename and delete a tenant; the delete must name the slug', async () => {
      const slug = uniqueLabel('new');
      const created = await operator.post('/api/tenants', { name: 'Neue Firma GmbH', slug, language: 'de', rollingWindowDays: 14 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'Neue Firma GmbH', slug, language: 'de', rollingWindowDays: 14, mode: 'normal', unknownRecipientPolicy: 'reject' });
      const id = created.body.id;
      expect((await operator.get(`/api/tenants/${id}/upstream-groups`)).body.groups.map((g: { name: string }) => g.name)).toEqual(['default']);
      expect((await operator.post('/api/tenants', { name: 'Again', slug })).status).toBe(409);

      const renamed = await operator.patch(`/api/tenants/${id}`, { name: 'Neue Firma AG', deliveryLifetimeSeconds: 86400 });
      expect(renamed.body).toMatchObject({ name: 'Neue Firma AG', deliveryLifetimeSeconds: 86400 });

      const unconfirmed = await operator.delete(`/api/tenants/${id}`, {});
      expect(unconfirmed.status).toBe(400);
      expect(unconfirmed.body.field).toBe('confirmSlug');
      const wrong = await operator.delete(`/api/tenants/${id}`, { confirmSlug: tenant.slug });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ code: 'confirmation_mismatch', field: 'confirmSlug' });

      await withDb((db) => db.query(`UPDATE tenants SET mode = 'active' WHERE id = $1`, [id]));
      const busy = await operator.delete(`/api/tenants/${id}`, { confirmSlug: slug });
      expect(busy.status).toBe(409);
      expect(busy.body.code).toBe('tenant_busy');
      await withDb((db) => db.query(`UPDATE tenants SET mode = 'normal' WHERE id = $1`, [id]));

      expect((await operator.delete(`/api/tenants/${id}`, { confirmSlug: slug })).status).toBe(204);
      expect(await tenantRow(id)).toBeUndefined();
      expect((await auditRowsOf(null)).find((r) => r.action === 'tenant.delete' && r.target === id)?.details).toEqual({ slug, name: 'Neue Firma AG' });
    });

    it('keeps creating, renaming and deleting tenants to operators, and names the field of a bad body', async () => {
      expect((await admin.post('/api/tenants', { name: 'Mine' })).status).toBe(403);
      expect((await admin.patch(`/api/tenants/${tenant.id}`, { name: 'Renamed' })).status).toBe(403);
      expect((await admin.delete(`/api/tenants/${tenant.id}`, { confirmSlug: tenant.slug })).status).toBe(403);
      expect((await anonymous(api).post('/api/tenants', { name: 'x' })).status).toBe(401);
      const noName = await operator.post('/api/tenants', { slug: uniqueLabel('s') });
      expect(noName.status).toBe(400);
      expect(noName.body.field).toBe('name');
      const badSlug = await operator.post('/api/tenants', { name: 'x', slug: 'Not A Slug' });
      expect(badSlug.body.field).toBe('slug');
      const badLifetime = await operator.patch(`/api/tenants/${tenant.id}`, { deliveryLifetimeSeconds: 5 });
      expect(badLifetime.status).toBe(400);
      expect(badLifetime.body.field).toBe('deliveryLifetimeSeconds');
      expect((await tenantRow(tenant.id)).name).toBe(tenant.slug);
    });
  });

  describe('settings', () => {
    const url = () => `/api/tenants/${tenant.id}/settings`;

    it('shows the defaults to a viewer', async () => {
      const res = await viewer.get(url());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        rollingWindowDays: 30,
        unknownRecipientPolicy: 'reject',
        rejectOnDmarcFail: false,
        language: 'en',
        webmail: { brandName: null, logoDataUrl: null, primaryColor: null, practiceSignin: false },
        sms: { sender: null, templates: {}, capPerHour: null, effectiveCapPerHour: 777 },
      });
      expect(res.body.continuity).toMatchObject({ upstreamKind: expect.any(String), effectivePolicy: expect.any(String), failureThreshold: expect.any(Number) });
    });

    it('lets an admin change every part, and keeps what is not named', async () => {
      const body = {
        continuity: { policy: 'confirm', failureThreshold: 6, failureWindowSeconds: 300, confirmTimeoutSeconds: 900, canaryAddress: 'Canary@Example.COM' },
        rollingWindowDays: 45,
        unknownRecipientPolicy: 'passthrough',
        rejectOnDmarcFail: true,
        language: 'de',
        webmail: { brandName: ' Demo Mail ', logoDataUrl: PNG_URL, primaryColor: '#1A2B3C', practiceSignin: true },
        sms: { sender: 'DemoCorp', templates: { de: { credentials: '{tenant}: Code {code}, Link {link}, gültig {lifetime}' }, en: { backToNormal: '{tenant}: back to normal.' } }, capPerHour: 50 },
      };
      const res = await admin.patch(url(), body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        continuity: { policy: 'confirm', effectivePolicy: 'confirm', failureThreshold: 6, failureWindowSeconds: 300, confirmTimeoutSeconds: 900, canaryAddress: 'canary@example.com' },
        rollingWindowDays: 45,
        unknownRecipientPolicy: 'passthrough',
        rejectOnDmarcFail: true,
        language: 'de',
        webmail: { brandName: 'Demo Mail', logoDataUrl: PNG_URL, primaryColor: '#1a2b3c', practiceSignin: true },
        sms: { sender: 'DemoCorp', templates: body.sms.templates, capPerHour: 50, effectiveCapPerHour: 50 },
      });
      const row = await tenantRow(tenant.id);
      expect(row).toMatchObject({ reject_on_dmarc_fail: true, webmail_practice_signin: true, webmail_brand_name: 'Demo Mail', webmail_primary_color: '#1a2b3c', sms_sender: 'DemoCorp', sms_cap_per_hour: 50, failure_threshold: 6, language: 'de' });

      const partial = await admin.patch(url(), { webmail: { primaryColor: null }, sms: { capPerHour: null } });
      expect(partial.body.webmail).toEqual({ brandName: 'Demo Mail', logoDataUrl: PNG_URL, primaryColor: null, practiceSignin: true });
      expect(partial.body.sms).toMatchObject({ sender: 'DemoCorp', capPerHour: null, effectiveCapPerHour: 777 });
      expect(partial.body.continuity.failureThreshold).toBe(6);

      const audit = (await auditRowsOf(tenant.id)).filter((r) => r.action === 'settings.update');
      expect(audit).toHaveLength(2);
      // The logo is summarised in the audit log, not copied into it.
      expect(JSON.stringify(audit[0].details)).not.toContain(PNG.toString('base64'));
    });

    it.each([
      ['webmail.primaryColor', { webmail: { primaryColor: 'red' } }],
      ['webmail.logoDataUrl', { webmail: { logoDataUrl: `data:image/svg+xml;base64,${Buffer.from('<svg onload="alert(1)"/>').toString('base64')}` } }],
      ['webmail.logoDataUrl', { webmail: { logoDataUrl: `data:image/png;base64,${Buffer.concat([PNG, Buffer.alloc(70_000)]).toString('base64')}` } }],
      ['webmail.logoDataUrl', { webmail: { logoDataUrl: `data:image/png;base64,${Buffer.from('GIF89a not a png at all').toString('base64')}` } }],
      ['webmail.brandName', { webmail: { brandName: '' } }],
      ['sms.templates.en.credentials', { sms: { templates: { en: { credentials: 'Your code is {code}' } } } }],
      ['sms.templates.de.backToNormal', { sms: { templates: { de: { backToNormal: '{tenant} {code}' } } } }],
      ['sms.templates.fr', { sms: { templates: { fr: { backToNormal: 'x' } } } }],
      ['sms.sender', { sms: { sender: 'A sender that is far too long' } }],
      ['sms.sender', { sms: { sender: '+0049123' } }],
      ['sms.capPerHour', { sms: { capPerHour: -1 } }],
      ['continuity.failureThreshold', { continuity: { failureThreshold: 0 } }],
      ['continuity.policy', { continuity: { policy: 'sometimes' } }],
      ['rollingWindowDays', { rollingWindowDays: 0 }],
      ['language', { language: 'fr' }],
      ['unknownRecipientPolicy', { unknownRecipientPolicy: 'accept' }],
      ['rejectOnDmarcFail', { rejectOnDmarcFail: 'yes' }],
    ])('refuses a bad %s, naming it', async (field, body) => {
      const before = await tenantRow(tenant.id);
      const res = await admin.patch(url(), body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request', field });
      expect(await tenantRow(tenant.id)).toEqual(before);
    });

    it('lets an admin lower the hourly SMS cap but only an operator raise it above the service cap', async () => {
      const above = await admin.patch(url(), { sms: { capPerHour: 20_001 } });
      expect(above.status).toBe(403);
      expect(above.body).toMatchObject({ code: 'sms_cap_above_service_cap' });
      expect((await admin.patch(url(), { sms: { capPerHour: 100 } })).body.sms).toMatchObject({ capPerHour: 100, effectiveCapPerHour: 100 });
      const raised = await operator.patch(url(), { sms: { capPerHour: 50_000 } });
      expect(raised.status).toBe(200);
      expect(raised.body.sms).toMatchObject({ capPerHour: 50_000, effectiveCapPerHour: 50_000 });
      await operator.patch(url(), { sms: { capPerHour: null } });
    });

    it('is read-only for viewers and closed to other tenants and strangers', async () => {
      expect((await viewer.patch(url(), { language: 'en' })).status).toBe(403);
      expect((await anonymous(api).get(url())).status).toBe(401);
      expect((await anonymous(api).patch(url(), { language: 'en' })).status).toBe(401);
      const theirs = await otherAdmin.get(url());
      expect(theirs.status).toBe(404);
      expect(JSON.stringify(theirs.body)).not.toContain('DemoCorp');
      expect((await otherAdmin.patch(url(), { language: 'en' })).status).toBe(404);
    });
  });

  it('documents the routes and their bodies in the OpenAPI document', async () => {
    const doc = (await anonymous(api).get('/api/docs-json')).body;
    for (const path of ['/api/tenants', '/api/tenants/{tenantId}', '/api/tenants/{tenantId}/settings', '/api/tenants/{tenantId}/domains/{domainId}/dns-check', '/api/tenants/{tenantId}/upstream-groups/{groupId}/test', '/api/tenants/{tenantId}/connectors']) {
      expect(doc.paths[path]).toBeDefined();
    }
    const settingsBody = doc.paths['/api/tenants/{tenantId}/settings'].patch.requestBody.content['application/json'].schema;
    expect(Object.keys(settingsBody.properties)).toEqual(expect.arrayContaining(['continuity', 'webmail', 'sms', 'rollingWindowDays']));
  });

  describe('outbound connectors', () => {
    const url = () => `/api/tenants/${tenant.id}/connectors`;

    it('adds a connector with SMTP AUTH, shows its password once, renews and removes it', async () => {
      const added = await admin.post(url(), { name: 'Exchange', sourceCidrs: ['192.0.2.0/24'], auth: true });
      expect(added.status).toBe(201);
      expect(added.body.connector).toMatchObject({ name: 'exchange', sourceCidrs: ['192.0.2.0/24'], authUsername: `${tenant.slug}.exchange`, requireTls: true, enabled: true });
      expect(added.body.password).toEqual(expect.any(String));
      const listed = await viewer.get(url());
      expect(listed.body.connectors).toEqual([expect.objectContaining({ id: added.body.connector.id, name: 'exchange' })]);
      expect(JSON.stringify(listed.body)).not.toContain(added.body.password);
      expect(JSON.stringify(listed.body)).not.toMatch(/hash|password/i);

      const renewed = await admin.post(`${url()}/${added.body.connector.id}/password`);
      expect(renewed.status).toBe(200);
      expect(renewed.body.password).toEqual(expect.any(String));
      expect(renewed.body.password).not.toBe(added.body.password);

      const audit = (await auditRowsOf(tenant.id)).filter((r) => r.action.startsWith('connector.'));
      expect(audit.map((r) => r.action)).toEqual(['connector.create', 'connector.password']);
      expect(JSON.stringify(audit)).not.toContain(added.body.password);
      expect(JSON.stringify(audit)).not.toContain(renewed.body.password);

      expect((await admin.delete(`${url()}/${added.body.connector.id}`)).status).toBe(204);
      expect((await viewer.get(url())).body.connectors).toEqual([]);
    });

    it('names the field of a bad body, refuses viewers, and hides other tenants’ connectors', async () => {
      const nothing = await admin.post(url(), { name: 'empty' });
      expect(nothing.status).toBe(400);
      expect(nothing.body.field).toBe('sourceCidrs');
      const badName = await admin.post(url(), { name: '!bad', auth: true });
      expect(badName.body.field).toBe('name');
      const badCidr = await admin.post(url(), { name: 'x', sourceCidrs: ['300.1.2.3/8'] });
      expect(badCidr.status).toBe(400);
      expect((await viewer.post(url(), { name: 'v', auth: true })).status).toBe(403);
      expect((await anonymous(api).get(url())).status).toBe(401);

      const theirs = (await otherAdmin.post(`/api/tenants/${other.id}/connectors`, { name: 'theirs', sourceCidrs: ['198.51.100.7'] })).body.connector;
      expect(theirs.sourceCidrs).toEqual(['198.51.100.7/32']);
      for (const r of [await admin.delete(`${url()}/${theirs.id}`), await admin.post(`${url()}/${theirs.id}/password`), await admin.get(`/api/tenants/${other.id}/connectors`)]) {
        expect(r.status).toBe(404);
        expect(JSON.stringify(r.body)).not.toContain('198.51.100.7');
      }
      expect((await otherAdmin.get(`/api/tenants/${other.id}/connectors`)).body.connectors).toHaveLength(1);
    });
  });
});
