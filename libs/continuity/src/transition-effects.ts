import { Injectable } from '@nestjs/common';
import type { ContinuityMode } from '@app/tenants';

/** A committed change of a tenant's continuity mode, as stored in the audit log. */
export interface TransitionRecord {
  id: string;
  tenantId: string;
  fromMode: ContinuityMode;
  toMode: ContinuityMode;
  /** What caused it: e.g. 'activate', 'confirm', 'end', 'drill', 'replay-finished', 'upstream-down'. */
  event: string;
  /** Who or what: 'policy', 'operator:<name>', 'admin:<id>', 'cli:<user>'. */
  actor: string;
  reason: string;
  /** Mailboxes chosen for a drill; null otherwise. */
  drillMailboxIds: string[] | null;
  createdAt: Date;
}

/**
 * Work that follows a transition (hold or release deliveries, text employees,
 * announce to admins). Applied by the worker after the transition commits, and
 * again until every effect has succeeded once, so each must be idempotent.
 */
export interface TransitionEffect {
  readonly name: string;
  apply(transition: TransitionRecord): Promise<void>;
}

/** Domain modules register their effects here at start-up (onModuleInit). */
@Injectable()
export class TransitionEffectRegistry {
  private readonly effects: TransitionEffect[] = [];

  register(effect: TransitionEffect): void {
    if (this.effects.some((e) => e.name === effect.name)) throw new Error(`transition effect ${effect.name} registered twice`);
    this.effects.push(effect);
  }

  all(): readonly TransitionEffect[] {
    return this.effects;
  }
}
