import { Injectable } from '@nestjs/common';
import { DomainTenant, RecipientDirectory } from '@app/mailboxes';
import { RecipientCallout } from './recipient-callout.service';
import { checkDomain, decideFromCallout, decideRecipient, RecipientAddress, Refusal } from './recipient-policy';

/** A recipient the MX said yes to, with what acceptance needs to know about it. */
export interface AcceptedRecipient {
  address: RecipientAddress;
  tenant: DomainTenant;
  /** Standby mailboxes to mirror into; empty for pass-through recipients and groups without active members. */
  mailboxIds: string[];
  passthrough: boolean;
  /** Mail relayed for a tenant (smarthost): where the delivery goes. Inbound recipients always go 'upstream'. */
  routeKind?: 'upstream' | 'internet';
  /** The tenant's journaling address: the message is a journal report to unpack, not to deliver. */
  journal?: boolean;
}

export type Resolution = { ok: true; recipient: AcceptedRecipient } | { ok: false; refusal: Refusal; detail?: string };

/**
 * Looks an address up (domain → tenant, address → mailbox/alias/group,
 * callout for pass-through tenants) and lets the pure policy decide. A lookup
 * that fails throws: the caller answers 451, never a 5xx for our own trouble.
 */
@Injectable()
export class RecipientResolver {
  constructor(
    private readonly directory: RecipientDirectory,
    private readonly callout: RecipientCallout,
  ) {}

  async resolve(address: RecipientAddress): Promise<Resolution> {
    // Domain and address in one round trip: this runs for every RCPT.
    const { tenant, target } = await this.directory.lookupRecipient(address.domain, address.key);
    const domainRefusal = checkDomain(tenant);
    if (domainRefusal || !tenant) return { ok: false, refusal: domainRefusal as Refusal };
    let decision = decideRecipient(address, tenant, target);
    let detail: string | undefined;
    if ('callout' in decision) {
      const v = await this.callout.verify(tenant.tenantId, address.address, address.key);
      detail = v.detail ?? (v.cached ? 'callout answer cached' : undefined);
      decision = decideFromCallout(address, v.outcome);
    }
    if ('callout' in decision) throw new Error('callout decision did not settle');
    if (!decision.accept) return { ok: false, refusal: decision.refusal, detail };
    return { ok: true, recipient: { address, tenant, mailboxIds: decision.mailboxIds, passthrough: decision.passthrough } };
  }
}
