import { randomBytes, scrypt as scryptCb, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * Connector passwords are stored only as scrypt hashes with a salt of their
 * own (node:crypto, no native add-on to build). Format, self-describing so
 * the cost can be raised later without invalidating stored hashes:
 *   scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
 */
const DEFAULT = { log2N: 15, r: 8, p: 1 };
const KEY_LEN = 32;
const SALT_LEN = 16;

function scrypt(secret: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(secret, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const options = (log2N: number, r: number, p: number): ScryptOptions => ({ N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r + 1024 * 1024 });

/** A fresh password for a connector: 192 random bits, URL-safe so it survives every config dialog. */
export function generateConnectorSecret(): string {
  return randomBytes(24).toString('base64url');
}

export async function hashConnectorSecret(secret: string, cost = DEFAULT): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await scrypt(secret, salt, KEY_LEN, options(cost.log2N, cost.r, cost.p));
  return ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyConnectorSecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (![log2N, r, p].every(Number.isInteger) || log2N < 10 || log2N > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (!salt.length || expected.length !== KEY_LEN) return false;
  const actual = await scrypt(secret, salt, KEY_LEN, options(log2N, r, p));
  return timingSafeEqual(actual, expected);
}
