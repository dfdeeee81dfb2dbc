import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TenantsService } from '@app/tenants/tenants.service';
import { generateConnectorSecret, hashConnectorSecret } from './connector-secret';
import { ConnectorErrors } from './outbound.errors';
import { parseCidr } from './source-address';

/** A connector as an operator sees it; the password hash never leaves this service. */
export interface OutboundConnectorView {
  id: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  sourceCidrs: string[];
  authUsername: string | null;
  requireTls: boolean;
  messagesPerMinute: number;
  recipientsPerMinute: number;
  enabled: boolean;
  createdAt: Date;
}

export interface AddConnectorInput {
  name: string;
  sourceCidrs?: string[];
  /** Give the connector SMTP AUTH credentials (user name defaults to `<tenant slug>.<name>`). */
  auth?: boolean;
  authUsername?: string;
  requireTls?: boolean;
  messagesPerMinute?: number;
  recipientsPerMinute?: number;
}

export interface ConnectorLimits {
  messagesPerMinute?: number;
  recipientsPerMinute?: number;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

const VIEW_COLUMNS = `c.id, c.tenant_id AS "tenantId", t.slug AS "tenantSlug", c.name, c.source_cidrs::text[] AS "sourceCidrs",
  c.auth_username AS "authUsername", c.require_tls AS "requireTls", c.messages_per_minute AS "messagesPerMinute",
  c.recipients_per_minute AS "recipientsPerMinute", c.enabled, c.created_at AS "createdAt"`;

function checkLimit(what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 1_000_000)) throw ConnectorErrors.invalid(`${what} must be a whole number from 1 to 1000000`);
}

function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const err = e as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = err.code ?? err.driverError?.code;
  const c = err.constraint ?? err.driverError?.constraint;
  return code === '23505' && (!constraint || (c ?? '').includes(constraint));
}

/**
 * Registers and manages a tenant's outbound connectors (the CLI now, the
 * admin API later). A generated password is returned once, when it is made;
 * only its scrypt hash is stored.
 */
@Injectable()
export class ConnectorsService {
  constructor(
    private readonly ds: DataSource,
    private readonly tenants: TenantsService,
  ) {}

  async add(tenantRef: string, input: AddConnectorInput): Promise<{ connector: OutboundConnectorView; password: string | null }> {
    const tenant = await this.tenants.findTenant(tenantRef);
    const name = input.name.trim().toLowerCase();
    if (!NAME.test(name)) throw ConnectorErrors.invalid(`connector name "${input.name}" must be 1-63 of a-z, 0-9, ".", "_", "-"`);
    const cidrs: string[] = [];
    for (const raw of input.sourceCidrs ?? []) {
      const c = parseCidr(raw);
      if (!c.ok) throw ConnectorErrors.invalid(c.reason);
      cidrs.push(c.cidr);
    }
    const withAuth = !!input.auth || !!input.authUsername;
    if (!withAuth && !cidrs.length) throw ConnectorErrors.invalid('a connector needs source networks (--cidr), SMTP AUTH credentials (--auth), or both');
    checkLimit('messages per minute', input.messagesPerMinute);
    checkLimit('recipients per minute', input.recipientsPerMinute);
    const username = withAuth ? (input.authUsername ?? `${tenant.slug}.${name}`) : null;
    if (username !== null && !USERNAME.test(username)) throw ConnectorErrors.invalid(`user name "${username}" may hold only letters, digits and . _ @ + -`);
    const password = withAuth ? generateConnectorSecret() : null;
    const hash = password ? await hashConnectorSecret(password) : null;
    try {
      const rows: Array<{ id: string }> = await this.ds.query(
        `INSERT INTO outbound_connectors (tenant_id, name, source_cidrs, auth_username, auth_password_hash, require_tls, messages_per_minute, recipients_per_minute)
         VALUES ($1, $2, $3::cidr[], $4, $5, $6, COALESCE($7, 300), COALESCE($8, 3000)) RETURNING id`,
        [tenant.id, name, cidrs, username, hash, input.requireTls ?? true, input.messagesPerMinute ?? null, input.recipientsPerMinute ?? null],
      );
      return { connector: await this.byId(rows[0].id), password };
    } catch (e) {
      if (isUniqueViolation(e, 'auth_username')) throw ConnectorErrors.usernameTaken(username ?? '');
      if (isUniqueViolation(e)) throw ConnectorErrors.nameTaken(name);
      if ((e as { code?: string }).code === '22P02') throw ConnectorErrors.invalid(`invalid network: ${(e as Error).message}`);
      throw e;
    }
  }

