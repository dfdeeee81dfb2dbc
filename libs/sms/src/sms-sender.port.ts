/** One text to hand to the SMS provider. `body` may hold a one-time code: never log it. */
export interface OutgoingText {
  /** E.164. */
  to: string;
  body: string;
  /** Where the provider reports delivery (apps/api); null when there is nowhere to report to. */
  statusCallbackUrl: string | null;
  /** Our row id, for the provider's records and our logs. */
  reference: string;
  /** The tenant's own sender (E.164 number or alphanumeric id); absent or null: the configured one. */
  from?: string | null;
}

export interface SentText {
  /** The provider's id of the message (Twilio's `SM…` sid); delivery receipts name it. */
  providerSid: string;
}

/**
 * The provider refused or could not take the text. `temporary` says whether
 * the same text may succeed later (rate limits, provider outages, network);
 * permanent refusals (an invalid or unreachable number) are not retried.
 */
export class SmsSendError extends Error {
  constructor(
    readonly temporary: boolean,
    /** The provider's error code (Twilio's numeric code, or 'network'), for the row and the log. */
    readonly providerCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

/** The port every SMS provider adapter implements. */
export interface SmsSender {
  readonly driver: string;
  send(text: OutgoingText): Promise<SentText>;
}

export const SMS_SENDER = Symbol('SMS_SENDER');
