import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { authenticator } from 'otplib';
import { encryptionKeyFrom } from '@app/dkim';

/**
 * TOTP secrets are kept encrypted (AES-256-GCM) under a key derived from the
 * service's key-encryption key (DKIM_KEY_ENCRYPTION_KEY, required in
 * production), with its own HKDF label so the two uses never share a key.
 * The user id is the associated data: a secret cannot be moved to another row.
 */
export function totpKeyFrom(cfg: { NODE_ENV: string; DKIM_KEY_ENCRYPTION_KEY?: string }): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKeyFrom(cfg), Buffer.alloc(0), 'mail-continuity admin TOTP secrets v1', 32));
}

export function encryptTotpSecret(key: Buffer, secret: string, userId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`totp:${userId}`));
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

export function decryptTotpSecret(key: Buffer, stored: string, userId: string): string {
  const [version, iv, tag, ct] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || !ct) throw new Error('unknown encrypted TOTP secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(`totp:${userId}`));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
}

/** One step either side, for clocks that drift a little. */
const totp = authenticator.clone({ window: 1 });

export function newTotpSecret(): string {
  return totp.generateSecret(20);
}

export function otpauthUrl(email: string, secret: string): string {
  return totp.keyuri(email, 'Mail Continuity', secret);
}

/**
 * The time step a code belongs to, or null when it is wrong. Callers refuse a
 * step not later than the last one accepted, so a code works once.
 */
export function totpStepOf(code: string, secret: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp.checkDelta(code, secret);
  if (delta === null) return null;
  return Math.floor(now / 30_000) + delta;
}