  async list(tenantRef?: string): Promise<OutboundConnectorView[]> {
    if (!tenantRef) return this.ds.query(`SELECT ${VIEW_COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id ORDER BY t.slug, c.name`);
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.query(`SELECT ${VIEW_COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = $1 ORDER BY c.name`, [tenant.id]);
  }

  /** A new generated password; the old one stops working at once. */
  async setPassword(tenantRef: string, name: string): Promise<{ connector: OutboundConnectorView; password: string }> {
    const c = await this.find(tenantRef, name);
    if (!c.authUsername) throw ConnectorErrors.noAuth(c.name);
    const password = generateConnectorSecret();
    await this.ds.query(`UPDATE outbound_connectors SET auth_password_hash = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [c.tenantId, c.id, await hashConnectorSecret(password)]);
    return { connector: c, password };
  }

  async setEnabled(tenantRef: string, name: string, enabled: boolean): Promise<OutboundConnectorView> {
    const c = await this.find(tenantRef, name);
    await this.ds.query(`UPDATE outbound_connectors SET enabled = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [c.tenantId, c.id, enabled]);
    return this.byId(c.id);
  }

  async setLimits(tenantRef: string, name: string, limits: ConnectorLimits): Promise<OutboundConnectorView> {
    checkLimit('messages per minute', limits.messagesPerMinute);
    checkLimit('recipients per minute', limits.recipientsPerMinute);
    const c = await this.find(tenantRef, name);
    await this.ds.query(
      `UPDATE outbound_connectors SET messages_per_minute = COALESCE($3, messages_per_minute), recipients_per_minute = COALESCE($4, recipients_per_minute), updated_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [c.tenantId, c.id, limits.messagesPerMinute ?? null, limits.recipientsPerMinute ?? null],
    );
    return this.byId(c.id);
  }

  async find(tenantRef: string, name: string): Promise<OutboundConnectorView> {
    const tenant = await this.tenants.findTenant(tenantRef);
    const rows: OutboundConnectorView[] = await this.ds.query(`SELECT ${VIEW_COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = $1 AND c.name = $2`, [tenant.id, name.trim().toLowerCase()]);
    if (!rows[0]) throw ConnectorErrors.notFound(name);
    return rows[0];
  }

  /** By id within the tenant (the admin API names connectors by id). */
  async findById(tenantId: string, id: string): Promise<OutboundConnectorView> {
    const rows: OutboundConnectorView[] = UUID.test(id)
      ? await this.ds.query(`SELECT ${VIEW_COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = $1 AND c.id = $2`, [tenantId, id])
      : [];
    if (!rows[0]) throw ConnectorErrors.notFound(id);
    return rows[0];
  }

  /** Removes a connector: mail from its networks or with its credentials is refused from then on. */
  async remove(tenantId: string, id: string): Promise<OutboundConnectorView> {
    const c = await this.findById(tenantId, id);
    await this.ds.query(`DELETE FROM outbound_connectors WHERE tenant_id = $1 AND id = $2`, [tenantId, c.id]);
    return c;
  }

  private async byId(id: string): Promise<OutboundConnectorView> {
    const rows: OutboundConnectorView[] = await this.ds.query(`SELECT ${VIEW_COLUMNS} FROM outbound_connectors c JOIN tenants t ON t.id = c.tenant_id WHERE c.id = $1`, [id]);
    return rows[0];
  }
}
