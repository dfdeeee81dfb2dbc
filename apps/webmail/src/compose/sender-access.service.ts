import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HttpError } from '@app/http';
import type { Employee } from '../session/employee';

/** A mailbox the employee may send as. */
export interface Sender {
  mailboxId: string;
  address: string;
  name: string;
  kind: 'own' | 'shared';
}

export const notFound = (what = 'not found') => new HttpError(404, 'not_found', what);

/**
 * Whom an employee may write as and whose mail they may answer: their own
 * mailbox, and the shared mailboxes they are a member of (sending as one
 * only with can_send_as). Every other id is answered 404, whoever owns it.
 */
@Injectable()
export class SenderAccess {
  constructor(private readonly ds: DataSource) {}

  /** The own mailbox first, then the active shared mailboxes the employee may send as. */
  async senders(e: Employee): Promise<Sender[]> {
    const shared: Array<{ id: string; address: string; name: string }> = await this.ds.query(
      `SELECT m.id, m.address, m.display_name AS name
         FROM shared_mailbox_members s JOIN mailboxes m ON m.id = s.shared_mailbox_id AND m.tenant_id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.member_mailbox_id = $2 AND s.can_send_as AND m.status = 'active'
        ORDER BY m.address`,
      [e.tenantId, e.mailboxId],
    );
    return [{ mailboxId: e.mailboxId, address: e.address, name: e.displayName, kind: 'own' }, ...shared.map((s) => ({ mailboxId: s.id, address: s.address, name: s.name, kind: 'shared' as const }))];
  }

  /** The sender for `mailboxId`: 403 send_as_denied for a shared mailbox without can_send_as, 404 for any other mailbox. */
  async sendAs(e: Employee, mailboxId: string | null | undefined): Promise<Sender> {
    if (!mailboxId || mailboxId === e.mailboxId) return { mailboxId: e.mailboxId, address: e.address, name: e.displayName, kind: 'own' };
    const rows: Array<{ id: string; address: string; name: string; canSendAs: boolean; status: string }> = await this.ds.query(
      `SELECT m.id, m.address, m.display_name AS name, s.can_send_as AS "canSendAs", m.status
         FROM shared_mailbox_members s JOIN mailboxes m ON m.id = s.shared_mailbox_id AND m.tenant_id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.member_mailbox_id = $2 AND s.shared_mailbox_id::text = $3`,
      [e.tenantId, e.mailboxId, mailboxId],
    );
    const r = rows[0];
    if (!r) throw notFound('no such mailbox');
    if (r.status !== 'active') throw new HttpError(403, 'send_as_denied', `${r.address} is disabled; mail cannot be sent as it`);
    if (!r.canSendAs) throw new HttpError(403, 'send_as_denied', `you may read ${r.address} but not send as it; ask your administrator for "send as" permission`);
    return { mailboxId: r.id, address: r.address, name: r.name, kind: 'shared' };
  }

  /** The mailboxes whose mail the employee may read and answer: their own and the shared ones they belong to. */
  async readableMailboxIds(e: Employee): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      // Only active shared mailboxes, as on every reading route: a disabled one is closed to its members.
      `SELECT s.shared_mailbox_id AS id FROM shared_mailbox_members s JOIN mailboxes m ON m.id = s.shared_mailbox_id AND m.tenant_id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.member_mailbox_id = $2 AND m.status = 'active'`,
      [e.tenantId, e.mailboxId],
    );
    return [e.mailboxId, ...rows.map((r) => r.id)];
  }
}
