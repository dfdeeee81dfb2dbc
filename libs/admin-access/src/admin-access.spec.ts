import { authenticator } from 'otplib';
import { randomBytes } from 'node:crypto';
import { lockMinutesAfter, LOCK_AFTER_FAILURES } from './admin-users.service';
import { passwordProblem } from './passwords';
import { decryptTotpSecret, encryptTotpSecret, totpKeyFrom, totpStepOf } from './totp-secrets';

describe('admin access rules', () => {
  it('locks only after many failures in a row, doubling up to an hour', () => {
    expect(lockMinutesAfter(LOCK_AFTER_FAILURES - 1)).toBe(0);
    expect(lockMinutesAfter(LOCK_AFTER_FAILURES)).toBe(1);
    expect(lockMinutesAfter(LOCK_AFTER_FAILURES + 3)).toBe(8);
    expect(lockMinutesAfter(LOCK_AFTER_FAILURES + 30)).toBe(60);
  });

  it('wants passwords of at least 12 characters that are not one repeated character', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/repeat/);
    expect(passwordProblem('correct horse battery')).toBeNull();
  });

  it('keeps TOTP secrets encrypted and bound to their user', () => {
    const key = totpKeyFrom({ NODE_ENV: 'test' });
    const stored = encryptTotpSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    expect(stored).not.toContain('JBSWY3DPEHPK3PXP');
    expect(decryptTotpSecret(key, stored, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => decryptTotpSecret(key, stored, 'user-2')).toThrow();
    expect(() => decryptTotpSecret(randomBytes(32), stored, 'user-1')).toThrow();
  });

  it('refuses to make up a key in production', () => {
    expect(() => totpKeyFrom({ NODE_ENV: 'production' })).toThrow(/DKIM_KEY_ENCRYPTION_KEY/);
    expect(totpKeyFrom({ NODE_ENV: 'production', DKIM_KEY_ENCRYPTION_KEY: 'a'.repeat(64) })).toHaveLength(32);
  });

  it('gives the time step of a right code and null for a wrong or malformed one', () => {
    const secret = authenticator.generateSecret(20);
    const now = Date.now();
    const step = totpStepOf(authenticator.generate(secret), secret, now);
    expect(step === Math.floor(now / 30_000) || step === Math.floor(now / 30_000) + 1 || step === Math.floor(now / 30_000) - 1).toBe(true);
    const wrong = String((Number(authenticator.generate(secret)) + 500_000) % 1_000_000).padStart(6, '0');
    expect(totpStepOf(wrong, secret, now)).toBeNull();
    expect(totpStepOf('12345', secret, now)).toBeNull();
  });
});
