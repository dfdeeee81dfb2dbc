import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { hashConnectorSecret, verifyConnectorSecret } from './connector-secret';
import { canonicalClientAddress } from './source-address';

/** What the MX needs to know about a connector a session may speak for. */
export interface SmarthostConnector {
  id: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  requireTls: boolean;
  messagesPerMinute: number;
  recipientsPerMinute: number;
  /** The tenant's delivery lifetime (outbound deliveries expire like inbound ones). */
  deliveryLifetimeSeconds: number;
}

const COLUMNS = `c.id, c.tenant_id AS "tenantId", t.slug AS "tenantSlug", c.name, c.require_tls AS "requireTls",
  c.messages_per_minute AS "messagesPerMinute", c.recipients_per_minute AS "recipientsPerMinute",
  t.delivery_lifetime_seconds AS "deliveryLifetimeSeconds"`;

/**
 * The MX's read side of outbound connectors: which enabled connectors cover a
 * client address, and whom a set of SMTP AUTH credentials belongs to. Not
 * cached: the table is small, the lookups are per session, and a disabled
 * connector or a new password must apply to the very next session.
 */
@Injectable()
export class ConnectorDirectory {
  /** Hash of a secret nobody knows: unknown user names cost as much as wrong passwords, so timing tells nothing. */
  private readonly decoy = hashConnectorSecret(`decoy-${Math.random()}`);

  constructor(private readonly ds: DataSource) {}

  async forClientAddress(ip: string | undefined): Promise<SmarthostConnector[]> {
    const addr = canonicalClientAddress(ip);
    if (!addr) return [];
    return this.ds.query(
      `SELECT ${COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id
        WHERE c.enabled AND $1::inet <<= ANY (c.source_cidrs) ORDER BY c.created_at, c.id`,
      [addr],
    );
  }

  /** The connector these credentials open, or null; wrong user and wrong password are indistinguishable. */
  async authenticate(username: string, password: string): Promise<SmarthostConnector | null> {
    const rows: Array<SmarthostConnector & { hash: string }> = await this.ds.query(
      `SELECT ${COLUMNS}, c.auth_password_hash AS hash FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id
        WHERE c.enabled AND c.auth_username = $1`,
      [username],
    );
    const row = rows[0];
    const ok = await verifyConnectorSecret(password, row?.hash ?? (await this.decoy));
    if (!row || !ok) return null;
    const { hash: _hash, ...connector } = row;
    return { ...connector, deliveryLifetimeSeconds: Number(connector.deliveryLifetimeSeconds) };
  }
}
