import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpError } from '@app/http';
import { OUTBOUND_LIMITER, OutboundLimiter } from '@app/outbound';
import type { Employee } from '../session/employee';

/** The tenant's outbound limits when it has no connector (the connectors' column defaults). */
const DEFAULT_MESSAGES_PER_MINUTE = 300;
const DEFAULT_RECIPIENTS_PER_MINUTE = 3000;

/**
 * Rate limits on the webmail's sending, in the same Redis token buckets the
 * MX uses (so they hold across replicas): per employee, so a stolen
 * password cannot turn a mailbox into a spam cannon, and the tenant's own
 * outbound limits (its connectors'), shared with the mail its Exchange
 * relays through the smarthost.
 */
@Injectable()
export class SendLimits {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_SENDS_PER_MINUTE' | 'WEBMAIL_RECIPIENTS_PER_MINUTE' | 'WEBMAIL_DIRECTORY_LOOKUPS_PER_MINUTE'>,
    @Inject(OUTBOUND_LIMITER) private readonly limiter: OutboundLimiter,
    private readonly ds: DataSource,
  ) {}

  /** Takes one message and `recipients` recipients from the employee's and the tenant's buckets, or throws 429. */
  async takeSend(e: Employee, recipients: number): Promise<void> {
    const own = `webmail:${e.tenantId}:${e.mailboxId}`;
    if (!(await this.take(`${own}:sends`, this.cfg.WEBMAIL_SENDS_PER_MINUTE))) {
      throw new HttpError(429, 'send_rate_limited', `you have sent ${this.cfg.WEBMAIL_SENDS_PER_MINUTE} messages within a minute, the most allowed; wait a minute and send again`);
    }
    if (recipients > this.cfg.WEBMAIL_RECIPIENTS_PER_MINUTE || !(await this.take(`${own}:recipients`, this.cfg.WEBMAIL_RECIPIENTS_PER_MINUTE, recipients))) {
      throw new HttpError(429, 'send_rate_limited', `you may address at most ${this.cfg.WEBMAIL_RECIPIENTS_PER_MINUTE} recipients a minute; wait a minute and send again`);
    }
    const [limits] = await this.ds.query(
      `SELECT min(messages_per_minute)::int AS messages, min(recipients_per_minute)::int AS recipients FROM outbound_connectors WHERE tenant_id = $1 AND enabled`,
      [e.tenantId],
    );
    const tenantMessages = limits?.messages ?? DEFAULT_MESSAGES_PER_MINUTE;
    const tenantRecipients = limits?.recipients ?? DEFAULT_RECIPIENTS_PER_MINUTE;
    if (!(await this.take(`${e.tenantId}:messages`, tenantMessages)) || recipients > tenantRecipients || !(await this.take(`${e.tenantId}:recipients`, tenantRecipients, recipients))) {
      throw new HttpError(429, 'tenant_rate_limited', "your organisation's limit on outgoing mail per minute is reached; try again in a minute");
    }
  }

  /** Address completion: a lookup per keystroke is fine, a harvest of the directory is not. */
  async takeDirectoryLookup(e: Employee): Promise<void> {
    if (!(await this.take(`webmail:${e.tenantId}:${e.mailboxId}:directory`, this.cfg.WEBMAIL_DIRECTORY_LOOKUPS_PER_MINUTE))) {
      throw new HttpError(429, 'rate_limited', 'too many address lookups; wait a moment');
    }
  }

  private async take(bucket: string, perMinute: number, cost = 1): Promise<boolean> {
    try {
      return await this.limiter.take(bucket, perMinute, cost);
    } catch {
      // Unmetered sending is not an option: without Redis the webmail does not send.
      throw new HttpError(503, 'unavailable', 'sending is unavailable for a moment; try again shortly');
    }
  }
}
