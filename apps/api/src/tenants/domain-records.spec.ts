import { checkRecord, DnsRecordToPublish, recordsToPublish, spfIncludeOf } from './domain-records';

const names = { mxHostname: 'mx.continuity.test', spfInclude: '_spf.continuity.test' };
const domain = { name: 'acme.example', verificationToken: 'tok123' };
const key = { selector: 's2026a', state: 'active', record: { name: 's2026a._domainkey.acme.example', value: 'v=DKIM1; k=rsa; p=MIIBkey' } };
const records = recordsToPublish(domain, names, [key, { ...key, selector: 'old', state: 'retired' }]);
const byPurpose = (p: string) => records.find((r) => r.purpose === p) as DnsRecordToPublish;
const txt = (...t: string[]) => ({ ok: true as const, records: t.map((x) => [x]) });
const mx = (...m: Array<[number, string]>) => ({ ok: true as const, records: m.map(([priority, exchange]) => ({ priority, exchange })) });
const none = { ok: true as const, records: [] };

describe('recordsToPublish', () => {
  it('lists ownership, MX, SPF and the DKIM keys that are not retired', () => {
    expect(records.map((r) => `${r.purpose} ${r.type} ${r.name} ${r.value}`)).toEqual([
      'ownership TXT acme.example continuity-verification=tok123',
      'mx MX acme.example mx.continuity.test',
      'spf TXT acme.example v=spf1 include:_spf.continuity.test ~all',
      'dkim TXT s2026a._domainkey.acme.example v=DKIM1; k=rsa; p=MIIBkey',
    ]);
  });

  it('takes the SPF include from the configuration, or derives it from the MX host name', () => {
    expect(spfIncludeOf({ MX_HOSTNAME: 'mx.a.test' })).toBe('_spf.mx.a.test');
    expect(spfIncludeOf({ MX_HOSTNAME: 'mx.a.test', SPF_INCLUDE_DOMAIN: 'spf.a.test.' })).toBe('spf.a.test');
  });
});

describe('checkRecord', () => {
  it('ownership: ok, another token, absent', () => {
    expect(checkRecord(byPurpose('ownership'), txt('v=spf1 -all', 'continuity-verification=tok123'), none)).toMatchObject({ status: 'ok', found: ['continuity-verification=tok123'] });
    expect(checkRecord(byPurpose('ownership'), txt('continuity-verification=other'), none).status).toBe('wrong');
    expect(checkRecord(byPurpose('ownership'), txt('v=spf1 -all'), none)).toMatchObject({ status: 'missing', found: [] });
  });

  it('MX: only ours is ok; another host, or ours plus a bypass, is wrong', () => {
    expect(checkRecord(byPurpose('mx'), none, mx([10, 'mx.continuity.test.']))).toMatchObject({ status: 'ok', found: ['10 mx.continuity.test'] });
    expect(checkRecord(byPurpose('mx'), none, mx([10, 'MX.Continuity.Test']))).toMatchObject({ status: 'ok' });
    expect(checkRecord(byPurpose('mx'), none, mx([10, 'exchange.acme.example']))).toMatchObject({ status: 'wrong', found: ['10 exchange.acme.example'] });
    const both = checkRecord(byPurpose('mx'), none, mx([20, 'exchange.acme.example'], [10, 'mx.continuity.test']));
    expect(both).toMatchObject({ status: 'wrong', found: ['10 mx.continuity.test', '20 exchange.acme.example'] });
    expect(both.message).toMatch(/bypasses/);
    expect(checkRecord(byPurpose('mx'), none, none).status).toBe('missing');
    // A null MX ("this domain takes no mail") is shown as such.
    expect(checkRecord(byPurpose('mx'), none, mx([0, '']))).toMatchObject({ status: 'wrong', found: ['0 .'] });
  });

  it('SPF: the include must be in the one SPF record', () => {
    expect(checkRecord(byPurpose('spf'), txt('v=spf1 include:spf.protection.outlook.com include:_spf.continuity.test -all'), none).status).toBe('ok');
    expect(checkRecord(byPurpose('spf'), txt('v=spf1 +include:_SPF.continuity.test ~all'), none).status).toBe('ok');
    expect(checkRecord(byPurpose('spf'), txt('v=spf1 include:spf.protection.outlook.com -all'), none)).toMatchObject({ status: 'wrong', found: ['v=spf1 include:spf.protection.outlook.com -all'] });
    expect(checkRecord(byPurpose('spf'), txt('v=spf1 include:_spf.continuity.test -all', 'v=spf1 -all'), none).message).toMatch(/several SPF/);
    expect(checkRecord(byPurpose('spf'), txt('continuity-verification=tok123'), none)).toMatchObject({ status: 'missing', found: [] });
    // include:_spf.continuity.test.evil is not our include.
    expect(checkRecord(byPurpose('spf'), txt('v=spf1 include:_spf.continuity.test.evil -all'), none).status).toBe('wrong');
  });

  it('DKIM: the same public key, split or not, is ok; another key is wrong', () => {
    expect(checkRecord(byPurpose('dkim'), { ok: true, records: [['v=DKIM1; k=rsa; ', 'p=MIIBkey']] }, none).status).toBe('ok');
    expect(checkRecord(byPurpose('dkim'), txt('v=DKIM1; k=rsa; p=OTHER'), none).status).toBe('wrong');
    expect(checkRecord(byPurpose('dkim'), none, none).status).toBe('missing');
  });

  it('a failed lookup is an error, not a missing record', () => {
    expect(checkRecord(byPurpose('ownership'), { ok: false, error: 'ESERVFAIL' }, none)).toMatchObject({ status: 'error' });
    expect(checkRecord(byPurpose('mx'), none, { ok: false, error: 'ETIMEOUT' }).message).toMatch(/ETIMEOUT/);
  });
});
