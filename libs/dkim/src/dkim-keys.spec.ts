import { createPrivateKey } from 'node:crypto';
import { dkimDnsRecord, generateDkimKey, KeyForRotation, nextSelector, publicKeyOf, publishedIn, rotationSteps, txtChunks } from './dkim-keys';

describe('DKIM keys', () => {
  it('generates 2048-bit RSA keys whose p= matches the private key', () => {
    const k = generateDkimKey('rsa');
    expect(k.bits).toBe(2048);
    expect(createPrivateKey(k.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(publicKeyOf(k.privateKeyPem, 'rsa')).toBe(k.publicKey);
  });

  it('generates Ed25519 keys with the bare 32-byte public key (RFC 8463)', () => {
    const k = generateDkimKey('ed25519');
    expect(Buffer.from(k.publicKey, 'base64')).toHaveLength(32);
    expect(publicKeyOf(k.privateKeyPem, 'ed25519')).toBe(k.publicKey);
  });

  it('names selectors by month and counter, Ed25519 ones with an e', () => {
    const nov = new Date('2025-11-25T10:00:00Z');
    expect(nextSelector(nov, 'rsa', [])).toBe('mc2025111');
    expect(nextSelector(nov, 'rsa', ['mc2025111', 'mc2025112'])).toBe('mc2025113');
    expect(nextSelector(nov, 'ed25519', ['mc2025111'])).toBe('mc2025111e');
    expect(nextSelector(new Date('2026-01-01T00:00:00Z'), 'rsa', ['mc2025111'])).toBe('mc2026011');
  });

  it('shows the record to publish and finds it in TXT answers split into strings', () => {
    const r = dkimDnsRecord('example.com', 'mc2025111', 'rsa', 'MIIBkey');
    expect(r).toEqual({ name: 'mc2025111._domainkey.example.com', type: 'TXT', value: 'v=DKIM1; k=rsa; p=MIIBkey' });
    expect(publishedIn([['v=DKIM1; k=rsa; p=MII', 'Bkey']], 'MIIBkey')).toBe(true);
    expect(publishedIn([['v=DKIM1; k=rsa; p=OTHER']], 'MIIBkey')).toBe(false);
    expect(publishedIn([], 'MIIBkey')).toBe(false);
    expect(txtChunks('x'.repeat(600)).map((c) => c.length)).toEqual([255, 255, 90]);
  });
});

describe('rotationSteps', () => {
  const t0 = new Date('2025-11-01T00:00:00Z');
  const key = (id: string, state: KeyForRotation['state'], extra: Partial<KeyForRotation> = {}): KeyForRotation => ({ id, algorithm: 'rsa', state, createdAt: t0, retiringSince: null, ...extra });

  it('activates the first key once it is seen, not before', () => {
    expect(rotationSteps([key('a', 'pending')], new Set(), t0, 3600)).toEqual([]);
    expect(rotationSteps([key('a', 'pending')], new Set(['a']), t0, 3600)).toEqual([{ kind: 'activate', id: 'a' }]);
  });

  it('swaps a seen successor in and starts retiring the old key, which stays until the overlap has passed', () => {
    const keys = [key('old', 'active'), key('new', 'pending', { createdAt: new Date(t0.getTime() + 1000) })];
    expect(rotationSteps(keys, new Set(), t0, 3600)).toEqual([]);
    expect(rotationSteps(keys, new Set(['new']), t0, 3600)).toEqual([
      { kind: 'activate', id: 'new' },
      { kind: 'retire-start', id: 'old' },
    ]);
    const retiring = [key('old', 'retiring', { retiringSince: t0 }), key('new', 'active')];
    expect(rotationSteps(retiring, new Set(), new Date(t0.getTime() + 3599_000), 3600)).toEqual([]);
    expect(rotationSteps(retiring, new Set(), new Date(t0.getTime() + 3600_000), 3600)).toEqual([{ kind: 'retire', id: 'old' }]);
  });

  it('keeps algorithms apart: a new RSA key does not retire the Ed25519 one', () => {
    const keys = [key('ed', 'active', { algorithm: 'ed25519' }), key('rsa1', 'active'), key('rsa2', 'pending')];
    expect(rotationSteps(keys, new Set(['rsa2']), t0, 60)).toEqual([
      { kind: 'activate', id: 'rsa2' },
      { kind: 'retire-start', id: 'rsa1' },
    ]);
  });
});
