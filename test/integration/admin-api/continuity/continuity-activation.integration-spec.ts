import { createTestTenant, insertTestMessage, TestTenant, waitFor, withDb } from '../../../support/factories';
import { freePort } from '../../../support/processes';
import { ApiClient, auditRowsOf, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';
import { setMobile, settleTenant, smsTestConfig, SmsWorker, startSmsWorker, startTwilioStandin, TwilioStandin } from '../../sms/sms-harness';

jest.setTimeout(90_000);

let seq = 0;
const mobile = () => `+4916${String(Date.now()).slice(-6)}${String(seq++).padStart(2, '0')}`;
const modeOf = async (tenantId: string) => (await withDb((db) => db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId]))).rows[0].mode as string;

/**
 * An admin runs an outage through the admin API with a real worker behind
 * it: activation texts every employee (through the Twilio SDK to the local
 * stand-in), the status page follows the texts, credentials go out again on
 * request, the end starts the replay and the reconciliation report is
 * readable; a drill for everyone texts everyone and ends.
 */
describe('continuity activation over the admin API', () => {
  let standin: TwilioStandin;
  let worker: SmsWorker;
  let api: TestApi;
  let admin: ApiClient;
  let adminEmail: string;
  let t: TestTenant;
  const phones: Record<string, string> = {};
  const tenants: TestTenant[] = [];
  const textsTo = (to: string) => standin.messages.filter((m) => m.to === to);

  beforeAll(async () => {
    standin = await startTwilioStandin({ autoDeliver: true });
    const port = await freePort();
    const shared = { REDIS_PREFIX: `${process.env.REDIS_PREFIX}-continuity-ops`, PUBLIC_API_URL: `http://127.0.0.1:${port}` };
    worker = await startSmsWorker(smsTestConfig(standin, { ...shared, REPLAY_TICK_MS: '100' }));
    api = await startTestApi({ ...shared, API_HTTP_PORT: String(port), TWILIO_AUTH_TOKEN: standin.authToken });
    t = await createTestTenant({ mailboxes: ['anna', 'ben', 'cara'] });
    tenants.push(t);
    for (const l of ['anna', 'ben']) await setMobile(t.mailboxes[l].id, (phones[l] = mobile()));
    const adm = await createAdmin({ role: 'admin', tenantId: t.id });
    adminEmail = adm.email;
    admin = await signIn(api, adm);
  });

  afterAll(async () => {
    for (const x of tenants) await settleTenant(x.id);
    await worker?.stop();
    await api?.stop();
    await standin?.close();
  });

  it('activates with a reason, texts every employee with a mobile number, and the status page follows the texts', async () => {
    const r = await admin.post(`/api/tenants/${t.id}/continuity/activate`, { reason: 'Exchange server room flooded' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ tenantId: t.id, fromMode: 'normal', toMode: 'active', event: 'activate', actor: `admin:${adminEmail}`, reason: 'Exchange server room flooded' });
    expect(await modeOf(t.id)).toBe('active');

    for (const l of ['anna', 'ben']) await waitFor(() => textsTo(phones[l]).length === 1, { what: `the credentials text to ${l}`, timeoutMs: 30_000 });
    expect(textsTo(phones.anna)[0].body).toMatch(/\d{8}/);

    const status = await waitFor(
      async () => {
        const s = (await admin.get(`/api/tenants/${t.id}/continuity`)).body;
        return s.texts.delivered === 2 && s;
      },
      { what: 'both texts delivered on the status page', timeoutMs: 30_000 },
    );
    expect(status).toMatchObject({ mode: 'active', texts: { remaining: 0, failed: 0, estimatedSecondsUntilAllSent: 0, blockedByCap: 0 } });
    expect(new Date(status.modeSince).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(status.event).toMatchObject({ startedAt: expect.any(String), endedAt: null });

    // The admin's request and the committed transition, both in the audit log.
    const audit = (await admin.get(`/api/tenants/${t.id}/continuity/audit?action=continuity.activate`)).body.items;
    expect(audit.map((i: { source: string }) => i.source).sort()).toEqual(['admin', 'continuity']);
    expect((await auditRowsOf(t.id)).find((a) => a.action === 'continuity.activate')).toMatchObject({ actor_name: adminEmail, target: `transition:${r.body.id}`, details: { reason: 'Exchange server room flooded', toMode: 'active' } });

    // A second activation is the state machine's 409.
    expect((await admin.post(`/api/tenants/${t.id}/continuity/activate`, { reason: 'again' })).status).toBe(409);
  });

  it('texts credentials again to one mailbox on request, and names a mailbox without a number', async () => {
    const one = await admin.post(`/api/tenants/${t.id}/continuity/credentials`, { mailboxIds: [t.mailboxes.anna.address, t.mailboxes.cara.id], reason: 'lost the first text' });
    expect(one.status).toBe(201);
    expect(one.body).toEqual({ queued: 1, mailboxes: 2, withoutMobile: [{ id: t.mailboxes.cara.id, address: t.mailboxes.cara.address }] });
    await waitFor(() => textsTo(phones.anna).length === 2, { what: 'the second text to anna', timeoutMs: 30_000 });
    expect(textsTo(phones.ben)).toHaveLength(1);
  });

  it('ends the event with a reason: the replay runs and the reconciliation report is readable', async () => {
    // Mail that arrived during the event and was held for Exchange.
    const m = await insertTestMessage(t, { raw: 'From: x@external.example\r\nSubject: during\r\n\r\nbody\r\n', recipients: [t.mailboxes.anna.address], mirrorMailboxIds: [t.mailboxes.anna.id] });
    await waitFor(async () => (await withDb((db) => db.query(`SELECT state FROM deliveries WHERE message_id = $1`, [m.messageId]))).rows[0].state === 'held', { what: 'the message held', timeoutMs: 30_000 });
    expect((await admin.get(`/api/tenants/${t.id}/continuity`)).body.deliveries.held).toBe(1);

    expect((await admin.post(`/api/tenants/${t.id}/continuity/end`, {})).body).toMatchObject({ statusCode: 400, field: 'reason' });
    const end = await admin.post(`/api/tenants/${t.id}/continuity/end`, { reason: 'Exchange is back' });
    expect(end.status).toBe(201);
    expect(end.body).toMatchObject({ fromMode: 'active', toMode: 'recovering', event: 'end', reason: 'Exchange is back' });

    const events = (await admin.get(`/api/tenants/${t.id}/continuity/events`)).body.items;
    expect(events).toHaveLength(1);
    const live = await admin.get(`/api/tenants/${t.id}/continuity/events/latest/report`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ tenantId: t.id, eventId: events[0].id });
    expect(live.body.totals.receivedDuringEvent).toBe(1);

    // The replay releases the held mail and the event ends (the tenant has no Exchange: the released recipient stays pending).
    await waitFor(async () => (await modeOf(t.id)) === 'normal', { what: 'back to normal after the replay', timeoutMs: 45_000 });
    const byStart = await admin.get(`/api/tenants/${t.id}/continuity/events/${events[0].activationTransitionId}/report`);
    expect(byStart.status).toBe(200);
    // The replay closes the event as it finishes; the → normal transition's effect then stores its id (a moment later).
    const byId = await waitFor(
      async () => {
        const r = await admin.get(`/api/tenants/${t.id}/continuity/events/${events[0].id}/report`);
        return r.body.endTransitionId ? r : null;
      },
      { what: 'the report to name the transition that ended the event', timeoutMs: 30_000 },
    );
    expect(byStart.body.eventId).toBe(events[0].id);
    // Released to an Exchange that does not exist, the recipient is still pending: the report says so.
    expect(byId.body).toMatchObject({ eventId: events[0].id, activationTransitionId: expect.any(String), endTransitionId: expect.any(String), endedAt: expect.any(String), allAccountedFor: false });
    expect(byId.body.mailboxes.find((x: { mailbox: string }) => x.mailbox === t.mailboxes.anna.address)).toMatchObject({ receivedDuringEvent: 1 });
    expect((await admin.get(`/api/tenants/${t.id}/continuity/events`)).body.items[0]).toMatchObject({ id: events[0].id, endedAt: expect.any(String), reportStored: true });
    expect((await auditRowsOf(t.id)).find((a) => a.action === 'continuity.end')).toMatchObject({ actor_name: adminEmail, details: { reason: 'Exchange is back' } });
  });

  it('confirms an activation the confirm policy asked for, and refuses a confirmation nobody asked for', async () => {
    const x = await createTestTenant({ mailboxes: ['fay'] });
    tenants.push(x);
    const c = await signIn(api, await createAdmin({ role: 'admin', tenantId: x.id }));
    const nothing = await c.post(`/api/tenants/${x.id}/continuity/confirm`, { reason: 'is it down?' });
    expect(nothing.body).toMatchObject({ statusCode: 409, code: 'nothing_to_confirm' });

    await withDb((db) => db.query(`UPDATE tenants SET continuity_policy = 'confirm', activation_requested_at = now() WHERE id = $1`, [x.id]));
    expect((await c.get(`/api/tenants/${x.id}/continuity`)).body).toMatchObject({ mode: 'normal', activationRequestedAt: expect.any(String), policy: { kind: 'confirm' } });
    const ok = await c.post(`/api/tenants/${x.id}/continuity/confirm`, { reason: 'yes, the server is gone' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ fromMode: 'normal', toMode: 'active', event: 'confirm' });
    expect((await auditRowsOf(x.id)).map((a) => a.action).filter((a) => a.startsWith('continuity.'))).toEqual(['continuity.confirm.refused', 'continuity.confirm']);
    expect((await c.post(`/api/tenants/${x.id}/continuity/end`, { reason: 'back' })).status).toBe(201);
    await waitFor(async () => (await modeOf(x.id)) === 'normal', { what: 'back to normal', timeoutMs: 30_000 });
  });

  it('runs a drill for everyone and ends it', async () => {
    const d = await createTestTenant({ mailboxes: ['dan', 'eva'] });
    tenants.push(d);
    const dPhones = { dan: mobile(), eva: mobile() };
    await setMobile(d.mailboxes.dan.id, dPhones.dan);
    await setMobile(d.mailboxes.eva.id, dPhones.eva);
    const c = await signIn(api, await createAdmin({ role: 'admin', tenantId: d.id }));

    const start = await c.post(`/api/tenants/${d.id}/continuity/drill`, { reason: 'quarterly rehearsal', all: true });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ toMode: 'drill', reason: 'quarterly rehearsal' });
    expect([...start.body.drillMailboxIds].sort()).toEqual([d.mailboxes.dan.id, d.mailboxes.eva.id].sort());
    for (const p of Object.values(dPhones)) await waitFor(() => textsTo(p).length === 1, { what: 'the drill text', timeoutMs: 30_000 });
    expect([...(await c.get(`/api/tenants/${d.id}/continuity`)).body.drillMailboxIds].sort()).toEqual([d.mailboxes.dan.id, d.mailboxes.eva.id].sort());

    const end = await c.post(`/api/tenants/${d.id}/continuity/drill/end`, { reason: 'rehearsal over' });
    expect(end.status).toBe(201);
    expect(end.body).toMatchObject({ fromMode: 'drill', toMode: 'normal' });
    expect((await auditRowsOf(d.id)).map((a) => a.action)).toEqual(expect.arrayContaining(['continuity.drill.start', 'continuity.drill.end']));
  });
});
