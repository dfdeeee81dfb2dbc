import { authenticationResultsHeader, summarize, timedOutHeader, timedOutSummary } from './auth-summary';

const pass = {
  dkim: { headerFrom: ['ann@sender.example'], results: [{ signingDomain: 'sender.example', status: { result: 'pass' }, info: 'dkim=pass header.i=@sender.example header.s=s1 header.a=rsa-sha256 header.b="abc"' }] },
  spf: { status: { result: 'pass' }, info: 'spf=pass (mx.test: domain of a@sender.example designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@sender.example' },
  dmarc: { status: { result: 'pass' }, policy: 'reject', info: 'dmarc=pass header.from=sender.example' },
  arc: { status: { result: 'none' }, info: 'arc=none' },
};

describe('inbound authentication summary', () => {
  it('summarises a passing message', () => {
    expect(summarize(pass, false)).toEqual({ spf: 'pass', dkim: 'pass', dmarc: 'pass', arc: 'none', fromDomain: 'sender.example', dkimDomains: ['sender.example'], dmarcPolicy: 'reject', action: 'deliver' });
  });

  it('takes any passing signature as dkim=pass, else the first verdict, and none without signatures', () => {
    const two = { dkim: { results: [{ signingDomain: 'x.example', status: { result: 'fail' } }, { signingDomain: 'y.example', status: { result: 'pass' } }] } };
    expect(summarize(two, false).dkim).toBe('pass');
    expect(summarize({ dkim: { results: [{ status: { result: 'neutral' } }] } }, false).dkim).toBe('neutral');
    expect(summarize({ dkim: { results: [] }, spf: false, dmarc: false, arc: false }, false)).toMatchObject({ dkim: 'none', spf: 'none', dmarc: 'none', arc: 'none' });
  });

  it('flags a DMARC failure under p=reject only for tenants that asked to reject', () => {
    const forged = { ...pass, dmarc: { status: { result: 'fail' }, policy: 'reject', info: 'dmarc=fail' } };
    expect(summarize(forged, false).action).toBe('deliver');
    expect(summarize(forged, true).action).toBe('flagged-reject');
    expect(summarize({ ...forged, dmarc: { status: { result: 'fail' }, policy: 'none' } }, true).action).toBe('deliver');
  });

  it('builds one header field with our authserv-id, CRLF folding and no stray line breaks', () => {
    const h = authenticationResultsHeader('mx.test', { ...pass, spf: { status: { result: 'pass' }, info: 'spf=pass\nX-Injected: yes' } });
    expect(h.startsWith('Authentication-Results: mx.test;\r\n dkim=pass')).toBe(true);
    expect(h.endsWith('\r\n')).toBe(true);
    expect(h).toContain('spf=pass X-Injected: yes');
    // every line break is a fold (followed by whitespace) except the last
    expect(h.slice(0, -2).split('\r\n').slice(1).every((l) => /^[ \t]/.test(l))).toBe(true);
    expect(h).toContain('dmarc=pass header.from=sender.example');
  });

  it('records temperror when verification ran out of time', () => {
    expect(timedOutSummary()).toMatchObject({ spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', arc: 'temperror', timedOut: true });
    expect(timedOutHeader('mx.test', 500)).toMatch(/^Authentication-Results: mx\.test;\r\n spf=temperror \(verification not finished within 500 ms\);\r\n dkim=temperror/);
  });
});
