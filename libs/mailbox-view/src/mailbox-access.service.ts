import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HttpError } from '@app/http';
import { isUuid } from './cursor';
import { PermittedMailbox, Viewer } from './mailbox-view.types';

export class MailboxNotFoundError extends HttpError {
  constructor() {
    super(404, 'not_found', 'no such mailbox');
  }
}

export class MessageNotFoundError extends HttpError {
  constructor() {
    super(404, 'not_found', 'no such message');
  }
}

/**
 * Which mailboxes a viewer may read: their own, and the shared mailboxes
 * they are a member of, all in their tenant. Every other id is "not found",
 * never "forbidden": a stranger learns nothing about what exists.
 */
@Injectable()
export class MailboxAccess {
  constructor(private readonly ds: DataSource) {}

  async permitted(v: Viewer): Promise<PermittedMailbox[]> {
    const rows: { id: string; address: string; display_name: string; kind: 'own' | 'shared'; can_send_as: boolean }[] = await this.ds.query(
      `SELECT mb.id, mb.address, mb.display_name, 'own' AS kind, true AS can_send_as, 0 AS ord
         FROM mailboxes mb
        WHERE mb.tenant_id = $1 AND mb.id = $2
       UNION ALL
       SELECT mb.id, mb.address, mb.display_name, 'shared' AS kind, s.can_send_as, 1 AS ord
         FROM shared_mailbox_members s
         JOIN mailboxes mb ON mb.id = s.shared_mailbox_id AND mb.tenant_id = s.tenant_id
        WHERE s.tenant_id = $1 AND s.member_mailbox_id = $2 AND mb.status = 'active'
       ORDER BY ord, address`,
      [v.tenantId, v.mailboxId],
    );
    return rows.map((r) => ({ id: r.id, address: r.address, displayName: r.display_name ?? '', kind: r.kind, canSendAs: r.can_send_as }));
  }

  async permittedIds(v: Viewer): Promise<string[]> {
    return (await this.permitted(v)).map((m) => m.id);
  }

  /** The one mailbox asked for, when the viewer may read it; otherwise a 404. */
  async require(v: Viewer, mailboxId: string): Promise<PermittedMailbox> {
    if (!isUuid(mailboxId)) throw new MailboxNotFoundError();
    const found = (await this.permitted(v)).find((m) => m.id === mailboxId.toLowerCase());
    if (!found) throw new MailboxNotFoundError();
    return found;
  }
}
