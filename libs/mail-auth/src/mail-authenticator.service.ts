import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@app/database/prepared-statement';
import { authenticate } from 'mailauth';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { deadlineResolver, MAIL_AUTH_RESOLVER, MailAuthResolver } from './auth-dns.port';
import { authenticationResultsHeader, AuthSummary, failedSummary, MailauthLike, summarize, temperrorHeader, timedOutHeader, timedOutSummary } from './auth-summary';

export interface VerifyInput {
  queueId: string;
  /** Opens the message as stored (our Received header on top, the sender's bytes below). */
  open: () => Readable;
  clientAddress: string | null;
  helo: string | null;
  /** Envelope sender; '' for <>. */
  mailFrom: string;
  rejectOnDmarcFail: boolean;
}

export interface InboundAuthentication {
  /** `Authentication-Results: …\r\n`, to prepend to the bytes passed on. */
  header: string;
  summary: AuthSummary;
}

/**
 * SPF (client address, HELO, MAIL FROM), DKIM, DMARC and ARC of inbound mail
 * through mailauth, computed once per message in the worker (never on the
 * MX's 250 path, where DNS could hold a sender's session), time-boxed so DNS
 * trouble becomes temperror instead of a stuck delivery, and stored on the
 * message row so every later attempt and the webmail see the same result.
 */
@Injectable()
export class MailAuthenticator {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'MX_HOSTNAME' | 'AUTH_VERIFY_TIMEOUT_MS'>,
    @Inject(MAIL_AUTH_RESOLVER) private readonly resolver: MailAuthResolver,
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Verifies one message; never throws for a verdict, only records one. */
  async verify(input: VerifyInput): Promise<InboundAuthentication> {
    const timeoutMs = this.cfg.AUTH_VERIFY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const stream = input.open();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const run = authenticate(stream, {
        ip: input.clientAddress ?? undefined,
        helo: input.helo ?? undefined,
        sender: input.mailFrom || undefined,
        mta: this.cfg.MX_HOSTNAME,
        resolver: deadlineResolver(this.resolver, deadline) as never,
        disableBimi: true,
      });
      const result = await Promise.race([run, timedOut]);
      if (result === 'timeout') {
        run.catch(() => undefined);
        stream.destroy();
        this.logger.warn({ queueId: input.queueId, timeoutMs }, 'inbound authentication timed out; recorded as temperror');
        return { header: timedOutHeader(this.cfg.MX_HOSTNAME, timeoutMs), summary: timedOutSummary() };
      }
      const r = result as unknown as MailauthLike;
      return { header: authenticationResultsHeader(this.cfg.MX_HOSTNAME, r), summary: summarize(r, input.rejectOnDmarcFail) };
    } catch (e) {
      stream.destroy();
      // A message mailauth cannot read is still delivered; the verdict says we could not tell.
      this.logger.warn({ queueId: input.queueId, err: e instanceof Error ? e.message : String(e) }, 'inbound authentication failed; recorded as temperror');
      return { header: temperrorHeader(this.cfg.MX_HOSTNAME, '(verification failed)'), summary: failedSummary() };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The message's stored result, computing and storing it first when there is
   * none. Two workers racing store one result: the first write wins and both
   * pass on that one.
   */
  async ensureFor(message: { id: string; tenantId: string; queueId: string; mailFrom: string; preloaded?: PreloadedAuthColumns }, open: () => Readable): Promise<InboundAuthentication> {
    // The delivery's claim may have read the columns already (same row, read when the attempt began).
    const known = message.preloaded;
    const stored = known ? storedOf(known.authResults, known.authSummary as AuthSummary | null) : await this.stored(message.tenantId, message.id);
    if (stored) return stored;
    let c: { clientAddress: string | null; helo: string | null; reject: boolean };
    if (known) c = { clientAddress: known.clientAddress, helo: known.clientHelo, reject: known.rejectOnDmarcFail };
    else {
      const ctx: { clientAddress: string | null; helo: string | null; reject: boolean }[] = await this.ds.query(
        `SELECT m.client_address AS "clientAddress", m.client_helo AS helo, t.reject_on_dmarc_fail AS reject
           FROM messages m JOIN tenants t ON t.id = m.tenant_id WHERE m.tenant_id = $1 AND m.id = $2`,
        [message.tenantId, message.id],
      );
      c = ctx[0] ?? { clientAddress: null, helo: null, reject: false };
    }
    const fresh = await this.verify({ queueId: message.queueId, open, clientAddress: c.clientAddress, helo: c.helo, mailFrom: message.mailFrom, rejectOnDmarcFail: c.reject });
    // First write wins; the row written comes back, so the usual case needs no second read.
    const { rows: written } = await preparedQuery<{ header: string | null; summary: AuthSummary | null }>(
      this.ds,
      'auth-store-verdict',
      `UPDATE messages SET auth_results = $3, auth_summary = $4 WHERE tenant_id = $1 AND id = $2 AND auth_results IS NULL RETURNING auth_results AS header, auth_summary AS summary`,
      [message.tenantId, message.id, fresh.header, JSON.stringify(fresh.summary)],
    );
    const s = fresh.summary;
    this.logger.info({ queueId: message.queueId, spf: s.spf, dkim: s.dkim, dmarc: s.dmarc, arc: s.arc, action: s.action }, 'inbound authentication');
    return storedOf(written[0]?.header ?? null, written[0]?.summary ?? null) ?? (await this.stored(message.tenantId, message.id)) ?? fresh;
  }

  private async stored(tenantId: string, messageId: string): Promise<InboundAuthentication | null> {
    const rows: { header: string | null; summary: AuthSummary | null }[] = await this.ds.query(
      `SELECT auth_results AS header, auth_summary AS summary FROM messages WHERE tenant_id = $1 AND id = $2`,
      [tenantId, messageId],
    );
    const r = rows[0];
    return storedOf(r?.header ?? null, r?.summary ?? null);
  }
}

/** The message columns ensureFor reads, when the caller has read them already. */
export interface PreloadedAuthColumns {
  authResults: string | null;
  authSummary: object | null;
  clientAddress: string | null;
  clientHelo: string | null;
  rejectOnDmarcFail: boolean;
}

function storedOf(header: string | null, summary: AuthSummary | null): InboundAuthentication | null {
  return header && summary ? { header, summary } : null;
}

