import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { normalizeLanguage, QueuedSms, SmsQueue } from '@app/sms';
import { NotificationMailer } from '@app/notifications';
import { codeHmac, generateCode, generateLinkToken, hmacEquals, linkTokenHmac, normalizeCode } from './credential-secrets';
import { credentialsEmail, CredentialReason } from './credential-texts';
import { CredentialError } from './credentials.errors';
import { CredentialsStore } from './credentials.store';

/** Stands in for a mailbox id when the address is unknown, so an unknown address costs the same work as a known one. */
const NO_MAILBOX = '00000000-0000-0000-0000-000000000000';

/** The one answer to a code that does not sign in, whatever the reason (see redeem). */
export const CODE_REFUSED_MESSAGE = 'the address or the code is not right, or the code is no longer valid; ask for a new code';
const codeRefused = () => new CredentialError('credential_invalid', CODE_REFUSED_MESSAGE);

type CredentialsConfig = Pick<AppConfig, 'CREDENTIAL_HMAC_SECRET' | 'CREDENTIAL_LIFETIME_HOURS' | 'CREDENTIAL_MAX_ATTEMPTS' | 'PUBLIC_WEBMAIL_URL'>;

/** A fresh credential. The plaintext exists only in this object, on its way into one text or mail. */
export interface IssuedCredential { id: string; code: string; link: string; expiresAt: Date }

/** Who signed in with a credential. */
export interface RedeemedCredential { credentialId: string; tenantId: string; mailboxId: string; address: string }

/**
 * One-time credentials for the webmail: issued at send time, stored as HMACs
 * only, redeemable once, within their lifetime and a few attempts.
 */
@Injectable()
export class CredentialsService {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: CredentialsConfig,
    private readonly store: CredentialsStore,
    private readonly sms: SmsQueue,
    private readonly mailer: NotificationMailer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get secret(): string {
    // loadConfig fills the development secret outside production and refuses production without one.
    if (!this.cfg.CREDENTIAL_HMAC_SECRET) throw new Error('CREDENTIAL_HMAC_SECRET is not set');
    return this.cfg.CREDENTIAL_HMAC_SECRET;
  }

  get lifetimeHours(): number {
    return this.cfg.CREDENTIAL_LIFETIME_HOURS;
  }

  linkFor(token: string): string {
    return `${this.cfg.PUBLIC_WEBMAIL_URL.replace(/\/+$/, '')}/signin/link?t=${encodeURIComponent(token)}`;
  }

  /** Makes a credential for a mailbox, superseding its unused ones of the same channel. */
  async issue(tenantId: string, mailboxId: string, channel: 'sms' | 'email', smsMessageId: string | null): Promise<IssuedCredential> {
    const code = generateCode();
    const token = generateLinkToken();
    const row = await this.store.insert({
      tenantId,
      mailboxId,
      channel,
      smsMessageId,
      codeHmac: codeHmac(this.secret, mailboxId, code),
      linkTokenHmac: linkTokenHmac(this.secret, token),
      lifetimeSeconds: Math.round(this.cfg.CREDENTIAL_LIFETIME_HOURS * 3600),
    });
    return { id: row.id, code, link: this.linkFor(token), expiresAt: new Date(row.expiresAt) };
  }

  /** Voids a credential that never reached its owner (the text was not taken). */
  discard(credentialId: string): Promise<void> {
    return this.store.supersede(credentialId);
  }

  /**
   * Signs in with address and code. Wrong codes count against every live
   * credential of the mailbox; after the maximum a credential is locked until
   * a new one is sent. Every code that does not sign in gets one answer —
   * unknown address, no code sent, a code expired, used, superseded or locked,
   * or a wrong guess at a live one — so the answer never tells whether an
   * address exists or has a code outstanding (which would also tell that its
   * tenant is in an outage).
   */
  async redeem(address: string, code: string): Promise<RedeemedCredential> {
    const max = this.cfg.CREDENTIAL_MAX_ATTEMPTS;
    const mailbox = address ? await this.store.activeMailbox(address) : null;
    // The attempt is counted and the HMAC computed for unknown addresses too (against no row):
    // the same work whatever the address, so the time taken does not tell either.
    const live = await this.store.countAttempt(mailbox?.id ?? NO_MAILBOX, max);
    const expected = codeHmac(this.secret, mailbox?.id ?? NO_MAILBOX, normalizeCode(code));
    // Compare with every live credential (SMS and e-mail), without stopping early.
    let match: string | null = null;
    for (const c of live) if (hmacEquals(c.codeHmac, expected)) match = c.id;
    if (!mailbox || !match) throw codeRefused();
    const used = await this.store.markUsed(match, max);
    // Only the right code gets here: a concurrent sign-in with the same code won the race.
    if (!used) throw new CredentialError('credential_used', 'this code has already been used');
    this.logger.info({ tenantId: used.tenantId, mailboxId: used.mailboxId, credentialId: used.id, via: 'code' }, 'credential redeemed');
    return { credentialId: used.id, tenantId: used.tenantId, mailboxId: used.mailboxId, address: mailbox.address };
  }

