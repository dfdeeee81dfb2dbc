export type SmsKind = 'credentials' | 'back-to-normal' | 'admin-alert';
export type SmsState = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'undelivered' | 'capped';
export type SmsLanguage = 'en' | 'de';

/** An sms_messages row as the send job sees it. It never holds a code: those are made at send time. */
export interface SmsRow {
  id: string;
  tenantId: string;
  mailboxId: string | null;
  adminId: string | null;
  toE164: string;
  kind: SmsKind;
  language: SmsLanguage;
  params: Record<string, unknown>;
  attempts: number;
}

/** A text to queue for one recipient. */
export interface NewSms {
  tenantId: string;
  mailboxId?: string | null;
  adminId?: string | null;
  toE164: string;
  kind: SmsKind;
  language: SmsLanguage;
  /** Non-secret values the text is built from (e.g. the transition announced). */
  params?: Record<string, unknown>;
  /** Makes queueing idempotent: a second insert with the same key adds nothing. */
  dedupeKey?: string | null;
}

export function normalizeLanguage(v: unknown): SmsLanguage {
  return v === 'de' ? 'de' : 'en';
}
