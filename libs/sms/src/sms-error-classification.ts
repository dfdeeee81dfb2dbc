/**
 * Twilio error codes that mean the same text to the same number will never go
 * through, so retrying only costs money: invalid or unreachable numbers,
 * numbers that opted out, regions not enabled, and messages Twilio refuses.
 * https://www.twilio.com/docs/api/errors
 */
export const PERMANENT_TWILIO_CODES = new Set([
  21211, // invalid 'To' number
  21214, // 'To' number cannot be reached
  21408, // permission to send to this region not enabled
  21610, // recipient replied STOP
  21612, // 'To' number not reachable by this sender
  21614, // 'To' number is not a mobile number
  21617, // body too long
  21635, // 'To' number cannot receive SMS
  30003, // unreachable handset
  30004, // blocked
  30005, // unknown destination handset
  30006, // landline or unreachable carrier
]);

export interface ProviderFailure {
  /** HTTP status of the provider's answer; absent when there was none. */
  status?: number;
  /** Provider error code from the body (Twilio's numeric code). */
  code?: number | string;
  /** Node/axios error code for failures without an answer. */
  networkCode?: string;
}

/**
 * Temporary or permanent? 429 and 5xx are temporary (Twilio is busy or
 * down), as is any failure without an answer; a known permanent code is
 * permanent whatever the status; other 4xx are permanent except
 * authentication (401/403 and 20003), which an operator fixes without the
 * text being wrong — those wait for the next attempt.
 */
export function isTemporaryFailure(f: ProviderFailure): boolean {
  const code = f.code === undefined || f.code === null ? undefined : Number(f.code);
  if (code !== undefined && PERMANENT_TWILIO_CODES.has(code)) return false;
  // No answer (refused, reset, timed out): the provider may never have seen the request.
  if (f.status === undefined) return true;
  if (f.status === 429 || f.status >= 500) return true;
  if (f.status === 401 || f.status === 403 || code === 20003) return true;
  return false;
}

/** Delay before the next attempt: base doubled per attempt made, at most an hour. */
export function smsRetryDelaySeconds(attemptsMade: number, baseSeconds: number): number {
  return Math.min(3600, baseSeconds * 2 ** Math.max(0, attemptsMade - 1));
}
