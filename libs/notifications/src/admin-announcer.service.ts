import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, Logger } from '@app/observability';
import type { TransitionEffect, TransitionRecord } from '@app/continuity';
import { ComposedText, NothingToSendError, SmsCapListener, SmsComposer, SmsQueue, SmsRow } from '@app/sms';
import { capAlert, transitionAnnouncement } from './admin-texts';
import { deterministicQueueId, NotificationMailer } from './notification-mailer.service';
import { TenantAdminsStore } from './tenant-admins.store';

interface TransitionParams { type: 'transition'; fromMode: string; toMode: string; event: string; actor: string; reason: string; at: string }
interface CapParams { type: 'cap'; capPerHour: number }

/**
 * Tells a tenant's admins what happened: every transition ('announce-admins'
 * effect) and a reached SMS cap, by text to their mobile and by mail to their
 * address. Idempotent: texts carry a dedupe key, mails a fixed queue id, both
 * derived from the event, so re-applying the effect sends nothing twice.
 */
@Injectable()
export class AdminAnnouncer implements TransitionEffect, SmsComposer, SmsCapListener {
  readonly name = 'announce-admins';
  readonly kind = 'admin-alert' as const;

  constructor(
    private readonly store: TenantAdminsStore,
    private readonly sms: SmsQueue,
    private readonly mailer: NotificationMailer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(t: TransitionRecord): Promise<void> {
    const params: TransitionParams = { type: 'transition', fromMode: t.fromMode, toMode: t.toMode, event: t.event, actor: t.actor, reason: t.reason, at: new Date(t.createdAt).toISOString() };
    await this.tell(t.tenantId, `transition.${t.id}`, new Date(t.createdAt), params);
  }

  async capReached(tenantId: string, capPerHour: number): Promise<void> {
    const hour = new Date();
    hour.setUTCMinutes(0, 0, 0);
    await this.tell(tenantId, `cap.${tenantId}.${hour.getTime()}`, hour, { type: 'cap', capPerHour });
  }

  /** Builds an admin alert at send time from its (non-secret) parameters. */
  async compose(row: SmsRow): Promise<ComposedText> {
    const tenant = await this.store.tenant(row.tenantId);
    if (!tenant) throw new NothingToSendError('tenant no longer exists');
    return { body: this.render(row.params as unknown as TransitionParams | CapParams, tenant.name, row.language).sms };
  }

  private render(p: TransitionParams | CapParams, tenantName: string, language: 'en' | 'de') {
    if (p.type === 'cap') return capAlert(language, tenantName, p.capPerHour);
    return transitionAnnouncement({ language, tenantName, fromMode: p.fromMode, toMode: p.toMode, event: p.event, actor: p.actor, reason: p.reason, at: new Date(p.at) });
  }

  private async tell(tenantId: string, eventKey: string, at: Date, params: TransitionParams | CapParams): Promise<void> {
    const tenant = await this.store.tenant(tenantId);
    if (!tenant) return;
    const admins = await this.store.admins(tenantId, tenant.language);
    const texts = admins
      .filter((a) => a.mobileE164)
      .map((a) => ({ tenantId, adminId: a.id, toE164: a.mobileE164 as string, kind: 'admin-alert' as const, language: a.language, params: params as unknown as Record<string, unknown>, dedupeKey: `${eventKey}.admin.${a.id}` }));
    await this.sms.queue(texts);
    let mailed = 0;
    for (const a of admins.filter((x) => x.email)) {
      const m = this.render(params, tenant.name, a.language);
      const r = await this.mailer.submit({ tenantId, to: [a.email as string], subject: m.subject, text: m.text, date: at, queueId: deterministicQueueId(at, `${eventKey}.${a.id}`) });
      if (r.created) mailed++;
    }
    this.logger.info({ tenantId, event: eventKey, admins: admins.length, texts: texts.length, mails: mailed }, 'admins told');
  }
}
