import { lockSeconds } from './webmail-accounts.service';
import { MIN_PASSWORD_LENGTH, hashPassword, passwordProblem, passwordProblemText, verifyPassword } from './passwords';

describe('webmail passwords', () => {
  const addr = 'anna.schmidt@acme.example';

  it('need a sensible length', () => {
    expect(passwordProblem('a'.repeat(3) + 'bcdefg', addr)).toBe('too_short');
    expect(passwordProblem('Tür-Öffner!', addr)).toBeNull();
    expect(passwordProblem('x'.repeat(257), addr)).toBe('too_long');
    expect(passwordProblem('zzzzzzzzzzzz', addr)).toBe('one_character');
    expect(MIN_PASSWORD_LENGTH).toBeGreaterThanOrEqual(10);
  });

  it('refuse the address itself and its name part', () => {
    expect(passwordProblem(addr, addr)).toBe('is_address');
    expect(passwordProblem(addr.toUpperCase(), addr)).toBe('is_address');
    expect(passwordProblem('anna.schmidt', addr)).toBe('is_address');
    expect(passwordProblem('annaschmidt2024', addr)).toBe('is_address');
  });

  it('refuse very common passwords, also with digits around them', () => {
    expect(passwordProblem('passwort123', addr)).toBe('too_common');
    expect(passwordProblem('Password123!', addr)).toBe('too_common');
    expect(passwordProblem('1234567890', addr)).toBe('too_common');
    expect(passwordProblem('qwertzuiop', addr)).toBe('too_common');
    expect(passwordProblem('2024Sommer2024', addr)).toBe('too_common');
    expect(passwordProblem('blue horse battery', addr)).toBeNull();
  });

  it('explain the problem in English and German', () => {
    expect(passwordProblemText('too_short', 'en')).toContain(String(MIN_PASSWORD_LENGTH));
    expect(passwordProblemText('too_common', 'de')).toContain('häufigsten');
  });

  it('are stored as argon2id and verified', async () => {
    const h = await hashPassword('blue horse battery');
    expect(h.startsWith('$argon2id$')).toBe(true);
    expect(await verifyPassword(h, 'blue horse battery')).toBe(true);
    expect(await verifyPassword(h, 'blue horse batter')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
  });

  it('lock for a minute at the threshold, doubling, at most an hour', () => {
    expect(lockSeconds(4, 5)).toBeNull();
    expect(lockSeconds(5, 5)).toBe(60);
    expect(lockSeconds(6, 5)).toBe(120);
    expect(lockSeconds(50, 5)).toBe(3600);
  });
});
