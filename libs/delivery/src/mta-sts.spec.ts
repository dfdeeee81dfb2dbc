import { applyMtaSts, mxMatches, parseMtaStsPolicy, policyIdFromTxt } from './mta-sts';
import type { NextHop } from './next-hop';

const hop = (host: string): NextHop => ({ host, port: 25, tls: { kind: 'opportunistic' }, source: 'mx' });

describe('MTA-STS', () => {
  it('reads the policy id from exactly one STSv1 TXT record', () => {
    expect(policyIdFromTxt([['v=STSv1; id=20251125T1']])).toBe('20251125T1');
    expect(policyIdFromTxt([['v=STSv1;', ' id=abc']])).toBe('abc');
    expect(policyIdFromTxt([['v=spf1 -all']])).toBeNull();
    expect(policyIdFromTxt([['v=STSv1; id=a'], ['v=STSv1; id=b']])).toBeNull();
    expect(policyIdFromTxt([])).toBeNull();
  });

  it('parses a policy file and refuses invalid ones', () => {
    const p = parseMtaStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n');
    expect(p).toEqual({ mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAgeSeconds: 86400 });
    expect(() => parseMtaStsPolicy('mode: enforce\nmx: a\nmax_age: 1')).toThrow(/version/);
    expect(() => parseMtaStsPolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 1')).toThrow(/mode/);
    expect(() => parseMtaStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1')).toThrow(/mx/);
    expect(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 60').mode).toBe('none');
  });

  it('matches MX patterns with a wildcard for one left-most label only', () => {
    expect(mxMatches('mail.example.com', 'mail.example.com')).toBe(true);
    expect(mxMatches('MX1.example.net.', '*.example.net')).toBe(true);
    expect(mxMatches('a.b.example.net', '*.example.net')).toBe(false);
    expect(mxMatches('example.net', '*.example.net')).toBe(false);
    expect(mxMatches('evil-example.net', '*.example.net')).toBe(false);
  });

  it('under enforce keeps only allowed MX hosts and requires verified TLS; none left means the mail waits', () => {
    const policy = { mode: 'enforce' as const, mx: ['*.example.net'], maxAgeSeconds: 60 };
    const r = applyMtaSts('example.com', [hop('mx1.example.net'), hop('rogue.attacker.test'), hop('mx2.example.net')], policy);
    expect('hops' in r && r.hops.map((h) => [h.host, h.tls.kind])).toEqual([
      ['mx1.example.net', 'verify'],
      ['mx2.example.net', 'verify'],
    ]);
    const none = applyMtaSts('example.com', [hop('rogue.attacker.test')], policy);
    expect('failure' in none && none.failure).toMatchObject({ kind: 'route', reason: 'mta-sts' });
  });

  it('changes nothing in testing mode or without a policy', () => {
    const hops = [hop('mx.elsewhere.test')];
    expect(applyMtaSts('example.com', hops, { mode: 'testing', mx: ['*.example.net'], maxAgeSeconds: 60 })).toEqual({ hops });
    expect(applyMtaSts('example.com', hops, null)).toEqual({ hops });
  });
});
