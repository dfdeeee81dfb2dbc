import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@app/database/prepared-statement';

/** A verified domain and the tenant settings the MX needs to decide about its recipients. */
export interface DomainTenant {
  tenantId: string;
  domain: string;
  unknownRecipientPolicy: 'reject' | 'passthrough';
  deliveryLifetimeSeconds: number;
  /** The tenant refuses, at the end of DATA, mail that fails DMARC under the sender domain's reject policy. */
  rejectOnDmarcFail?: boolean;
}

/**
 * What an address of a tenant is: a mailbox, an alias of one, or a
 * distribution group. `mailboxIds` are the standby mailboxes that mirror mail
 * to it (only active ones; a disabled mailbox still receives mail through its
 * Exchange but keeps no standby copy).
 */
export interface RecipientTarget {
  kind: 'mailbox' | 'alias' | 'group';
  mailboxIds: string[];
}

/**
 * Read-only lookups of the mail path's directory, keyed by the canonical
 * lower-case forms the tables store (ASCII domain, lower-case local part).
 */
@Injectable()
export class RecipientDirectory {
  constructor(private readonly ds: DataSource) {}

  /** The tenant owning `domain` if the domain is verified; null for unknown and for unverified domains alike. */
  async verifiedTenantForDomain(domain: string): Promise<DomainTenant | null> {
    const rows: Array<{ tenant_id: string; name: string; unknown_recipient_policy: 'reject' | 'passthrough'; delivery_lifetime_seconds: number; reject_on_dmarc_fail: boolean }> = await this.ds.query(
      `SELECT d.tenant_id, d.name, t.unknown_recipient_policy, t.delivery_lifetime_seconds, t.reject_on_dmarc_fail
         FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.name = $1 AND d.verified_at IS NOT NULL`,
      [domain],
    );
    const r = rows[0];
    return r ? { tenantId: r.tenant_id, domain: r.name, unknownRecipientPolicy: r.unknown_recipient_policy, deliveryLifetimeSeconds: Number(r.delivery_lifetime_seconds), rejectOnDmarcFail: r.reject_on_dmarc_fail === true } : null;
  }

  /**
   * An inbound RCPT's two lookups in one round trip: the tenant owning the
   * verified domain and, in that tenant, what the address is (the same rules
   * as findRecipient). `tenant` is null for unknown and unverified domains,
   * `target` null for an unknown address of a known tenant. Nothing is
   * cached: a new mailbox or domain is accepted at once. A prepared
   * statement: planning this query costs more than running it.
   */
  async lookupRecipient(domain: string, address: string): Promise<{ tenant: DomainTenant | null; target: RecipientTarget | null }> {
    const { rows } = await preparedQuery<{ tenant_id: string; name: string; unknown_recipient_policy: 'reject' | 'passthrough'; delivery_lifetime_seconds: number; reject_on_dmarc_fail: boolean; kind: RecipientTarget['kind'] | null; mailbox_ids: string[] | null }>(
      this.ds,
      'mx-lookup-recipient',
      `SELECT d.tenant_id, d.name, t.unknown_recipient_policy, t.delivery_lifetime_seconds, t.reject_on_dmarc_fail, r.kind, r.mailbox_ids
         FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
         LEFT JOIN LATERAL (${targetSql('d.tenant_id', '$2')}) r ON true
        WHERE d.name = $1 AND d.verified_at IS NOT NULL`,
      [domain, address],
    );
    const r = rows[0];
    if (!r) return { tenant: null, target: null };
    return {
      tenant: { tenantId: r.tenant_id, domain: r.name, unknownRecipientPolicy: r.unknown_recipient_policy, deliveryLifetimeSeconds: Number(r.delivery_lifetime_seconds), rejectOnDmarcFail: r.reject_on_dmarc_fail === true },
      target: r.kind ? { kind: r.kind, mailboxIds: r.mailbox_ids ?? [] } : null,
    };
  }

  /**
   * Resolves one address of a tenant in one round trip. Should the same
   * address exist as a mailbox and as an alias or group, the mailbox wins,
   * then the alias.
   */
  async findRecipient(tenantId: string, address: string): Promise<RecipientTarget | null> {
    const rows: Array<{ kind: RecipientTarget['kind']; mailbox_ids: string[] | null }> = await this.ds.query(
      targetSql('$1', '$2'),
      [tenantId, address],
    );
    const r = rows[0];
    return r ? { kind: r.kind, mailboxIds: r.mailbox_ids ?? [] } : null;
  }
}

/**
 * What an address of a tenant is, as one row (kind, mailbox_ids) or none:
 * the mailbox wins over an alias, the alias over a group. `tenant` and
 * `address` are SQL expressions (parameters or columns).
 */
function targetSql(tenant: string, address: string): string {
  return `SELECT kind, mailbox_ids FROM (
         SELECT 1 AS rank, 'mailbox' AS kind,
                CASE WHEN m.status = 'active' THEN ARRAY[m.id] ELSE ARRAY[]::uuid[] END AS mailbox_ids
           FROM mailboxes m WHERE m.tenant_id = ${tenant} AND m.address = ${address}
         UNION ALL
         SELECT 2, 'alias',
                CASE WHEN m.status = 'active' THEN ARRAY[m.id] ELSE ARRAY[]::uuid[] END
           FROM aliases a JOIN mailboxes m ON m.id = a.mailbox_id AND m.tenant_id = a.tenant_id
          WHERE a.tenant_id = ${tenant} AND a.address = ${address}
         UNION ALL
         SELECT 3, 'group',
                COALESCE((SELECT array_agg(gm.mailbox_id ORDER BY gm.mailbox_id)
                            FROM group_members gm JOIN mailboxes m ON m.id = gm.mailbox_id AND m.status = 'active'
                           WHERE gm.group_id = g.id AND gm.tenant_id = ${tenant}), ARRAY[]::uuid[])
           FROM distribution_groups g WHERE g.tenant_id = ${tenant} AND g.address = ${address}
       ) r ORDER BY rank LIMIT 1`;
}
