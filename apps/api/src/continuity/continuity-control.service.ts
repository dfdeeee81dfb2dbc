import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContinuityService, TransitionRecord } from '@app/continuity';
import { CredentialsService } from '@app/credentials';
import { HttpError } from '@app/http';
import { AdminAuditService } from '../auth/admin-audit.service';
import type { Principal } from '../auth/principal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How a principal appears as the actor of a transition (continuity_transitions.actor). */
export function actorOf(p: Principal): string {
  return `${p.role}:${p.name}`;
}

export type CredentialsTarget = { mailboxIds: string[] } | { group: string } | { all: true };

export interface CredentialsSent {
  queued: number;
  /** Active user mailboxes chosen. */
  mailboxes: number;
  /** Chosen mailboxes that get nothing: no mobile number. */
  withoutMobile: Array<{ id: string; address: string }>;
}

/**
 * An admin's requests about continuity mode — activate, confirm, end, drills,
 * credentials — through the same ContinuityService and CredentialsService the
 * CLI uses, each recorded in the admin audit log with who asked and why.
 */
@Injectable()
export class ContinuityControlService {
  constructor(
    private readonly ds: DataSource,
    private readonly continuity: ContinuityService,
    private readonly credentials: CredentialsService,
    private readonly audit: AdminAuditService,
  ) {}

  activate(p: Principal, tenantId: string, reason: string): Promise<TransitionRecord> {
    return this.transition(p, tenantId, 'continuity.activate', reason, () => this.continuity.activate(tenantId, actorOf(p), reason));
  }

  confirm(p: Principal, tenantId: string, reason: string): Promise<TransitionRecord> {
    return this.transition(p, tenantId, 'continuity.confirm', reason, () => this.continuity.confirm(tenantId, actorOf(p), reason));
  }

  end(p: Principal, tenantId: string, reason: string): Promise<TransitionRecord> {
    return this.transition(p, tenantId, 'continuity.end', reason, () => this.continuity.end(tenantId, actorOf(p), reason));
  }

  async startDrill(p: Principal, tenantId: string, reason: string, target: { mailboxIds: string[] } | { all: true }): Promise<TransitionRecord> {
    await this.continuity.load(tenantId);
    const refs = 'all' in target ? await this.activeUserMailboxIds(tenantId) : target.mailboxIds;
    if (!refs.length) throw new HttpError(400, 'no_mailboxes', 'the drill needs at least one active user mailbox');
    return this.transition(p, tenantId, 'continuity.drill.start', reason, () => this.continuity.startDrill(tenantId, refs, actorOf(p), reason), { all: 'all' in target, mailboxes: refs.length });
  }

  endDrill(p: Principal, tenantId: string, reason: string): Promise<TransitionRecord> {
    return this.transition(p, tenantId, 'continuity.drill.end', reason, () => this.continuity.endDrill(tenantId, actorOf(p), reason));
  }

  /**
   * Texts a new one-time credential to one or more mailboxes, a group's
   * members, or every active user mailbox. A mailbox without a mobile number
   * gets nothing and is named in the answer.
   */
  async sendCredentials(p: Principal, tenantId: string, target: CredentialsTarget, reason: string | null): Promise<CredentialsSent> {
    await this.continuity.load(tenantId);
    const chosen = await this.targetMailboxes(tenantId, target);
    const ids = chosen.map((m) => m.id);
    const queued = 'all' in target ? await this.credentials.sendToMailboxes(tenantId, null) : await this.credentials.sendToMailboxes(tenantId, ids);
    const withoutMobile = chosen.filter((m) => !m.mobile).map((m) => ({ id: m.id, address: m.address }));
    const what = 'all' in target ? 'all' : 'group' in target ? `group:${target.group}` : ids.length === 1 ? `mailbox:${ids[0]}` : 'mailboxes';
    await this.audit.record(p, tenantId, 'continuity.credentials.send', what, {
      reason,
      queued: queued.length,
      mailboxes: chosen.length,
      withoutMobile: withoutMobile.length,
      ...('mailboxIds' in target ? { mailboxIds: ids } : {}),
    });
    return { queued: queued.length, mailboxes: chosen.length, withoutMobile };
  }

  private async transition(p: Principal, tenantId: string, action: string, reason: string, run: () => Promise<TransitionRecord>, extra: Record<string, unknown> = {}): Promise<TransitionRecord> {
    // An unknown tenant is a 404 before anything is audited (the audit row would name a tenant that does not exist).
    await this.continuity.load(tenantId);
    let record: TransitionRecord;
    try {
      record = await run();
    } catch (e) {
      // A refused request is audited too: an admin asked, and the answer was no.
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') await this.audit.record(p, tenantId, `${action}.refused`, null, { reason, code, ...extra });
      throw e;
    }
    await this.audit.record(p, tenantId, action, `transition:${record.id}`, { reason, fromMode: record.fromMode, toMode: record.toMode, ...extra });
    return record;
  }

  private async activeUserMailboxIds(tenantId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(`SELECT id FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user' ORDER BY address`, [tenantId]);
    return rows.map((r) => r.id);
  }

  /** The active user mailboxes a credentials request names; an unknown mailbox or group of the tenant is a 404 by name. */
  private async targetMailboxes(tenantId: string, target: CredentialsTarget): Promise<Array<{ id: string; address: string; mobile: string | null }>> {
    if ('all' in target) {
      return this.ds.query(`SELECT id, address, mobile_e164 AS mobile FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user' ORDER BY address`, [tenantId]);
    }
    if ('group' in target) {
      const g = await this.ds.query(
        `SELECT id FROM distribution_groups WHERE tenant_id = $1 AND ${UUID.test(target.group) ? 'id = $2::uuid' : 'address = lower($2)'}`,
        [tenantId, target.group],
      );
      if (!g.length) throw new HttpError(404, 'group_not_found', `the tenant has no group "${target.group}"`);
      return this.ds.query(
        `SELECT m.id, m.address, m.mobile_e164 AS mobile FROM group_members gm JOIN mailboxes m ON m.id = gm.mailbox_id AND m.tenant_id = gm.tenant_id
          WHERE gm.tenant_id = $1 AND gm.group_id = $2 AND m.status = 'active' AND m.kind = 'user' ORDER BY m.address`,
        [tenantId, g[0].id],
      );
    }
    const out: Array<{ id: string; address: string; mobile: string | null }> = [];
    for (const ref of [...new Set(target.mailboxIds)]) {
      const rows = await this.ds.query(
        `SELECT id, address, mobile_e164 AS mobile FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user' AND ${UUID.test(ref) ? 'id = $2::uuid' : 'address = lower($2)'}`,
        [tenantId, ref.trim()],
      );
      if (!rows.length) throw new HttpError(404, 'mailbox_not_found', `the tenant has no active user mailbox "${ref}"`);
      out.push(rows[0]);
    }
    return out;
  }
}
