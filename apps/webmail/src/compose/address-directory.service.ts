import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Employee } from '../session/employee';
import { SendLimits } from './send-limits.service';

export interface DirectoryEntry {
  name: string;
  address: string;
  kind: 'mailbox' | 'shared' | 'group' | 'alias';
}

/** Most completions one lookup answers. */
export const DIRECTORY_RESULTS = 10;

function likePattern(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Address completion from the employee's own tenant only: active
 * mailboxes (user and shared), distribution groups, and aliases of active
 * mailboxes, matched on address or name; addresses that start with what was
 * typed come first. Throttled per employee.
 */
@Injectable()
export class AddressDirectory {
  constructor(
    private readonly ds: DataSource,
    private readonly limits: SendLimits,
  ) {}

  async complete(e: Employee, q: string): Promise<DirectoryEntry[]> {
    await this.limits.takeDirectoryLookup(e);
    const p = likePattern(q.trim().toLowerCase());
    return this.ds.query(
      `SELECT name, address, kind FROM (
         SELECT display_name AS name, address, CASE WHEN kind = 'shared' THEN 'shared' ELSE 'mailbox' END AS kind, 1 AS rank
           FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND (address LIKE $2 OR lower(display_name) LIKE $2)
         UNION ALL
         SELECT display_name, address, 'group', 2
           FROM distribution_groups WHERE tenant_id = $1 AND (address LIKE $2 OR lower(display_name) LIKE $2)
         UNION ALL
         SELECT mb.display_name, a.address, 'alias', 3
           FROM aliases a JOIN mailboxes mb ON mb.id = a.mailbox_id AND mb.tenant_id = a.tenant_id
          WHERE a.tenant_id = $1 AND mb.status = 'active' AND a.address LIKE $2
       ) x
       ORDER BY (address LIKE $3 OR lower(name) LIKE $3) DESC, rank, address
       LIMIT ${DIRECTORY_RESULTS}`,
      [e.tenantId, `%${p}%`, `${p}%`],
    );
  }
}
