import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName, Queues, SendSmsJob, smsJobId } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import { SMS_SENDER, SmsSender, SmsSendError } from './sms-sender.port';
import { ComposedText, NothingToSendError, SmsComposerRegistry } from './sms-composers';
import { smsRetryDelaySeconds } from './sms-error-classification';
import { SmsStore } from './sms.store';

export type SendSmsOutcome = 'sent' | 'retry' | 'failed' | 'capped' | 'skipped';

type SmsConfig = Pick<AppConfig, 'DELIVERY_LEASE_SECONDS' | 'SMS_TENANT_CAP_PER_HOUR' | 'SMS_RETRY_BASE_SECONDS' | 'SMS_MAX_SEND_ATTEMPTS' | 'PUBLIC_API_URL'>;

/**
 * Sends one queued text. The text (and for credentials the one-time code
 * inside it) is built here, after the row is leased, so no plaintext secret
 * ever waits in Redis or Postgres; a retry builds a new one. Safe to run
 * twice: only the holder of the lease sends.
 */
@Injectable()
export class SendSmsHandler {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: SmsConfig,
    private readonly store: SmsStore,
    private readonly composers: SmsComposerRegistry,
    @Inject(SMS_SENDER) private readonly sender: SmsSender,
    private readonly queues: Queues,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  newLeaseOwner(): string {
    return `${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
  }

  async run(job: SendSmsJob): Promise<SendSmsOutcome> {
    const owner = this.newLeaseOwner();
    // The tenant's own cap and sender, where it set them.
    const tenant = await this.store.tenantSmsSettings(job.tenantId);
    const capPerHour = tenant.capPerHour ?? this.cfg.SMS_TENANT_CAP_PER_HOUR;
    const claim = await this.store.claim(job.smsId, job.tenantId, owner, this.cfg.DELIVERY_LEASE_SECONDS, capPerHour);
    if (claim.kind === 'none') return 'skipped';
    const row = claim.row;
    const log = { smsId: row.id, tenantId: row.tenantId, kind: row.kind, attempt: row.attempts + 1 };
    if (claim.kind === 'capped') {
      this.logger.warn({ ...log, capPerHour }, 'text not sent: the tenant reached its hourly SMS cap');
      if (claim.firstInWindow) await this.alertCap(row.tenantId, capPerHour);
      return 'capped';
    }

    let composed: ComposedText;
    try {
      composed = await this.composers.get(row.kind).compose(row);
    } catch (e) {
      if (e instanceof NothingToSendError) {
        await this.store.recordFailed(row.id, owner, e.message, false);
        this.logger.warn({ ...log, reason: e.message }, 'text not sent: nothing to send');
        return 'failed';
      }
      throw e; // the lease runs out and the sweeper tries again
    }

    try {
      const sent = await this.sender.send({ to: row.toE164, body: composed.body, statusCallbackUrl: this.statusCallbackUrl(), reference: row.id, from: tenant.sender });
      await this.store.recordSent(row.id, owner, sent.providerSid);
      this.logger.info({ ...log, providerSid: sent.providerSid, driver: this.sender.driver }, 'text handed to the SMS provider');
      return 'sent';
    } catch (e) {
      await composed.discard?.();
      const err = e instanceof SmsSendError ? e : new SmsSendError(true, 'unexpected', e instanceof Error ? e.message : String(e));
      const lastError = `${err.providerCode}: ${err.message}`.slice(0, 500);
      if (err.temporary && row.attempts + 1 < this.cfg.SMS_MAX_SEND_ATTEMPTS) {
        const delay = smsRetryDelaySeconds(row.attempts + 1, this.cfg.SMS_RETRY_BASE_SECONDS);
        const dueAt = await this.store.recordRetry(row.id, owner, delay, lastError);
        if (dueAt) await this.queues.add<SendSmsJob>(QueueName.Sms, 'send-sms', { smsId: row.id, tenantId: row.tenantId }, smsJobId(row.id, new Date(dueAt)), delay * 1000).catch(() => undefined);
        this.logger.warn({ ...log, providerCode: err.providerCode, retryInSeconds: delay }, 'SMS provider failed temporarily; will retry');
        return 'retry';
      }
      await this.store.recordFailed(row.id, owner, lastError, true);
      this.logger.error({ ...log, providerCode: err.providerCode, temporary: err.temporary }, 'text failed');
      return 'failed';
    }
  }

  private statusCallbackUrl(): string | null {
    return this.sender.driver === 'twilio' ? `${this.cfg.PUBLIC_API_URL.replace(/\/+$/, '')}/twilio/status` : null;
  }

  private async alertCap(tenantId: string, capPerHour: number): Promise<void> {
    for (const l of this.composers.listeners) {
      await l.capReached(tenantId, capPerHour).catch((e) =>
        this.logger.error({ tenantId, err: e instanceof Error ? e.message : String(e) }, 'could not alert the admins about the SMS cap'),
      );
    }
  }
}
