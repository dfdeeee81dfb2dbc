import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '@app/blob-store';
import { ContinuityService, UpstreamHealthStore } from '@app/continuity';
import { createTestTenant, insertTestMessage, TestTenant, withDb } from '../../../support/factories';
import { anonymous, ApiClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';

jest.setTimeout(60_000);

const RAW = (subject: string) => `From: sender@external.example\r\nTo: someone\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@external.example>\r\n\r\nbody\r\n`;

async function deferredMessage(t: TestTenant, subject: string, recipients: string[], mailFrom = 'sender@external.example') {
  const m = await insertTestMessage(t, { raw: RAW(subject), recipients, mailFrom, mirrorMailboxIds: [t.mailboxes.anna.id] });
  await withDb(async (db) => {
    await db.query(`UPDATE messages SET subject = $2 WHERE id = $1`, [m.messageId, subject]);
    await db.query(
      `UPDATE deliveries SET state = 'deferred', attempts = 2, next_attempt_at = now() + interval '1 hour', last_reply = '451 4.4.1 try later', last_route = '127.0.0.1:9' WHERE message_id = $1`,
      [m.messageId],
    );
  });
  const rows = await withDb(async (db) => (await db.query(`SELECT id, recipient FROM deliveries WHERE message_id = $1 ORDER BY recipient`, [m.messageId])).rows);
  return { ...m, deliveries: rows as Array<{ id: string; recipient: string }> };
}

const deliveryRow = (id: string) => withDb(async (db) => (await db.query(`SELECT * FROM deliveries WHERE id = $1`, [id])).rows[0]);

/**
 * The operator's queue tools (inspect, retry, bounce, purge) and the circuit
 * breaker override: operators only, every change audited with who and why,
 * another tenant's ids answered 404, and the override honoured by the state
 * machine.
 */
describe('operator tools', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let other: TestTenant;
  let operator: ApiClient;
  let admin: ApiClient;
  let operatorEmail: string;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTestTenant({ mailboxes: ['anna', 'ben'] });
    other = await createTestTenant({ mailboxes: ['anna'] });
    const op = await createAdmin({ role: 'operator' });
    operatorEmail = op.email;
    operator = await signIn(api, op);
    admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: tenant.id }));
  });

  afterAll(async () => {
    // The breaker is global: give it back to the automatic count for every later test.
    await withDb((db) => db.query(`UPDATE continuity_circuit_breaker SET override = 'auto', reason = ''`));
    // No pending mail left for a later worker (the DSN of the bounce test included).
    for (const t of [tenant, other]) if (t) await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1 AND state IN ('queued','deferred','held')`, [t.id]));
    await api?.stop();
  });

  it('is for operators only: 401 without credentials, 403 for a tenant admin', async () => {
    const anon = anonymous(api);
    expect((await anon.get(`/api/tenants/${tenant.id}/queue`)).status).toBe(401);
    expect((await anon.get('/api/operator/circuit-breaker')).status).toBe(401);
    const r = await admin.get(`/api/tenants/${tenant.id}/queue`);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ statusCode: 403, code: expect.any(String) });
    expect((await admin.post(`/api/tenants/${tenant.id}/queue/retry`, { all: true })).status).toBe(403);
    expect((await admin.get('/api/operator/circuit-breaker')).status).toBe(403);
    expect((await admin.post('/api/operator/circuit-breaker', { override: 'force-open', reason: 'x' })).status).toBe(403);
  });

  it('lists what is not final with state, route, attempts, next attempt, last reply, size and subject', async () => {
    const m = await deferredMessage(tenant, 'Quarterly figures', [tenant.mailboxes.anna.address]);
    const r = await operator.get(`/api/tenants/${tenant.id}/queue?state=deferred`);
    expect(r.status).toBe(200);
    const item = r.body.items.find((i: { messageId: string }) => i.messageId === m.messageId);
    expect(item).toMatchObject({
      id: m.deliveries[0].id,
      queueId: m.queueId,
      state: 'deferred',
      recipient: tenant.mailboxes.anna.address,
      routeKind: 'upstream',
      attempts: 2,
      lastReply: '451 4.4.1 try later',
      lastRoute: '127.0.0.1:9',
      leased: false,
      message: { direction: 'inbound', mailFrom: 'sender@external.example', subject: 'Quarterly figures', sizeBytes: expect.any(Number) },
    });
    expect(r.body.total).toBeGreaterThanOrEqual(1);
    expect(new Date(item.nextAttemptAt).getTime()).toBeGreaterThan(Date.now());
    // Never another tenant's rows.
    const o = await operator.get(`/api/tenants/${other.id}/queue`);
    expect(o.body.items.find((i: { messageId: string }) => i.messageId === m.messageId)).toBeUndefined();
    expect((await operator.get(`/api/tenants/${tenant.id}/queue?state=delivered`)).body).toMatchObject({ statusCode: 400, field: 'state' });
  });

  it('retries one delivery now, audited; another tenant’s delivery is a 404', async () => {
    const m = await deferredMessage(tenant, 'Retry me', [tenant.mailboxes.ben.address]);
    const id = m.deliveries[0].id;
    const foreign = await operator.post(`/api/tenants/${other.id}/queue/retry`, { deliveryId: id });
    expect(foreign.status).toBe(404);
    expect(new Date((await deliveryRow(id)).next_attempt_at).getTime()).toBeGreaterThan(Date.now());

    const r = await operator.post(`/api/tenants/${tenant.id}/queue/retry`, { deliveryId: id, reason: 'upstream fixed' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ retried: 1 });
    expect(new Date((await deliveryRow(id)).next_attempt_at).getTime()).toBeLessThanOrEqual(Date.now());
    const audit = (await auditRowsOf(tenant.id)).filter((a) => a.action === 'queue.retry');
    expect(audit.at(-1)).toMatchObject({ actor_name: operatorEmail, target: `delivery:${id}`, details: { reason: 'upstream fixed', retried: 1 } });

    expect((await operator.post(`/api/tenants/${tenant.id}/queue/retry`, {})).body).toMatchObject({ statusCode: 400, field: 'deliveryId' });
  });

  it('retries every deferred delivery of the tenant', async () => {
    const a = await deferredMessage(tenant, 'All one', [tenant.mailboxes.anna.address]);
    const b = await deferredMessage(tenant, 'All two', [tenant.mailboxes.ben.address]);
    const o = await deferredMessage(other, 'Not this one', [other.mailboxes.anna.address]);
    const r = await operator.post(`/api/tenants/${tenant.id}/queue/retry`, { all: true });
    expect(r.status).toBe(201);
    expect(r.body.retried).toBeGreaterThanOrEqual(2);
    for (const d of [a.deliveries[0], b.deliveries[0]]) expect(new Date((await deliveryRow(d.id)).next_attempt_at).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date((await deliveryRow(o.deliveries[0].id)).next_attempt_at).getTime()).toBeGreaterThan(Date.now());
  });

  it('bounces a delivery with a DSN to the sender, needs a reason and records who', async () => {
    const m = await deferredMessage(tenant, 'Bounce me', [tenant.mailboxes.anna.address], 'someone@far.example');
    const id = m.deliveries[0].id;
    const noReason = await operator.post(`/api/tenants/${tenant.id}/queue/${id}/bounce`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ code: 'invalid_request', field: 'reason' });
    expect((await operator.post(`/api/tenants/${other.id}/queue/${id}/bounce`, { reason: 'x' })).status).toBe(404);

    const r = await operator.post(`/api/tenants/${tenant.id}/queue/${id}/bounce`, { reason: 'sender asked us to stop it' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ bounced: 1, dsnQueueId: expect.any(String) });
    const row = await deliveryRow(id);
    expect(row).toMatchObject({ state: 'bounced', dsn_queue_id: r.body.dsnQueueId, lease_owner: null });
    expect(row.last_reply).toContain('sender asked us to stop it');
    const dsn = await withDb(async (db) => (await db.query(`SELECT m.direction, d.recipient, d.state FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE m.queue_id = $1`, [r.body.dsnQueueId])).rows);
    expect(dsn).toEqual([{ direction: 'dsn', recipient: 'someone@far.example', state: 'queued' }]);
    const audit = (await auditRowsOf(tenant.id)).filter((a) => a.action === 'queue.bounce');
    expect(audit.at(-1)).toMatchObject({ actor_name: operatorEmail, target: `delivery:${id}`, details: { reason: 'sender asked us to stop it', queueId: m.queueId, dsnQueueId: r.body.dsnQueueId } });

    // A final delivery cannot be bounced again.
    expect((await operator.post(`/api/tenants/${tenant.id}/queue/${id}/bounce`, { reason: 'again' })).body).toMatchObject({ statusCode: 409, code: 'delivery_final' });
  });

  it('purges a message only with a reason, removes its deliveries, mirror entries and blob, and audits what went', async () => {
    const m = await deferredMessage(tenant, 'Purge me', [tenant.mailboxes.anna.address, tenant.mailboxes.ben.address]);
    const path = `/api/tenants/${tenant.id}/queue/messages/${m.messageId}/purge`;
    expect((await operator.post(path, { reason: '  ' })).body).toMatchObject({ statusCode: 400, field: 'reason' });
    expect((await operator.post(`/api/tenants/${other.id}/queue/messages/${m.messageId}/purge`, { reason: 'x' })).status).toBe(404);
    expect(await withDb(async (db) => (await db.query(`SELECT 1 FROM messages WHERE id = $1`, [m.messageId])).rowCount)).toBe(1);

    // A worker attempting it right now: not behind its back.
    await withDb((db) => db.query(`UPDATE deliveries SET lease_owner = 'w1', lease_expires_at = now() + interval '1 minute' WHERE message_id = $1 AND recipient = $2`, [m.messageId, tenant.mailboxes.anna.address]));
    expect((await operator.post(path, { reason: 'malware' })).body).toMatchObject({ statusCode: 409, code: 'delivery_in_flight' });
    await withDb((db) => db.query(`UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE message_id = $1`, [m.messageId]));

    const blobPath = new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs')).pathOf(m.blobKey);
    expect(existsSync(blobPath)).toBe(true);
    const r = await operator.post(path, { reason: 'malware' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ purged: true, queueId: m.queueId, deliveriesDeleted: 2, mirrorEntriesDeleted: 1 });
    const left = await withDb(async (db) => ({
      messages: (await db.query(`SELECT 1 FROM messages WHERE id = $1`, [m.messageId])).rowCount,
      deliveries: (await db.query(`SELECT 1 FROM deliveries WHERE message_id = $1`, [m.messageId])).rowCount,
      mirror: (await db.query(`SELECT 1 FROM mirror_entries WHERE message_id = $1`, [m.messageId])).rowCount,
    }));
    expect(left).toEqual({ messages: 0, deliveries: 0, mirror: 0 });
    expect(existsSync(blobPath)).toBe(false);
    const audit = (await auditRowsOf(tenant.id)).filter((a) => a.action.startsWith('queue.purge'));
    expect(audit.map((a) => a.action).slice(-2)).toEqual(['queue.purge.requested', 'queue.purge']);
    expect(audit.at(-1)).toMatchObject({
      actor_name: operatorEmail,
      target: `message:${m.messageId}`,
      details: { reason: 'malware', queueId: m.queueId, deliveries: [{ recipient: tenant.mailboxes.anna.address, state: 'deferred' }, { recipient: tenant.mailboxes.ben.address, state: 'deferred' }] },
    });
    expect((await operator.post(path, { reason: 'again' })).status).toBe(404);
  });

  it('overrides the circuit breaker with a reason, audited, and the state machine honours it', async () => {
    const t = await createTestTenant({ mailboxes: ['anna'], upstreams: [{ host: '127.0.0.1', port: 9 }] });
    await withDb((db) => db.query(`UPDATE tenants SET continuity_policy = 'automatic', failure_threshold = 1, failure_window_seconds = 0, hysteresis_seconds = 0 WHERE id = $1`, [t.id]));
    const health = api.app.get(UpstreamHealthStore);
    const continuity = api.app.get(ContinuityService);
    const upstreamId = (await withDb((db) => db.query(`SELECT id FROM upstreams WHERE tenant_id = $1`, [t.id]))).rows[0].id;

    expect((await operator.post('/api/operator/circuit-breaker', { override: 'force-open' })).body).toMatchObject({ statusCode: 400, field: 'reason' });
    expect((await operator.post('/api/operator/circuit-breaker', { override: 'sideways', reason: 'x' })).body).toMatchObject({ statusCode: 400, field: 'override' });
    const open = await operator.post('/api/operator/circuit-breaker', { override: 'force-open', reason: 'our DNS resolver is down' });
    expect(open.status).toBe(201);
    expect(open.body).toMatchObject({ override: 'force-open', tripped: true, reason: 'our DNS resolver is down', overrideBy: operatorEmail });
    expect((await operator.get('/api/operator/circuit-breaker')).body).toMatchObject({ override: 'force-open', tripped: true, overrideBy: operatorEmail });
    expect((await auditRowsOf(null)).filter((a) => a.action === 'circuit-breaker.override').at(-1)).toMatchObject({
      actor_name: operatorEmail,
      details: { reason: 'our DNS resolver is down', override: 'force-open' },
    });

    // Failing evidence: the policy would activate, the forced-open breaker holds it back.
    await health.record(t.id, upstreamId, 'probe', false, 'connect ECONNREFUSED');
    await health.record(t.id, upstreamId, 'probe', false, 'connect ECONNREFUSED');
    const held = await continuity.evaluate(t.id);
    expect(held.transition).toBeNull();
    expect(held.why).toContain('circuit breaker');
    expect((await continuity.load(t.id)).mode).toBe('normal');

    const closed = await operator.post('/api/operator/circuit-breaker', { override: 'force-closed', reason: 'resolver back' });
    expect(closed.body).toMatchObject({ override: 'force-closed', tripped: false });
    const went = await continuity.evaluate(t.id);
    expect(went.transition).toMatchObject({ fromMode: 'normal', toMode: 'active', event: expect.any(String) });

    expect((await operator.post('/api/operator/circuit-breaker', { override: 'auto', reason: 'back to the count' })).body).toMatchObject({ override: 'auto' });
    // Leave nothing for a later worker: the tenant back to normal, its transition's effects settled.
    await withDb(async (db) => {
      await db.query(`UPDATE tenants SET mode = 'normal', continuity_policy = 'manual' WHERE id = $1`, [t.id]);
      await db.query(`UPDATE continuity_transitions SET effects_completed_at = now() WHERE tenant_id = $1`, [t.id]);
    });
  });
});
