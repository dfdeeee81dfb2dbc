import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, Logger } from '@app/observability';
import type { TransitionEffect, TransitionRecord } from '@app/continuity';
import { SmsQueue } from '@app/sms';
import { CredentialsService } from './credentials.service';
import { CredentialsStore } from './credentials.store';

/** Which texts a transition calls for; pure, so the table is tested without a database. */
export function textsForTransition(t: Pick<TransitionRecord, 'fromMode' | 'toMode' | 'drillMailboxIds'>): { kind: 'credentials'; reason: 'activation' | 'drill'; mailboxIds: string[] | null } | { kind: 'back-to-normal' } | null {
  if (t.toMode === 'active') return { kind: 'credentials', reason: 'activation', mailboxIds: null };
  if (t.toMode === 'drill') return { kind: 'credentials', reason: 'drill', mailboxIds: t.drillMailboxIds ?? [] };
  if (t.toMode === 'normal' && (t.fromMode === 'active' || t.fromMode === 'recovering')) return { kind: 'back-to-normal' };
  return null;
}

/**
 * The 'credentials' transition effect: on activation a credentials text to
 * every active user mailbox with a mobile number, on a drill to the drill's
 * mailboxes, and when the event ends a short "back to normal" text (and the
 * unused credentials are voided). Rows carry the transition id as dedupe key,
 * so applying the effect again queues nothing twice.
 */
@Injectable()
export class CredentialsTransitionEffect implements TransitionEffect {
  readonly name = 'credentials';

  constructor(
    private readonly credentials: CredentialsService,
    private readonly store: CredentialsStore,
    private readonly sms: SmsQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(t: TransitionRecord): Promise<void> {
    const plan = textsForTransition(t);
    if (!plan) return;
    const dedupePrefix = `transition.${t.id}`;
    if (plan.kind === 'credentials') {
      const rows = await this.credentials.sendToMailboxes(t.tenantId, plan.mailboxIds, plan.reason, dedupePrefix);
      this.logger.info({ tenantId: t.tenantId, transitionId: t.id, toMode: t.toMode, queued: rows.length }, 'credentials texts queued');
      return;
    }
    const voided = await this.store.supersedeAllOfTenant(t.tenantId);
    const rows = await this.sms.queueForMailboxes(t.tenantId, 'back-to-normal', { dedupePrefix });
    this.logger.info({ tenantId: t.tenantId, transitionId: t.id, queued: rows.length, credentialsVoided: voided }, 'back-to-normal texts queued');
  }
}
