import { Injectable } from '@nestjs/common';
import { ComposedText, NothingToSendError, normalizeLanguage, SmsComposer, SmsRow } from '@app/sms';
import { CredentialReason, tenantBackToNormalText, tenantCredentialsText } from './credential-texts';
import { CredentialsService } from './credentials.service';
import { CredentialsStore } from './credentials.store';

/** Builds a credentials text in the send job: a new credential each attempt, voided if the text is not taken. */
@Injectable()
export class CredentialsSmsComposer implements SmsComposer {
  readonly kind = 'credentials' as const;

  constructor(
    private readonly credentials: CredentialsService,
    private readonly store: CredentialsStore,
  ) {}

  async compose(row: SmsRow): Promise<ComposedText> {
    if (!row.mailboxId) throw new NothingToSendError('credentials text without a mailbox');
    const m = await this.store.mailboxForText(row.mailboxId);
    if (!m || !m.active) throw new NothingToSendError('the mailbox is disabled or gone');
    const issued = await this.credentials.issue(m.tenantId, m.id, 'sms', row.id);
    const reason = (['activation', 'drill', 'request'].includes(String(row.params.reason)) ? row.params.reason : 'request') as CredentialReason;
    const language = normalizeLanguage(row.language ?? m.language);
    return {
      body: tenantCredentialsText(m.smsTemplates?.[language]?.credentials, { language, tenantName: m.tenantName, code: issued.code, link: issued.link, lifetimeHours: this.credentials.lifetimeHours, reason }),
      discard: () => this.credentials.discard(issued.id),
    };
  }
}

@Injectable()
export class BackToNormalSmsComposer implements SmsComposer {
  readonly kind = 'back-to-normal' as const;

  constructor(private readonly store: CredentialsStore) {}

  async compose(row: SmsRow): Promise<ComposedText> {
    if (!row.mailboxId) throw new NothingToSendError('back-to-normal text without a mailbox');
    const m = await this.store.mailboxForText(row.mailboxId);
    if (!m || !m.active) throw new NothingToSendError('the mailbox is disabled or gone');
    const language = normalizeLanguage(row.language ?? m.language);
    return { body: tenantBackToNormalText(m.smsTemplates?.[language]?.backToNormal, language, m.tenantName) };
  }
}
