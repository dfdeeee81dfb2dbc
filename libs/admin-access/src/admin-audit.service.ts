import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LOGGER, Logger } from '@app/observability';

/** Who acted, as the admin API's Principal has it (structurally the same). */
export interface AuditPrincipal {
  kind: 'session' | 'api_key';
  subjectId: string;
  name: string;
  ip?: string;
}

export type AuditActorKind = 'session' | 'api_key' | 'anonymous' | 'cli';

export interface AuditEntry {
  id: string;
  tenantId: string | null;
  actorKind: AuditActorKind;
  actorId: string | null;
  actorName: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export interface AuditFilter {
  /** One tenant's entries; null: entries about no tenant; undefined: all (operators only — callers decide). */
  tenantId?: string | null;
  action?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
  /** 1–200, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** Keys whose values never reach the audit log, whatever a caller passes. */
const SECRET_KEY = /password|secret|token|^code$|^otp$|^totp|apikey$|authorization|cookie/i;

function scrub(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEY.test(k) && typeof v === 'string') out[k] = '[redacted]';
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) out[k] = scrub(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || !/^\d+$/.test(id) || Number.isNaN(Date.parse(createdAt))) return null;
  return { createdAt, id };
}

/**
 * Who changed what in the admin API, newest first. Every mutation records an
 * entry; sign-ins (and failed ones) too. Secrets never go in: keys that look
 * like one are redacted before the row is written.
 */
@Injectable()
export class AdminAuditService {
  constructor(private readonly ds: DataSource, @Inject(LOGGER) private readonly logger: Logger) {}

  async record(principal: AuditPrincipal, tenantId: string | null, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await this.recordAs({ kind: principal.kind, id: principal.subjectId, name: principal.name, ip: principal.ip ?? null }, tenantId, action, target, details);
  }

  /** For actors that are not a principal: a failed sign-in, the operator CLI. */
  async recordAs(
    actor: { kind: AuditActorKind; id: string | null; name: string; ip?: string | null },
    tenantId: string | null,
    action: string,
    target: string | null,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.ds.query(
      `INSERT INTO admin_audit_log (tenant_id, actor_kind, actor_id, actor_name, action, target, details, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [tenantId, actor.kind, actor.id, actor.name, action, target, JSON.stringify(scrub(details)), actor.ip ?? null],
    );
    this.logger.info({ tenantId, actorKind: actor.kind, actorId: actor.id, action, target }, 'admin audit');
  }

  async list(filter: AuditFilter = {}): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (filter.tenantId === null) where.push('tenant_id IS NULL');
    else if (filter.tenantId !== undefined) where.push(`tenant_id = ${p(filter.tenantId)}`);
    if (filter.action) where.push(filter.action.endsWith('.*') ? `action LIKE ${p(filter.action.slice(0, -1) + '%')}` : `action = ${p(filter.action)}`);
    if (filter.actorId) where.push(`actor_id = ${p(filter.actorId)}`);
    if (filter.from) where.push(`created_at >= ${p(filter.from)}`);
    if (filter.to) where.push(`created_at < ${p(filter.to)}`);
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      if (c) where.push(`(created_at, id) < (${p(c.createdAt)}::timestamptz, ${p(c.id)}::bigint)`);
    }
    const limit = Math.min(200, Math.max(1, filter.limit ?? 50));
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT id::text, tenant_id, actor_kind, actor_id, actor_name, action, target, details, ip, created_at
         FROM admin_audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: String(r.id),
        tenantId: (r.tenant_id as string | null) ?? null,
        actorKind: r.actor_kind as AuditActorKind,
        actorId: (r.actor_id as string | null) ?? null,
        actorName: String(r.actor_name),
        action: String(r.action),
        target: (r.target as string | null) ?? null,
        details: (r.details as Record<string, unknown>) ?? {},
        ip: (r.ip as string | null) ?? null,
        createdAt: (r.created_at as Date).toISOString(),
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at as Date, String(last.id)) : null,
    };
  }
}
