import { randomBytes } from 'node:crypto';
import { decryptPrivateKey, encryptionKeyFrom, encryptPrivateKey, KeyEncryptionError, parseEncryptionKey } from './key-encryption';

describe('DKIM private key encryption', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    const stored = encryptPrivateKey(key, pem, 'example.com/mc2025111');
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain('PRIVATE KEY');
    expect(decryptPrivateKey(key, stored, 'example.com/mc2025111')).toBe(pem);
  });

  it('refuses a wrong key, a value moved to another selector, and a tampered value', () => {
    const stored = encryptPrivateKey(key, 'secret', 'a.example/s1');
    expect(() => decryptPrivateKey(randomBytes(32), stored, 'a.example/s1')).toThrow(KeyEncryptionError);
    expect(() => decryptPrivateKey(key, stored, 'b.example/s1')).toThrow(KeyEncryptionError);
    const parts = stored.split('.');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => decryptPrivateKey(key, parts.join('.'), 'a.example/s1')).toThrow(KeyEncryptionError);
  });

  it('reads hex and base64 keys of 32 bytes only', () => {
    expect(parseEncryptionKey(key.toString('hex'))).toEqual(key);
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key);
    expect(() => parseEncryptionKey(randomBytes(16).toString('base64'))).toThrow(KeyEncryptionError);
  });

  it('has a development default but demands a key in production', () => {
    expect(encryptionKeyFrom({ NODE_ENV: 'development' })).toHaveLength(32);
    expect(encryptionKeyFrom({ NODE_ENV: 'test' })).toEqual(encryptionKeyFrom({ NODE_ENV: 'development' }));
    expect(() => encryptionKeyFrom({ NODE_ENV: 'production' })).toThrow(/required in production/);
    expect(encryptionKeyFrom({ NODE_ENV: 'production', DKIM_KEY_ENCRYPTION_KEY: key.toString('hex') })).toEqual(key);
  });
});
