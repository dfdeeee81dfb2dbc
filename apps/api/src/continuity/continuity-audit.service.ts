import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toTransitionRecord } from '@app/continuity';
import { AdminAuditService } from '../auth/admin-audit.service';
import { AuditEntry, mergeNewestFirst, transitionEntry } from './audit-log';

export interface AuditQuery {
  from?: Date;
  to?: Date;
  /** Exact action (`continuity.activate`) or a prefix ending in `.*` (`queue.*`). */
  action?: string;
  /** Part of the actor's name (case-insensitive), or an admin user's / API key's id. */
  actor?: string;
  limit: number;
  offset: number;
}

export interface AuditPageView {
  items: AuditEntry[];
  hasMore: boolean;
  limit: number;
  offset: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Admin audit pages read at most per request (200 entries each). */
const MAX_ADMIN_PAGES = 50;

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The tenant's audit log: continuity transitions and the admin audit log
 * (AdminAuditService.list), merged newest first and paged by offset.
 */
@Injectable()
export class ContinuityAuditService {
  constructor(
    private readonly ds: DataSource,
    private readonly adminAudit: AdminAuditService,
  ) {}

  async page(tenantId: string, q: AuditQuery): Promise<AuditPageView> {
    const need = q.offset + q.limit + 1;
    const [transitions, admin] = await Promise.all([this.transitions(tenantId, q, need), this.admin(tenantId, q, need)]);
    const merged = mergeNewestFirst(transitions, admin, q.offset, q.limit + 1);
    return { items: merged.slice(0, q.limit), hasMore: merged.length > q.limit, limit: q.limit, offset: q.offset };
  }

  private async transitions(tenantId: string, q: AuditQuery, need: number): Promise<AuditEntry[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.from) where.push(`created_at >= ${p(q.from)}`);
    if (q.to) where.push(`created_at < ${p(q.to)}`);
    if (q.action) {
      if (q.action.endsWith('.*')) where.push(`('continuity.' || event) LIKE ${p(likeEscape(q.action.slice(0, -1)) + '%')}`);
      else where.push(`('continuity.' || event) = ${p(q.action)}`);
    }
    if (q.actor) where.push(UUID.test(q.actor) ? 'false' : `actor ILIKE ${p('%' + likeEscape(q.actor) + '%')}`);
    const rows = await this.ds.query(`SELECT * FROM continuity_transitions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${p(need)}`, params);
    return rows.map((r: Record<string, unknown>) => transitionEntry(toTransitionRecord(r)));
  }

  private async admin(tenantId: string, q: AuditQuery, need: number): Promise<AuditEntry[]> {
    const byId = q.actor && UUID.test(q.actor) ? q.actor : undefined;
    const byName = q.actor && !byId ? q.actor.toLowerCase() : undefined;
    const out: AuditEntry[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < MAX_ADMIN_PAGES && out.length < need; i++) {
      const page = await this.adminAudit.list({ tenantId, action: q.action, actorId: byId, from: q.from, to: q.to, limit: 200, cursor });
      for (const e of page.items) {
        if (byName && !e.actorName.toLowerCase().includes(byName)) continue;
        const { reason, ...details } = e.details as Record<string, unknown>;
        out.push({
          at: new Date(e.createdAt),
          source: 'admin',
          action: e.action,
          actor: e.actorName,
          target: e.target,
          reason: typeof reason === 'string' ? reason : null,
          details: { ...details, actorKind: e.actorKind, ...(e.actorId ? { actorId: e.actorId } : {}), ...(e.ip ? { ip: e.ip } : {}) },
        });
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return out;
  }
}
