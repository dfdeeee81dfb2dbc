import { Injectable } from '@nestjs/common';
import type { SmsKind, SmsRow } from './sms.types';

/** A text built for sending. `body` may hold a fresh one-time code: it lives only in memory. */
export interface ComposedText {
  body: string;
  /** Called when the provider did not take the text, so a credential nobody received is voided. */
  discard?(): Promise<void>;
}

/** Thrown by a composer when there is nothing to send any more (the mailbox is gone, say): the row fails without a retry. */
export class NothingToSendError extends Error {}

/** Builds the text of one kind at send time. Domains register theirs (credentials, admin alerts). */
export interface SmsComposer {
  readonly kind: SmsKind;
  compose(row: SmsRow): Promise<ComposedText>;
}

/** Told once per tenant and hour when the cap stops texts (admins are alerted through it). */
export interface SmsCapListener {
  capReached(tenantId: string, capPerHour: number): Promise<void>;
}

/**
 * Lets libs/credentials and libs/notifications supply the texts without the
 * SMS queue depending on them (they depend on it to queue texts).
 */
@Injectable()
export class SmsComposerRegistry {
  private readonly composers = new Map<SmsKind, SmsComposer>();
  private readonly capListeners: SmsCapListener[] = [];

  register(composer: SmsComposer): void {
    if (this.composers.has(composer.kind)) throw new Error(`SMS composer for ${composer.kind} registered twice`);
    this.composers.set(composer.kind, composer);
  }

  onCapReached(listener: SmsCapListener): void {
    this.capListeners.push(listener);
  }

  get(kind: SmsKind): SmsComposer {
    const c = this.composers.get(kind);
    if (!c) throw new Error(`no SMS composer for ${kind} (is its module imported?)`);
    return c;
  }

  get listeners(): readonly SmsCapListener[] {
    return this.capListeners;
  }
}
