import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * DKIM private keys are kept encrypted with AES-256-GCM, so a database dump
 * alone cannot sign mail for a tenant's domain. Stored form:
 * `v1.<iv base64>.<tag base64>.<ciphertext base64>`; the key id travels as
 * associated data so a value cannot be moved to another row unnoticed.
 */
const VERSION = 'v1';

export class KeyEncryptionError extends Error {}

/** The key from DKIM_KEY_ENCRYPTION_KEY (64 hex digits or base64 of 32 bytes). */
export function parseEncryptionKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new KeyEncryptionError('DKIM_KEY_ENCRYPTION_KEY must be 32 bytes (64 hex digits or base64)');
  return key;
}

/**
 * The key to use: the configured one, or in development and test a fixed key
 * derived from a public string (so the demo works without setup); production
 * without a key is refused rather than given a guessable one.
 */
export function encryptionKeyFrom(cfg: { NODE_ENV: string; DKIM_KEY_ENCRYPTION_KEY?: string }): Buffer {
  if (cfg.DKIM_KEY_ENCRYPTION_KEY) return parseEncryptionKey(cfg.DKIM_KEY_ENCRYPTION_KEY);
  if (cfg.NODE_ENV === 'production') throw new KeyEncryptionError('DKIM_KEY_ENCRYPTION_KEY (or DKIM_KEY_ENCRYPTION_KEY_FILE) is required in production');
  return createHash('sha256').update('mail-continuity development DKIM key encryption key').digest();
}

export function encryptPrivateKey(key: Buffer, plaintextPem: string, associated: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associated));
  const ct = Buffer.concat([cipher.update(plaintextPem, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

export function decryptPrivateKey(key: Buffer, stored: string, associated: string): string {
  const [version, iv, tag, ct] = stored.split('.');
  if (version !== VERSION || !iv || !tag || !ct) throw new KeyEncryptionError('unknown encrypted key format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(associated));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyEncryptionError('cannot decrypt a DKIM private key: wrong DKIM_KEY_ENCRYPTION_KEY or damaged value');
  }
}
