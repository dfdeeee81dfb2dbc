import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import MailComposer from 'nodemailer/lib/mail-composer';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, blobKey } from '@app/blob-store';
import { newQueueId } from '@app/messages/queue-id';
import { deliveryJobId, indexJobId, QueueName, Queues } from '@app/queues';

export interface NotificationMail {
  tenantId: string;
  to: string[];
  subject: string;
  text: string;
  /**
   * A fixed queue id makes submitting idempotent: the same notification
   * submitted twice (an effect re-applied) is recorded once. Default: a new one.
   */
  queueId?: string;
  date?: Date;
}

export interface SubmittedNotification { queueId: string; messageId: string | null; created: boolean }

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A queue id (same shape as the MX's) fixed by a time and a seed, for idempotent notifications. */
export function deterministicQueueId(at: Date | number, seed: string): string {
  let time = '';
  let t = Math.floor(typeof at === 'number' ? at : at.getTime());
  for (let i = 0; i < 9; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const h = createHash('sha256').update(seed).digest();
  let tail = '';
  for (let i = 0; i < 7; i++) tail += ALPHABET[h[i] % 32];
  return time + tail;
}

/**
 * Sends plain-text mail of the service itself (announcements to tenant
 * admins, credentials to an employee's alternate address) through the mail
 * path like any outbound message: the blob is stored and fsynced, then the
 * message row and one delivery row per recipient (route 'internet') are
 * recorded in one transaction; the worker delivers, retries and bounces it.
 */
@Injectable()
export class NotificationMailer {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'MX_HOSTNAME' | 'NOTIFICATION_FROM'>,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly ds: DataSource,
    private readonly queues: Queues,
  ) {}

  get from(): string {
    return this.cfg.NOTIFICATION_FROM ?? `no-reply@${this.cfg.MX_HOSTNAME}`;
  }

  async submit(mail: NotificationMail): Promise<SubmittedNotification> {
    const to = [...new Set(mail.to.map((a) => a.trim().toLowerCase()).filter(Boolean))];
    if (!to.length) throw new Error('a notification needs at least one recipient');
    const queueId = mail.queueId ?? newQueueId();
    const raw = await compose({ from: this.from, to, subject: mail.subject, text: mail.text, date: mail.date ?? new Date(), messageId: `<${queueId}.notice@${this.cfg.MX_HOSTNAME}>` });
    const key = blobKey(mail.tenantId, queueId);
    const w = this.blobs.createWriter(key);
    try {
      await new Promise<void>((resolve, reject) => Readable.from([raw]).pipe(w).on('error', reject).on('finish', resolve));
      await w.commit();
    } catch (e) {
      await w.abort();
      throw e;
    }
    const eightBit = false; // MailComposer encodes non-ASCII as quoted-printable / encoded words
    const recorded = await this.ds.transaction(async (em) => {
      const m: { id: string }[] = await em.query(
        `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, body_8bitmime, smtputf8, received_at)
         VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, false, now()) ON CONFLICT (queue_id) DO NOTHING RETURNING id`,
        [mail.tenantId, queueId, key, raw.length, this.from, to, eightBit],
      );
      if (!m.length) return null;
      await em.query(
        `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, expires_at)
         SELECT $1, $2, r, 'internet', now() + make_interval(secs => t.delivery_lifetime_seconds)
           FROM unnest($3::text[]) AS r, tenants t WHERE t.id = $1`,
        [mail.tenantId, m[0].id, to],
      );
      return m[0].id;
    });
    if (recorded) {
      const payload = { messageId: recorded, tenantId: mail.tenantId };
      await Promise.all([
        this.queues.add(QueueName.Delivery, 'deliver', payload, deliveryJobId(recorded, Date.now())),
        this.queues.add(QueueName.Index, 'index', payload, indexJobId(recorded)),
      ]).catch(() => undefined); // rows are committed; the delivery sweeper finds them
    }
    return { queueId, messageId: recorded, created: recorded !== null };
  }
}

function compose(opts: { from: string; to: string[]; subject: string; text: string; date: Date; messageId: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer({ ...opts, headers: { 'Auto-Submitted': 'auto-generated' } }).compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
