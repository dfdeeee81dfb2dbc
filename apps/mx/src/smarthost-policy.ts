import { SmtpReplyError } from '@app/smtp';
import type { SmarthostConnector } from '@app/outbound';
import type { Refusal } from './recipient-policy';

/**
 * Who may relay through us, as pure decisions (the lookups happen in the
 * listener). A session speaks for a tenant's outbound connector when it
 * authenticated as that connector, or when it comes from one of a
 * connector's source networks AND its envelope sender is in that tenant's
 * verified domains. Everything else is an ordinary inbound session under the
 * MX's recipient policy: we never relay for anyone else.
 *
 * Why the sender decides for address matches: the outbound IPs of Microsoft
 * 365 are shared by every Microsoft 365 customer, so one address can carry a
 * tenant's outbound mail (sender in its domains) and, in the next session,
 * another company's mail to our tenants, which must stay inbound mail.
 */
export type SmarthostChoice =
  | { kind: 'smarthost'; connector: SmarthostConnector; via: 'auth' | 'address'; overriddenAddressMatch: SmarthostConnector[] }
  | { kind: 'inbound' }
  | { kind: 'refuse'; refusal: Refusal };

export interface SmarthostInput {
  authConnector: SmarthostConnector | null;
  addressConnectors: SmarthostConnector[];
  /** The tenant whose verified domain the envelope sender is in; null if none or the null sender. */
  senderTenantId: string | null;
  nullSender: boolean;
  /** Whether the session is under TLS (STARTTLS done). */
  secure?: boolean;
}

export const senderNotPermitted = (): Refusal => ({
  reason: 'sender_not_permitted',
  check: 'connector_sender_domain',
  reply: new SmtpReplyError(550, '5.7.1', 'Sender address is not in a verified domain of this connector'),
});

export function chooseSmarthost(input: SmarthostInput): SmarthostChoice {
  const { authConnector, addressConnectors } = input;
  if (authConnector) {
    // The authenticated identity wins over an address match, even one of another tenant.
    const overridden = addressConnectors.filter((c) => c.id !== authConnector.id);
    if (input.nullSender || input.senderTenantId === authConnector.tenantId) return { kind: 'smarthost', connector: authConnector, via: 'auth', overriddenAddressMatch: overridden };
    return { kind: 'refuse', refusal: senderNotPermitted() };
  }
  if (!addressConnectors.length) return { kind: 'inbound' };
  if (input.nullSender) {
    // Bounces and journal reports from a tenant's Exchange carry <>; only an unambiguous address match can own them.
    // A plain-text <> session cannot be the connector when the connector requires TLS:
    // it is then an ordinary inbound bounce (to our tenants only), not refused with 530.
    const tenants = new Set(addressConnectors.map((c) => c.tenantId));
    const owner = addressConnectors[0];
    if (tenants.size !== 1 || (owner.requireTls && !input.secure)) return { kind: 'inbound' };
    return { kind: 'smarthost', connector: owner, via: 'address', overriddenAddressMatch: [] };
  }
  const match = addressConnectors.find((c) => c.tenantId === input.senderTenantId);
  return match ? { kind: 'smarthost', connector: match, via: 'address', overriddenAddressMatch: [] } : { kind: 'inbound' };
}

/** A connector that requires TLS refuses the transaction until STARTTLS (AUTH sessions are always encrypted). */
export function checkConnectorTls(connector: SmarthostConnector, secure: boolean): Refusal | null {
  return connector.requireTls && !secure ? { reason: 'tls_required', check: 'connector_require_tls', reply: mustStartTls() } : null;
}

export const mustStartTls = () => new SmtpReplyError(530, '5.7.0', 'Must issue a STARTTLS command first');
export const authFailed = () => new SmtpReplyError(535, '5.7.8', 'Authentication credentials invalid');
export const tooManyAuthFailures = () => new SmtpReplyError(454, '4.7.0', 'Too many failed authentications from your address; try again later');
export const rateLimited = (what: 'messages' | 'recipients') => new SmtpReplyError(451, '4.7.1', `Outbound ${what} per minute limit of this tenant reached; try again later`);

export function rateRefusal(what: 'messages' | 'recipients'): Refusal {
  return { reason: 'rate_limited', check: `${what}_per_minute`, reply: rateLimited(what) };
}

/** Recipients in the tenant's own verified domains go to its Exchange; all others to the internet. */
export function routeKindFor(recipientOwnerTenantId: string | null, connectorTenantId: string): 'upstream' | 'internet' {
  return recipientOwnerTenantId === connectorTenantId ? 'upstream' : 'internet';
}

/**
 * A journal report travels alone: its recipient is our journaling address,
 * and mixing it with mail for real recipients would make one message both
 * a report to unpack and mail to deliver.
 */
export function checkJournalRecipient(slug: string, connector: SmarthostConnector, otherRecipients: number): Refusal | null {
  if (slug !== connector.tenantSlug) {
    return { reason: 'relay_denied', check: 'journal_other_tenant', reply: new SmtpReplyError(550, '5.7.1', 'This journaling address belongs to another tenant') };
  }
  return otherRecipients > 0 ? journalAlone() : null;
}

export function journalAlone(): Refusal {
  return { reason: 'too_many_recipients', check: 'journal_alone', reply: new SmtpReplyError(452, '4.5.3', 'Journal reports travel alone; send the other recipients in another transaction') };
}
