import twilio from 'twilio';
import RestException from 'twilio/lib/base/RestException';
import { OutgoingText, SentText, SmsSender, SmsSendError } from './sms-sender.port';
import { isTemporaryFailure } from './sms-error-classification';
import { TwilioCompatibleRequestClient } from './twilio-request-client';

export interface TwilioSenderOptions {
  accountSid: string;
  authToken: string;
  /** A sending number, or … */
  from?: string;
  /** … a Messaging Service, which picks the number (and pools throughput). */
  messagingServiceSid?: string;
  baseUrl: string;
  timeoutMs?: number;
}

/**
 * Texts through Twilio's Messages API with the official SDK. The SDK's own
 * 429 auto-retry stays off: retries are ours, from Postgres, with a new
 * credential each time.
 */
export class TwilioSmsSender implements SmsSender {
  readonly driver = 'twilio';
  private readonly client: twilio.Twilio;

  constructor(private readonly opts: TwilioSenderOptions) {
    const httpClient = new TwilioCompatibleRequestClient(opts.baseUrl, { timeout: opts.timeoutMs ?? 15_000, keepAlive: true });
    this.client = twilio(opts.accountSid, opts.authToken, { httpClient });
  }

  async send(text: OutgoingText): Promise<SentText> {
    try {
      const m = await this.client.messages.create({
        to: text.to,
        body: text.body,
        // A tenant's own sender is sent as From on its own (an alphanumeric id or a number of the account, outside any Messaging Service pool).
        ...(text.from ? { from: text.from } : this.opts.messagingServiceSid ? { messagingServiceSid: this.opts.messagingServiceSid } : { from: this.opts.from as string }),
        ...(text.statusCallbackUrl ? { statusCallback: text.statusCallbackUrl } : {}),
      });
      return { providerSid: m.sid };
    } catch (e) {
      throw toSendError(e);
    }
  }
}

/** The SDK's failure as ours; the message never includes the request body (it holds the code). */
export function toSendError(e: unknown): SmsSendError {
  if (e instanceof RestException) {
    const code = e.code !== undefined && e.code !== null ? String(e.code) : `http-${e.status}`;
    return new SmsSendError(isTemporaryFailure({ status: e.status, code: e.code }), code, `Twilio answered ${e.status}: ${e.message ?? ''}`.trim());
  }
  const err = e as { code?: string; message?: string; response?: { status?: number } };
  if (err?.response?.status) {
    return new SmsSendError(isTemporaryFailure({ status: err.response.status }), `http-${err.response.status}`, `Twilio answered ${err.response.status}`);
  }
  return new SmsSendError(true, err?.code ?? 'network', `no answer from Twilio: ${err?.code ?? err?.message ?? String(e)}`);
}
