import { UpstreamHealthStore } from '@app/continuity';
import { addGroup, createTestTenant, insertTestMessage, TestTenant, uniqueLabel, withDb } from '../../../support/factories';
import { anonymous, apiKeyClient, ApiClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';

jest.setTimeout(60_000);

const RAW = 'From: a@external.example\r\nTo: b@example\r\nSubject: s\r\n\r\nbody\r\n';
let mobileSeq = 0;
const mobile = () => `+4917${String(Date.now()).slice(-6)}${String(mobileSeq++).padStart(2, '0')}`;

async function setMobile(mailboxId: string, value: string | null): Promise<void> {
  await withDb((db) => db.query(`UPDATE mailboxes SET mobile_e164 = $2 WHERE id = $1`, [mailboxId, value]));
}

async function insertText(t: TestTenant, mailboxId: string, state: string, createdAgoSeconds = 10): Promise<void> {
  await withDb((db) =>
    db.query(
      `INSERT INTO sms_messages (tenant_id, mailbox_id, to_e164, kind, state, last_error, created_at, status_at)
       VALUES ($1, $2, '+4917000000001', 'credentials', $3, $4, now() - make_interval(secs => $5), now() - make_interval(secs => $5))`,
      [t.id, mailboxId, state, state === 'failed' ? 'twilio 21610' : null, createdAgoSeconds],
    ),
  );
}

/**
 * The continuity pages an admin reads — status, readiness, audit log and
 * reports — and the guard's answers on the mutations: 401 without
 * credentials, 403 for a viewer, 404 for another tenant's ids with no data,
 * 400 naming the field. No worker runs here, so every figure is the one the
 * test put in the database.
 */
describe('continuity status, readiness and audit over the admin API', () => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  let admin: ApiClient;
  let viewer: ApiClient;
  let adminOfB: ApiClient;
  let adminEmail: string;
  const created: TestTenant[] = [];
  const tenant = async (spec: Parameters<typeof createTestTenant>[0]) => {
    const x = await createTestTenant(spec);
    created.push(x);
    return x;
  };

  beforeAll(async () => {
    api = await startTestApi();
    a = await tenant({ mailboxes: ['anna', 'ben', 'cara'], upstreams: [{ host: '127.0.0.1', port: 9 }] });
    b = await tenant({ mailboxes: ['bob'] });
    await setMobile(a.mailboxes.anna.id, mobile());
    await setMobile(a.mailboxes.ben.id, mobile());
    const adm = await createAdmin({ role: 'admin', tenantId: a.id });
    adminEmail = adm.email;
    admin = await signIn(api, adm);
    viewer = await apiKeyClient(api, a.id, 'viewer');
    adminOfB = await signIn(api, await createAdmin({ role: 'admin', tenantId: b.id }));
  });

  afterAll(async () => {
    // Nothing left for a later worker: no pending mail, no probes that could activate these tenants.
    for (const t of created) {
      await withDb(async (db) => {
        await db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1 AND state IN ('queued','deferred','held')`, [t.id]);
        await db.query(`UPDATE tenants SET continuity_policy = 'manual' WHERE id = $1`, [t.id]);
        await db.query(`UPDATE sms_messages SET state = 'failed', last_error = 'test over' WHERE tenant_id = $1 AND state IN ('queued','sending')`, [t.id]);
      });
    }
    await api?.stop();
  });

  it('answers 401 without credentials, 403 to a viewer who activates, 404 to another tenant, 400 naming the field', async () => {
    const anon = anonymous(api);
    expect((await anon.get(`/api/tenants/${a.id}/continuity`)).status).toBe(401);
    expect((await anon.post(`/api/tenants/${a.id}/continuity/activate`, { reason: 'x' })).status).toBe(401);
    expect((await anon.get(`/api/tenants/${a.id}/readiness`)).status).toBe(401);

    expect((await viewer.get(`/api/tenants/${a.id}/continuity`)).status).toBe(200);
    for (const path of ['activate', 'confirm', 'end', 'drill/end', 'credentials']) {
      const r = await viewer.post(`/api/tenants/${a.id}/continuity/${path}`, { reason: 'I am only a viewer', all: true });
      expect(r.status).toBe(403);
    }
    expect((await viewer.post(`/api/tenants/${a.id}/continuity/drill`, { reason: 'x', all: true })).status).toBe(403);

    for (const r of [
      await adminOfB.get(`/api/tenants/${a.id}/continuity`),
      await adminOfB.post(`/api/tenants/${a.id}/continuity/activate`, { reason: 'not mine' }),
      await adminOfB.get(`/api/tenants/${a.id}/readiness`),
      await adminOfB.get(`/api/tenants/${a.id}/continuity/audit`),
      await adminOfB.get(`/api/tenants/${a.id}/continuity/audit.csv`),
      await adminOfB.get(`/api/tenants/${a.id}/continuity/events`),
    ]) {
      expect(r.status).toBe(404);
      expect(Object.keys(r.body).sort()).toEqual(['code', 'message', 'statusCode']);
    }

    const noReason = await admin.post(`/api/tenants/${a.id}/continuity/activate`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ statusCode: 400, code: 'invalid_request', field: 'reason' });
    expect((await admin.post(`/api/tenants/${a.id}/continuity/end`, { reason: '   ' })).body).toMatchObject({ field: 'reason' });
    expect((await admin.post(`/api/tenants/${a.id}/continuity/drill`, { reason: 'rehearsal' })).body).toMatchObject({ statusCode: 400, field: 'mailboxIds' });
    expect((await admin.post(`/api/tenants/${a.id}/continuity/credentials`, {})).body).toMatchObject({ statusCode: 400, field: 'mailboxIds' });
    expect((await admin.get(`/api/tenants/${a.id}/continuity/audit?limit=0`)).body).toMatchObject({ statusCode: 400, field: 'limit' });
    expect((await admin.get(`/api/tenants/${a.id}/continuity/audit?from=yesterday`)).body).toMatchObject({ statusCode: 400, field: 'from' });

    // A mailbox or group of another tenant is unknown here, and nothing is queued.
    const foreign = await admin.post(`/api/tenants/${a.id}/continuity/credentials`, { mailboxIds: [b.mailboxes.bob.id] });
    expect(foreign.body).toMatchObject({ statusCode: 404, code: 'mailbox_not_found' });
    const foreignDrill = await admin.post(`/api/tenants/${a.id}/continuity/drill`, { reason: 'x', mailboxIds: [b.mailboxes.bob.address] });
    expect(foreignDrill.status).toBe(404);
    expect((await admin.post(`/api/tenants/${a.id}/continuity/credentials`, { group: `nobody@${a.domain}` })).body).toMatchObject({ statusCode: 404, code: 'group_not_found' });
    expect(await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM sms_messages WHERE tenant_id = ANY($1)`, [[a.id, b.id]])).rows[0].n)).toBe(0);
    // Ending what never started is the state machine's 409, audited as refused.
    const refused = await admin.post(`/api/tenants/${a.id}/continuity/end`, { reason: 'nothing to end' });
    expect(refused.status).toBe(409);
    expect((await auditRowsOf(a.id)).find((r) => r.action === 'continuity.end.refused')).toMatchObject({ actor_name: adminEmail, details: { reason: 'nothing to end' } });
    expect((await withDb((db) => db.query(`SELECT mode FROM tenants WHERE id = $1`, [a.id]))).rows[0].mode).toBe('normal');
  });

  it('shows mode, policy, upstream history, held and pending mail, mirror lag and where the texts stand', async () => {
    const t = await tenant({ mailboxes: ['anna', 'ben'], upstreams: [{ host: '127.0.0.1', port: 9 }] });
    const c = await signIn(api, await createAdmin({ role: 'viewer', tenantId: t.id }));
    const health = api.app.get(UpstreamHealthStore);
    const upstreamId = (await withDb((db) => db.query(`SELECT id FROM upstreams WHERE tenant_id = $1`, [t.id]))).rows[0].id;
    await health.record(t.id, upstreamId, 'probe', true, 'ehlo: 250 ok (3 ms)', new Date(Date.now() - 60_000));
    await health.record(t.id, upstreamId, 'probe', false, 'connect: ECONNREFUSED (1 ms)', new Date(Date.now() - 30_000));

    // Three messages indexed 1 s, 2 s and 10 s after acceptance, one still waiting for 5 minutes.
    const now = Date.now();
    for (const lag of [1000, 2000, 10_000]) {
      const m = await insertTestMessage(t, { raw: RAW, recipients: [], receivedAt: new Date(now - 60_000) });
      await withDb((db) => db.query(`UPDATE messages SET index_state = 'indexed', indexed_at = received_at + make_interval(secs => $2) WHERE id = $1`, [m.messageId, lag / 1000]));
    }
    await insertTestMessage(t, { raw: RAW, recipients: [], receivedAt: new Date(now - 300_000) });
    // Held and deferred mail.
    const held = await insertTestMessage(t, { raw: RAW, recipients: [t.mailboxes.anna.address, t.mailboxes.ben.address] });
    await withDb((db) => db.query(`UPDATE messages SET index_state = 'indexed', indexed_at = received_at WHERE id = $1`, [held.messageId]));
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'held', held_at = now() WHERE message_id = $1 AND recipient = $2`, [held.messageId, t.mailboxes.anna.address]));
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'deferred', next_attempt_at = now() + interval '1 hour' WHERE message_id = $1 AND recipient = $2`, [held.messageId, t.mailboxes.ben.address]));
    // Texts: four waiting, one delivered, one failed; the tenant's cap leaves room for three more this hour.
    for (let i = 0; i < 4; i++) await insertText(t, t.mailboxes.anna.id, 'queued');
    await insertText(t, t.mailboxes.ben.id, 'delivered');
    await insertText(t, t.mailboxes.ben.id, 'failed');
    await insertText(t, t.mailboxes.ben.id, 'delivered', 3 * 86400); // older than the look-back: not counted
    await withDb((db) => db.query(`UPDATE tenants SET sms_cap_per_hour = 3 WHERE id = $1`, [t.id]));

    const r = await c.get(`/api/tenants/${t.id}/continuity`);
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s).toMatchObject({ tenantId: t.id, mode: 'normal', policy: { kind: 'automatic', chosen: null, upstreamKind: 'on-premises', failureThreshold: 4 }, drillMailboxIds: [], event: null });
    expect(s.breaker).toEqual({ tripped: expect.any(Boolean), state: expect.any(String), override: expect.any(String) });
    expect(s.upstreams).toHaveLength(1);
    expect(s.upstreams[0]).toMatchObject({ id: upstreamId, host: '127.0.0.1', port: 9, state: 'failing', consecutiveFailures: 1, lastDetail: 'connect: ECONNREFUSED (1 ms)' });
    expect(s.upstreams[0].recent.map((o: { ok: boolean; source: string }) => [o.source, o.ok])).toEqual([['probe', false], ['probe', true]]);
    expect(s.deliveries).toEqual({ held: 1, pending: 1, deferred: 1 });
    expect(s.mirrorLag).toMatchObject({ windowMinutes: 15, samples: 4, maxMs: 10_000, unindexed: 1 });
    expect(s.mirrorLag.p50Ms).toBeGreaterThanOrEqual(1000);
    expect(s.mirrorLag.p50Ms).toBeLessThanOrEqual(2000);
    expect(s.mirrorLag.oldestUnindexedAgeMs).toBeGreaterThanOrEqual(299_000);
    expect(s.texts).toMatchObject({ queued: 4, delivered: 1, failed: 1, remaining: 4, capPerHour: 3, capRemainingThisHour: 3, blockedByCap: 1, estimatedSecondsUntilAllSent: null });

    // With room under the cap the estimate is the queue at the sender's rate.
    await withDb((db) => db.query(`UPDATE tenants SET sms_cap_per_hour = NULL WHERE id = $1`, [t.id]));
    const again = (await c.get(`/api/tenants/${t.id}/continuity`)).body.texts;
    expect(again.blockedByCap).toBe(0);
    expect(again.estimatedSecondsUntilAllSent).toBe(Math.ceil(4 / again.sendRatePerSecond));
  });

  it('reports readiness: domains, missing mobile numbers, texts not delivered, employees who never signed in', async () => {
    const t = await tenant({ mailboxes: ['anna', 'ben', 'cara', 'dora'] });
    const c = await signIn(api, await createAdmin({ role: 'viewer', tenantId: t.id }));
    for (const l of ['anna', 'ben', 'dora']) await setMobile(t.mailboxes[l].id, mobile());
    const pending = `${uniqueLabel('pending')}.example`;
    const domainId = (await withDb((db) => db.query(`INSERT INTO tenant_domains (tenant_id, name, verification_token) VALUES ($1, $2, 'tok') RETURNING id`, [t.id, pending]))).rows[0].id;
    // anna's latest text failed; ben's failed once and then arrived; dora's was stopped by the cap.
    await insertText(t, t.mailboxes.anna.id, 'failed');
    await insertText(t, t.mailboxes.ben.id, 'failed', 60);
    await insertText(t, t.mailboxes.ben.id, 'delivered', 5);
    await insertText(t, t.mailboxes.dora.id, 'capped');
    // ben signed in to the webmail once; dora has an account but never signed in.
    await withDb(async (db) => {
      await db.query(`INSERT INTO webmail_accounts (mailbox_id, tenant_id, last_signin_at) VALUES ($1, $2, now())`, [t.mailboxes.ben.id, t.id]);
      await db.query(`INSERT INTO webmail_accounts (mailbox_id, tenant_id) VALUES ($1, $2)`, [t.mailboxes.dora.id, t.id]);
    });

    const r = await c.get(`/api/tenants/${t.id}/readiness?limit=1`);
    expect(r.status).toBe(200);
    expect(r.body.ready).toBe(false);
    expect(r.body.domains).toEqual({ count: 1, blocking: true, items: [{ id: domainId, name: pending, verified: false, problems: ['not_verified'], dnsCheck: { domainId, href: `/api/tenants/${t.id}/domains/${domainId}/dns-check` } }] });
    expect(r.body.mobileNumbers).toEqual({ count: 1, total: 4, blocking: true, items: [{ id: t.mailboxes.cara.id, address: t.mailboxes.cara.address, displayName: 'cara' }] });
    expect(r.body.texts.count).toBe(2);
    expect(r.body.texts.items).toEqual([expect.objectContaining({ mailboxId: t.mailboxes.anna.id, state: 'failed', lastError: 'twilio 21610' })]);
    expect(r.body.webmailSignIn).toMatchObject({ available: true, count: 3, total: 4, blocking: false });
    expect(r.body.webmailSignIn.items).toEqual([{ id: t.mailboxes.anna.id, address: t.mailboxes.anna.address, displayName: 'anna' }]);

    const all = (await c.get(`/api/tenants/${t.id}/readiness`)).body;
    expect(all.texts.items.map((i: { state: string }) => i.state).sort()).toEqual(['capped', 'failed']);
    expect(all.webmailSignIn.items.map((i: { id: string }) => i.id).sort()).toEqual([t.mailboxes.anna.id, t.mailboxes.cara.id, t.mailboxes.dora.id].sort());

    // Fixed: the domain verified, cara's number added, new texts delivered. Never-signed-in only advises.
    await withDb(async (db) => {
      await db.query(`UPDATE tenant_domains SET verified_at = now(), verified_by = 'operator' WHERE id = $1`, [domainId]);
    });
    await setMobile(t.mailboxes.cara.id, mobile());
    for (const l of ['anna', 'dora']) await insertText(t, t.mailboxes[l].id, 'delivered', 1);
    const fixed = (await c.get(`/api/tenants/${t.id}/readiness`)).body;
    expect(fixed).toMatchObject({ ready: true, domains: { count: 0 }, mobileNumbers: { count: 0 }, texts: { count: 0 }, webmailSignIn: { count: 3 } });
  });

  it('sends credentials to a group and names the mailboxes without a mobile number, audited', async () => {
    await addGroup(a, `team@${a.domain}`, ['anna', 'cara']);
    const r = await admin.post(`/api/tenants/${a.id}/continuity/credentials`, { group: `team@${a.domain}`, reason: 'new phones' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ queued: 1, mailboxes: 2, withoutMobile: [{ id: a.mailboxes.cara.id, address: a.mailboxes.cara.address }] });
    const rows = await withDb(async (db) => (await db.query(`SELECT mailbox_id, kind, state FROM sms_messages WHERE tenant_id = $1`, [a.id])).rows);
    expect(rows).toEqual([{ mailbox_id: a.mailboxes.anna.id, kind: 'credentials', state: 'queued' }]);
    expect((await auditRowsOf(a.id)).filter((x) => x.action === 'continuity.credentials.send').at(-1)).toMatchObject({
      actor_name: adminEmail,
      target: `group:team@${a.domain}`,
      details: { reason: 'new phones', queued: 1, mailboxes: 2, withoutMobile: 1 },
    });
    await withDb((db) => db.query(`UPDATE sms_messages SET state = 'failed', last_error = 'test over' WHERE tenant_id = $1 AND state = 'queued'`, [a.id]));
  });

  it('merges transitions and admin requests into one audit log, filtered and paged, and exports it as CSV', async () => {
    await withDb((db) =>
      db.query(
        `INSERT INTO continuity_transitions (tenant_id, from_mode, to_mode, event, actor, reason, effects_completed_at, created_at)
         VALUES ($1, 'normal', 'normal', 'activation-requested', 'policy', 'upstream failing', now(), now() - interval '1 hour')`,
        [a.id],
      ),
    );
    const r = await viewer.get(`/api/tenants/${a.id}/continuity/audit`);
    expect(r.status).toBe(200);
    const items = r.body.items as Array<{ at: string; source: string; action: string; actor: string; reason: string | null }>;
    expect(items.map((i) => i.source)).toEqual(expect.arrayContaining(['admin', 'continuity']));
    expect(items.map((i) => i.at)).toEqual([...items.map((i) => i.at)].sort().reverse());
    expect(items.find((i) => i.source === 'continuity')).toMatchObject({ action: 'continuity.activation-requested', actor: 'policy', reason: 'upstream failing' });
    expect(items.find((i) => i.action === 'continuity.credentials.send')).toMatchObject({ source: 'admin', actor: adminEmail, reason: 'new phones' });

    const onlyCredentials = (await viewer.get(`/api/tenants/${a.id}/continuity/audit?action=continuity.credentials.send`)).body.items;
    expect(onlyCredentials.length).toBeGreaterThanOrEqual(1);
    expect(onlyCredentials.every((i: { action: string }) => i.action === 'continuity.credentials.send')).toBe(true);
    const byPolicy = (await viewer.get(`/api/tenants/${a.id}/continuity/audit?actor=poli`)).body.items;
    expect(byPolicy.map((i: { actor: string }) => i.actor)).toEqual(['policy']);
    const lastHalfHour = (await viewer.get(`/api/tenants/${a.id}/continuity/audit?from=${new Date(Date.now() - 1800_000).toISOString()}`)).body.items;
    expect(lastHalfHour.find((i: { source: string }) => i.source === 'continuity')).toBeUndefined();

    const first = (await viewer.get(`/api/tenants/${a.id}/continuity/audit?limit=1`)).body;
    const second = (await viewer.get(`/api/tenants/${a.id}/continuity/audit?limit=1&offset=1`)).body;
    expect(first).toMatchObject({ limit: 1, offset: 0, hasMore: true });
    expect(first.items).toEqual([items[0]]);
    expect(second.items).toEqual([items[1]]);

    const csv = await viewer.get(`/api/tenants/${a.id}/continuity/audit.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('attachment');
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('at,source,action,actor,target,reason,details');
    expect(lines).toHaveLength(items.length + 1);
    expect(lines.some((l) => l.includes('continuity.activation-requested') && l.includes('upstream failing'))).toBe(true);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await anonymous(api).get('/api/docs-json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    for (const p of ['/api/tenants/{tenantId}/continuity', '/api/tenants/{tenantId}/continuity/activate', '/api/tenants/{tenantId}/continuity/audit.csv', '/api/tenants/{tenantId}/readiness', '/api/tenants/{tenantId}/queue/messages/{messageId}/purge', '/api/operator/circuit-breaker']) {
      expect(paths).toContain(p);
    }
    expect(JSON.stringify(doc.body.paths['/api/tenants/{tenantId}/continuity/activate'].post)).toContain('reason');
  });

  it('lists events and answers a report only for the tenant’s own events', async () => {
    const ev = (await withDb((db) => db.query(`INSERT INTO continuity_events (tenant_id, started_at, ended_at) VALUES ($1, now() - interval '2 hours', now() - interval '1 hour') RETURNING id`, [b.id]))).rows[0].id;
    expect((await admin.get(`/api/tenants/${a.id}/continuity/events`)).body).toEqual({ items: [] });
    const none = await admin.get(`/api/tenants/${a.id}/continuity/events/latest/report`);
    expect(none.body).toMatchObject({ statusCode: 404, code: 'event_not_found' });
    const foreign = await admin.get(`/api/tenants/${a.id}/continuity/events/${ev}/report`);
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain(b.id);

    const own = await adminOfB.get(`/api/tenants/${b.id}/continuity/events`);
    expect(own.body.items).toEqual([expect.objectContaining({ id: ev, reportStored: false, endedAt: expect.any(String) })]);
    const report = await adminOfB.get(`/api/tenants/${b.id}/continuity/events/${ev}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ tenantId: b.id, eventId: ev, totals: { receivedDuringEvent: 0, pending: 0 }, allAccountedFor: true });
    expect((await adminOfB.get(`/api/tenants/${b.id}/continuity/events`)).body.items[0].reportStored).toBe(true);
  });
});
