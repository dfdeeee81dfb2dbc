import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_DIGITS = 8;

/** An 8-digit one-time code (10^8 possibilities against a handful of attempts), uniformly random. */
export function generateCode(): string {
  let s = '';
  for (let i = 0; i < CODE_DIGITS; i++) s += String(randomInt(10));
  return s;
}

/** A sign-in link token: 256 random bits, URL-safe. */
export function generateLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What people type: spaces, dashes and dots between digit groups are fine. */
export function normalizeCode(input: string): string {
  return String(input ?? '').replace(/[\s.\-]/g, '');
}

/**
 * HMAC-SHA256 of a code, bound to its mailbox so equal codes of two mailboxes
 * differ in storage, and a stolen table cannot be checked offline without the
 * server secret.
 */
export function codeHmac(secret: string, mailboxId: string, code: string): string {
  return createHmac('sha256', secret).update(`code\0${mailboxId}\0${code}`).digest('hex');
}

/** HMAC-SHA256 of a link token; unique, so the link finds its credential by it. */
export function linkTokenHmac(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`link\0${token}`).digest('hex');
}

/** Constant-time comparison of two hex HMACs. */
export function hmacEquals(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