  /** Signs in with the link's token (only by POST: a GET must never call this). */
  async redeemLink(token: string): Promise<RedeemedCredential> {
    if (!token || token.length > 200) throw new CredentialError('credential_invalid', 'this sign-in link is not valid');
    const h = linkTokenHmac(this.secret, token);
    const c = await this.store.byLinkTokenHmac(h);
    if (!c || !hmacEquals(c.linkTokenHmac, h) || !c.mailboxActive) throw new CredentialError('credential_invalid', 'this sign-in link is not valid');
    if (c.used) throw new CredentialError('credential_used', 'this sign-in link has already been used');
    if (c.superseded) throw new CredentialError('credential_invalid', 'this sign-in link was replaced by a newer one');
    if (c.expired) throw new CredentialError('credential_expired', 'this sign-in link has expired; ask for a new one');
    if (c.attempts >= this.cfg.CREDENTIAL_MAX_ATTEMPTS) throw new CredentialError('credential_locked', 'too many wrong codes; ask for a new one');
    const used = await this.store.markUsed(c.id, this.cfg.CREDENTIAL_MAX_ATTEMPTS);
    if (!used) throw new CredentialError('credential_used', 'this sign-in link has already been used');
    this.logger.info({ tenantId: used.tenantId, mailboxId: used.mailboxId, credentialId: used.id, via: 'link' }, 'credential redeemed');
    return { credentialId: used.id, tenantId: used.tenantId, mailboxId: used.mailboxId, address: c.address };
  }

  /** An admin's request: texts to the given mailboxes (null: every active user mailbox with a mobile number). */
  async sendToMailboxes(tenantId: string, mailboxIds: string[] | null, reason: CredentialReason = 'request', dedupePrefix: string | null = null): Promise<QueuedSms[]> {
    if (mailboxIds && !mailboxIds.length) return [];
    return this.sms.queueForMailboxes(tenantId, 'credentials', { mailboxIds, dedupePrefix, params: { reason } });
  }

  /**
   * An employee's own request from the sign-in page. Whatever the address,
   * the caller answers the same; the outcome here is only for logs and tests.
   * A text goes to the mobile number, and a credential of its own (channel
   * 'email') to the alternate address.
   */
  async requestBySelf(address: string): Promise<{ texted: boolean; mailed: boolean }> {
    const m = await this.store.mailboxForRequest(address);
    if (!m) return { texted: false, mailed: false };
    let texted = false;
    if (m.mobileE164) {
      const rows = await this.sms.queue([{ tenantId: m.tenantId, mailboxId: m.id, toE164: m.mobileE164, kind: 'credentials', language: normalizeLanguage(m.language), params: { reason: 'request' } }]);
      texted = rows.length > 0;
    }
    let mailed = false;
    if (m.alternateEmail) {
      const issued = await this.issue(m.tenantId, m.id, 'email', null);
      const mail = credentialsEmail({ language: normalizeLanguage(m.language), tenantName: m.tenantName, code: issued.code, link: issued.link, lifetimeHours: this.lifetimeHours, reason: 'request', address: m.address });
      try {
        await this.mailer.submit({ tenantId: m.tenantId, to: [m.alternateEmail], subject: mail.subject, text: mail.text });
        mailed = true;
      } catch (e) {
        await this.discard(issued.id);
        throw e;
      }
    }
    this.logger.info({ tenantId: m.tenantId, mailboxId: m.id, texted, mailed }, 'credentials requested by the employee');
    return { texted, mailed };
  }
}
