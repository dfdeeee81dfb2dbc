import { AcceptMessageInput, planAcceptance } from './message-acceptance.service';

const base: AcceptMessageInput = {
  tenantId: 't', queueId: 'Q', blobKey: 't/Q', sizeBytes: 10, mailFrom: '', recipients: ['a@x.example'], mirrorMailboxIds: [],
  clientAddress: '192.0.2.1', clientHelo: 'c', body8bitmime: false, smtputf8: false, receivedAt: new Date(0), deliveryLifetimeSeconds: 3600,
};

describe('planAcceptance', () => {
  const now = new Date(Date.UTC(2026, 0, 1));

  it('schedules the first attempt now and expiry after the tenant lifetime', () => {
    const p = planAcceptance(base, now);
    expect(p.nextAttemptAt).toEqual(now);
    expect(p.expiresAt.getTime() - now.getTime()).toBe(3600_000);
  });

  it('keeps one delivery per recipient and one mirror entry per mailbox', () => {
    const p = planAcceptance({ ...base, recipients: ['a@x.example', 'A@x.example', 'b@x.example'], mirrorMailboxIds: ['m1', 'm2', 'm1'] }, now);
    expect(p.recipients).toEqual(['a@x.example', 'b@x.example']);
    expect(p.mirrorMailboxIds).toEqual(['m1', 'm2']);
  });

  it('refuses a message without recipients', () => {
    expect(() => planAcceptance({ ...base, recipients: [] }, now)).toThrow(/no recipients/);
  });

  it('routes each recipient as asked, the tenant\'s Exchange by default, and keeps the sender\'s Sent entry', () => {
    const p = planAcceptance({ ...base, direction: 'outbound', recipients: ['a@x.example', 'Out@else.example'], routeKinds: { 'out@else.example': 'internet' }, sentMailboxIds: ['s', 's'] }, now);
    expect(p.routeKinds).toEqual(['upstream', 'internet']);
    expect(p.sentMailboxIds).toEqual(['s']);
    expect(p.delivers).toBe(true);
  });

  it('plans no deliveries for a journal message, which may name no recipient', () => {
    const p = planAcceptance({ ...base, direction: 'journal', recipients: [] }, now);
    expect(p.delivers).toBe(false);
    expect(p.routeKinds).toEqual([]);
  });

  it('copies back to the sender unless the sender is a recipient, and never for a journal message', () => {
    const out = { ...base, direction: 'outbound' as const, mailFrom: 'Me@x.example', recipients: ['a@x.example'] };
    expect(planAcceptance({ ...out, copyBackTo: 'Me@x.example' }, now).copyBackTo).toBe('me@x.example');
    expect(planAcceptance({ ...out, recipients: ['a@x.example', 'ME@x.example'], copyBackTo: 'me@x.example' }, now).copyBackTo).toBeNull();
    expect(planAcceptance(out, now).copyBackTo).toBeNull();
    expect(planAcceptance({ ...base, direction: 'journal', recipients: [], copyBackTo: 'me@x.example' }, now).copyBackTo).toBeNull();
  });
});
