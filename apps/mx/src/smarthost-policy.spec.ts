import type { SmarthostConnector } from '@app/outbound';
import { checkConnectorTls, checkJournalRecipient, chooseSmarthost, routeKindFor } from './smarthost-policy';

const connector = (id: string, tenantId: string, extra: Partial<SmarthostConnector> = {}): SmarthostConnector => ({
  id, tenantId, tenantSlug: `slug-${tenantId}`, name: id, requireTls: true, messagesPerMinute: 10, recipientsPerMinute: 100, deliveryLifetimeSeconds: 3600, ...extra,
});

describe('chooseSmarthost', () => {
  const a = connector('a', 'T1');
  const b = connector('b', 'T2');

  it('is an ordinary inbound session without AUTH and without an address match', () => {
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [], senderTenantId: 'T1', nullSender: false })).toEqual({ kind: 'inbound' });
  });

  it('relays for an address match only when the sender is in that tenant’s domains', () => {
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [a, b], senderTenantId: 'T2', nullSender: false })).toMatchObject({ kind: 'smarthost', connector: b, via: 'address' });
    // another company's mail from a shared address (Microsoft 365) stays inbound mail
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [a], senderTenantId: null, nullSender: false })).toEqual({ kind: 'inbound' });
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [a], senderTenantId: 'T2', nullSender: false })).toEqual({ kind: 'inbound' });
  });

  it('gives the null sender to an address match only when it names one tenant', () => {
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [a, connector('a2', 'T1')], senderTenantId: null, nullSender: true, secure: true })).toMatchObject({ kind: 'smarthost', connector: a });
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [a, b], senderTenantId: null, nullSender: true })).toEqual({ kind: 'inbound' });
  });

  it('lets the authenticated identity win over an address match of another connector', () => {
    expect(chooseSmarthost({ authConnector: b, addressConnectors: [a], senderTenantId: 'T2', nullSender: false })).toEqual({ kind: 'smarthost', connector: b, via: 'auth', overriddenAddressMatch: [a] });
    expect(chooseSmarthost({ authConnector: b, addressConnectors: [], senderTenantId: null, nullSender: true })).toMatchObject({ kind: 'smarthost', connector: b });
  });

  it('refuses an authenticated session whose sender is outside its tenant’s domains with 550 5.7.1', () => {
    const r = chooseSmarthost({ authConnector: b, addressConnectors: [], senderTenantId: 'T1', nullSender: false });
    expect(r.kind).toBe('refuse');
    expect(r.kind === 'refuse' && r.refusal.reply.toString()).toMatch(/^550 5\.7\.1 /);
    expect(chooseSmarthost({ authConnector: b, addressConnectors: [], senderTenantId: null, nullSender: false }).kind).toBe('refuse');
  });
});

describe('smarthost checks', () => {
  it('requires STARTTLS when the connector says so', () => {
    expect(checkConnectorTls(connector('a', 'T'), false)?.reply.toString()).toBe('530 5.7.0 Must issue a STARTTLS command first');
    expect(checkConnectorTls(connector('a', 'T'), true)).toBeNull();
    expect(checkConnectorTls(connector('a', 'T', { requireTls: false }), false)).toBeNull();
  });

  it('routes the tenant’s own domains to its Exchange and everything else to the internet', () => {
    expect(routeKindFor('T', 'T')).toBe('upstream');
    expect(routeKindFor('U', 'T')).toBe('internet');
    expect(routeKindFor(null, 'T')).toBe('internet');
  });

  it('takes journal reports only for the connector’s own tenant, and alone', () => {
    const c = connector('a', 'T');
    expect(checkJournalRecipient('slug-T', c, 0)).toBeNull();
    expect(checkJournalRecipient('slug-U', c, 0)?.reply.toString()).toMatch(/^550 5\.7\.1/);
    expect(checkJournalRecipient('slug-T', c, 1)?.reply.toString()).toMatch(/^452 4\.5\.3/);
  });

  it('treats a plain-text <> session from the address of a TLS-only connector as inbound, not 530 (regression)', () => {
    const c = { id: 'C1', tenantId: 'T1', requireTls: true } as never;
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [c], senderTenantId: null, nullSender: true, secure: false })).toEqual({ kind: 'inbound' });
    expect(chooseSmarthost({ authConnector: null, addressConnectors: [c], senderTenantId: null, nullSender: true, secure: true })).toMatchObject({ kind: 'smarthost' });
  });
});
