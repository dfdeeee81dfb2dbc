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
