import type { Readable } from 'node:stream';
import type { AttemptResult } from './delivery-outcome';
import type { NextHop } from './next-hop';

export interface OutgoingEnvelope {
  /** '' for the null sender. */
  from: string;
  to: string[];
  /** Declare BODY=8BITMIME (carried over from the inbound session). */
  use8BitMime: boolean;
  /** Declare SMTPUTF8 (carried over from the inbound session). */
  smtputf8: boolean;
  size: number;
}

export interface SendRequest {
  hop: NextHop;
  envelope: OutgoingEnvelope;
  /** Opens the message bytes; called once per transaction actually started. */
  openMessage: () => Readable;
}

export type SendResult =
  /** No session with this hop (connect, greeting, EHLO, STARTTLS): the caller fails over to the next hop. */
  | { stage: 'connect'; error: AttemptResult }
  /**
   * A transaction ran. `accepted` recipients got `final` (the reply after the
   * final dot, or the failure of MAIL/DATA); `rejected` carries each refused
   * recipient's own reply.
   */
  | { stage: 'transaction'; accepted: string[]; final: AttemptResult; rejected: { recipient: string; result: AttemptResult }[] };

/** One SMTP transaction with one next hop. */
export interface SmtpSender {
  send(req: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}
export const SMTP_SENDER = Symbol('SMTP_SENDER');
