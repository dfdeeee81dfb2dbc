import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Moves a tenant from 'recovering' to 'normal' once its replay is done.
 * The continuity state machine owns transitions; this port lets the replay
 * ask for this one without knowing how it is audited and announced.
 */
export interface RecoveryFinisher {
  /** True when this call made the transition (false: the tenant was no longer recovering). */
  finishRecovery(tenantId: string): Promise<boolean>;
}

export const RECOVERY_FINISHER = Symbol('RECOVERY_FINISHER');

/**
 * Fallback used until the continuity service provides the audited
 * transition: a bare compare-and-set recovering → normal. It writes no
 * audit row and triggers no effects (no "back to normal" text); the replay
 * closes its own event and stores the report itself either way.
 */
@Injectable()
export class UnauditedRecoveryFinisher implements RecoveryFinisher {
  constructor(private readonly ds: DataSource) {}

  async finishRecovery(tenantId: string): Promise<boolean> {
    const res = await this.ds.query(`UPDATE tenants SET mode = 'normal', updated_at = now() WHERE id = $1 AND mode = 'recovering'`, [tenantId]);
    return Array.isArray(res) && res[1] === 1;
  }
}
